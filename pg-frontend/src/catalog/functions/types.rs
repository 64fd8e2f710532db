//! `to_regtype(name)`: built-in types' OIDs by name; `format_type` knowing pgvector's
//! `vector(n)`.

use std::sync::Arc;

use arrow::array::{Array, AsArray, Int32Array, StringArray};
use arrow::compute::cast;
use arrow::datatypes::{DataType, Int64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility, create_udf,
};

use crate::pgvector::VECTOR_OID;

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

/// `inner` (datafusion-pg-catalog's `format_type(oid, typmod)`) also naming pgvector's
/// type: `vector(n)` with a dimension count, `vector` without.
pub fn format_type_with_vector(inner: ScalarUDF) -> ScalarUDF {
    ScalarUDF::new_from_impl(FormatType { inner })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct FormatType {
    inner: ScalarUDF,
}

impl ScalarUDFImpl for FormatType {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn signature(&self) -> &Signature {
        self.inner.signature()
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        self.inner.return_type(arg_types)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let inputs = ColumnarValue::values_to_arrays(&args.args)?;
        let named = self.inner.invoke_with_args(args)?.into_array(rows)?;
        let oids = cast(&inputs[0], &DataType::Int64)?;
        let oids = oids.as_primitive::<Int64Type>();
        if !oids.iter().any(|oid| oid == Some(VECTOR_OID as i64)) {
            return Ok(ColumnarValue::Array(named));
        }
        let typmods = match inputs.get(1) {
            Some(t) => Some(cast(t, &DataType::Int64)?),
            None => None,
        };
        let named = cast(&named, &DataType::Utf8)?;
        let named = named.as_string::<i32>();
        let out: StringArray = (0..rows)
            .map(|i| {
                if oids.is_valid(i) && oids.value(i) == VECTOR_OID as i64 {
                    let dims = typmods
                        .as_ref()
                        .map(|t| t.as_primitive::<Int64Type>())
                        .filter(|t| t.is_valid(i) && t.value(i) > 0)
                        .map(|t| t.value(i));
                    Some(match dims {
                        Some(n) => format!("vector({n})"),
                        None => "vector".to_string(),
                    })
                } else {
                    named.is_valid(i).then(|| named.value(i).to_string())
                }
            })
            .collect();
        Ok(ColumnarValue::Array(Arc::new(out)))
    }
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
