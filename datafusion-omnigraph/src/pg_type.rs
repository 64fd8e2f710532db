//! PostgreSQL types that share an Arrow type with another are told apart by a key in the
//! field's metadata: `name`, `varchar`, `bpchar` and `"char"` are all `Utf8` in Arrow, `oid`
//! and `regclass` are `UInt32`/`Int64`. Whoever builds a field that PostgreSQL would type
//! differently (a catalog table's column, a cast to `varchar(n)`) tags it here, and the
//! wire layer sends the type the tag names. DataFusion carries field metadata through
//! column references and aliases, so `SELECT relname AS r FROM pg_class` stays `name`.

use std::collections::HashMap;

use datafusion::arrow::datatypes::Field;

/// The metadata key whose value is a PostgreSQL type name as in `pg_type.typname`
/// (`name`, `varchar`, `bpchar`, `char`, `oid`, `regclass`, `regtype`, ...).
pub const PG_TYPE_KEY: &str = "omnigraph.pg_type";

/// `field` tagged as PostgreSQL type `typname`.
pub fn with_pg_type(field: Field, typname: &str) -> Field {
    let mut metadata: HashMap<String, String> = field.metadata().clone();
    metadata.insert(PG_TYPE_KEY.to_string(), typname.to_string());
    field.with_metadata(metadata)
}

/// The PostgreSQL type `field` is tagged with, if any.
pub fn pg_type_of(field: &Field) -> Option<&str> {
    field.metadata().get(PG_TYPE_KEY).map(String::as_str)
}

#[cfg(test)]
mod tests {
    use super::*;
    use datafusion::arrow::datatypes::DataType;

    #[test]
    fn a_tag_survives_alongside_other_metadata() {
        let field = Field::new("relname", DataType::Utf8, false)
            .with_metadata(HashMap::from([("k".to_string(), "v".to_string())]));
        let tagged = with_pg_type(field, "name");
        assert_eq!(pg_type_of(&tagged), Some("name"));
        assert_eq!(tagged.metadata().get("k").map(String::as_str), Some("v"));
        assert_eq!(pg_type_of(&Field::new("x", DataType::Utf8, true)), None);
    }
}
