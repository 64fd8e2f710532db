//! `current_setting(name)`: the connection's run-time parameters; the encoding functions
//! (everything is UTF8, PostgreSQL's encoding number 6).

use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::DataType;
use datafusion::common::DataFusionError;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

use super::{CatalogFunction, ConnectionFacts, first_argument};

pub const FUNCTIONS: &[CatalogFunction] = &[
    CatalogFunction {
        name: "current_setting",
        build: current_setting,
    },
    CatalogFunction {
        name: "set_config",
        build: set_config,
    },
    CatalogFunction {
        name: "pg_encoding_to_char",
        build: encoding_name,
    },
    CatalogFunction {
        name: "pg_client_encoding",
        build: utf8,
    },
    CatalogFunction {
        name: "getdatabaseencoding",
        build: utf8,
    },
];

/// `set_config(name, value, is_local)`: `SET name = value` (pg_dump's first statement
/// empties the `search_path`), answering the new value. A local setting lasts for the
/// session here, as `SET LOCAL` does.
fn set_config(name: &'static str, connection: &ConnectionFacts) -> ScalarUDF {
    let settings = connection.settings.clone();
    create_udf(
        name,
        vec![DataType::Utf8, DataType::Utf8, DataType::Boolean],
        DataType::Utf8,
        Volatility::Volatile,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let names: &StringArray = first_argument(&arrays, "set_config", "text")?;
            let values: &StringArray = first_argument(&arrays[1..], "set_config", "text")?;
            let mut settings = settings.lock().unwrap_or_else(|p| p.into_inner());
            let set = names
                .iter()
                .zip(values.iter())
                .map(|(name, value)| match (name, value) {
                    (Some(name), value) => {
                        let value = value.unwrap_or_default();
                        settings
                            .set(&name.to_ascii_lowercase(), value)
                            .map_err(|e| DataFusionError::External(Box::new(e)))?;
                        Ok(Some(value.to_string()))
                    }
                    (None, _) => Ok(None),
                })
                .collect::<Result<Vec<_>, DataFusionError>>()?;
            Ok(ColumnarValue::Array(Arc::new(StringArray::from(set))))
        }),
    )
}

/// PostgreSQL's number for UTF8, as `pg_database.encoding` gives it.
const UTF8_ENCODING: i64 = 6;

/// `pg_client_encoding()`, `getdatabaseencoding()`: the server and client speak UTF8.
fn utf8(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    create_udf(
        name,
        vec![],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(|_: &[ColumnarValue]| {
            Ok(ColumnarValue::Scalar(
                datafusion::common::ScalarValue::Utf8(Some("UTF8".to_string())),
            ))
        }),
    )
}

/// `pg_encoding_to_char(n)`: `UTF8` for 6, '' for any other number (as PostgreSQL
/// answers an invalid one); the only encoding `pg_database` reports is 6.
fn encoding_name(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Int64],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| {
            let numbers = ColumnarValue::values_to_arrays(args)?;
            let numbers: &arrow::array::Int64Array =
                first_argument(&numbers, "pg_encoding_to_char", "an integer")?;
            let names: StringArray = numbers
                .iter()
                .map(|n| n.map(|n| if n == UTF8_ENCODING { "UTF8" } else { "" }))
                .collect();
            Ok(ColumnarValue::Array(Arc::new(names)))
        }),
    )
}

/// A parameter's value as `SET` left it; an unknown `omnigraph.` parameter is NULL (a
/// client probing our own settings), any other unknown one fails as in PostgreSQL.
fn current_setting(name: &'static str, connection: &ConnectionFacts) -> ScalarUDF {
    let read = connection.settings.clone();
    create_udf(
        name,
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Stable,
        Arc::new(move |args: &[ColumnarValue]| {
            let names = ColumnarValue::values_to_arrays(args)?;
            let names: &StringArray = first_argument(&names, "current_setting", "text")?;
            let settings = read.lock().unwrap_or_else(|p| p.into_inner());
            let values = names
                .iter()
                .map(|name| match name {
                    None => Ok(None),
                    Some(n) => {
                        let n = n.to_ascii_lowercase();
                        match settings.get(&n) {
                            Some(v) => Ok(Some(v.to_string())),
                            None if n.starts_with("omnigraph.") => Ok(None),
                            None => Err(DataFusionError::Execution(format!(
                                "unrecognized configuration parameter \"{n}\""
                            ))),
                        }
                    }
                })
                .collect::<Result<Vec<_>, _>>()?;
            let array: ArrayRef = Arc::new(StringArray::from(values));
            Ok(ColumnarValue::Array(array))
        }),
    )
}
