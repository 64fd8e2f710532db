//! `to_regtype(name)`: built-in types' OIDs by name.

use std::sync::Arc;

use arrow::array::{Int32Array, StringArray};
use arrow::datatypes::DataType;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

use super::{CatalogFunction, ConnectionFacts, first_argument};

pub const FUNCTIONS: &[CatalogFunction] = &[CatalogFunction {
    name: "to_regtype",
    build: to_regtype,
}];

fn to_regtype(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Utf8],
        DataType::Int32,
        Volatility::Stable,
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let names: &StringArray = first_argument(&arrays, "to_regtype", "text")?;
            let oids: Int32Array = names.iter().map(|n| n.and_then(builtin_type_oid)).collect();
            Ok(ColumnarValue::Array(Arc::new(oids)))
        }),
    )
}

/// The OID of a built-in type by any of its SQL names (`to_regtype`), or of any type by
/// its `pg_type` name (`bit`, `vector`); `None` for a type that does not exist here, such
/// as an extension's (`hstore`).
fn builtin_type_oid(name: &str) -> Option<i32> {
    let name = name
        .trim()
        .trim_start_matches("pg_catalog.")
        .to_ascii_lowercase();
    Some(match name.as_str() {
        "bool" | "boolean" => 16,
        "bytea" => 17,
        "int8" | "bigint" => 20,
        "int2" | "smallint" => 21,
        "int4" | "integer" | "int" => 23,
        "text" => 25,
        "oid" => 26,
        "json" => 114,
        "float4" | "real" => 700,
        "float8" | "double precision" => 701,
        "varchar" | "character varying" => 1043,
        "date" => 1082,
        "time" | "time without time zone" => 1083,
        "timestamp" | "timestamp without time zone" => 1114,
        "timestamptz" | "timestamp with time zone" => 1184,
        "interval" => 1186,
        "numeric" | "decimal" => 1700,
        "uuid" => 2950,
        "jsonb" => 3802,
        other => return crate::catalog::type_oid_by_name(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_resolve_to_builtin_oids() {
        assert_eq!(builtin_type_oid("integer"), Some(23));
        assert_eq!(builtin_type_oid("pg_catalog.TEXT"), Some(25));
        assert_eq!(builtin_type_oid("hstore"), None);
        assert_eq!(builtin_type_oid("bit"), Some(1560));
        assert_eq!(
            builtin_type_oid("vector"),
            Some(crate::pgvector::VECTOR_OID as i32)
        );
    }
}
