//! `json_build_object(key, value, ...)`, which Grafana and others build options with.

use std::sync::Arc;

use arrow::array::StringArray;
use arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, Result as DFResult, ScalarValue};
use datafusion::logical_expr::ColumnarValue;

use super::{CatalogFunction, any_arguments};

pub const FUNCTIONS: &[CatalogFunction] = &[CatalogFunction {
    name: "json_build_object",
    build: |name, _| any_arguments(name, DataType::Utf8, json_build_object),
}];

/// PostgreSQL's `json_build_object(key, value, ...)`, as JSON text.
fn json_build_object(args: &[ColumnarValue]) -> DFResult<ColumnarValue> {
    if !args.len().is_multiple_of(2) {
        return Err(DataFusionError::Execution(
            "json_build_object takes key/value pairs".into(),
        ));
    }
    let arrays = ColumnarValue::values_to_arrays(args)?;
    let rows = arrays.first().map(|a| a.len()).unwrap_or(1);
    let mut objects = Vec::with_capacity(rows);
    for row in 0..rows {
        let mut object = serde_json::Map::new();
        for pair in arrays.chunks(2) {
            let key = ScalarValue::try_from_array(&pair[0], row)?;
            let value = ScalarValue::try_from_array(&pair[1], row)?;
            let key = match key {
                ScalarValue::Utf8(Some(k)) | ScalarValue::LargeUtf8(Some(k)) => k,
                other if other.is_null() => {
                    return Err(DataFusionError::Execution(
                        "json_build_object: a key is null".into(),
                    ));
                }
                other => other.to_string(),
            };
            let value = match value {
                v if v.is_null() => serde_json::Value::Null,
                ScalarValue::Boolean(Some(b)) => serde_json::Value::Bool(b),
                ScalarValue::Utf8(Some(t)) | ScalarValue::LargeUtf8(Some(t)) => {
                    serde_json::Value::String(t)
                }
                v if v.data_type().is_numeric() => serde_json::from_str(&v.to_string())
                    .unwrap_or(serde_json::Value::String(v.to_string())),
                v => serde_json::Value::String(v.to_string()),
            };
            object.insert(key, value);
        }
        objects.push(Some(serde_json::Value::Object(object).to_string()));
    }
    Ok(ColumnarValue::Array(Arc::new(StringArray::from(objects))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_build_as_json_text() {
        let args = [
            ColumnarValue::Scalar(ScalarValue::Utf8(Some("always".into()))),
            ColumnarValue::Scalar(ScalarValue::Boolean(Some(true))),
            ColumnarValue::Scalar(ScalarValue::Utf8(Some("start".into()))),
            ColumnarValue::Scalar(ScalarValue::Int64(Some(1))),
            ColumnarValue::Scalar(ScalarValue::Utf8(Some("cycle".into()))),
            ColumnarValue::Scalar(ScalarValue::Utf8(None)),
        ];
        let ColumnarValue::Array(out) = json_build_object(&args).unwrap() else {
            panic!("an array");
        };
        let out = out.as_any().downcast_ref::<StringArray>().unwrap();
        let parsed: serde_json::Value = serde_json::from_str(out.value(0)).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({"always": true, "start": 1, "cycle": null})
        );
    }
}
