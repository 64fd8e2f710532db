//! `current_setting(name)`: the connection's run-time parameters.

use std::sync::Arc;

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::DataType;
use datafusion::common::DataFusionError;
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};

use super::{CatalogFunction, ConnectionFacts, first_argument};

pub const FUNCTIONS: &[CatalogFunction] = &[CatalogFunction {
    name: "current_setting",
    build: current_setting,
}];

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
