//! The functions the `regclass`/`regtype` rewrites (`rewrite::object_identifiers`) call:
//! a looked-up OID that must exist, and an object's name typed as the identifier type
//! PostgreSQL sends it as; the one function a `regproc` literal names
//! (`rewrite::function_identifiers`); and `pg_partition_ancestors`, on relation OIDs.

use std::sync::Arc;

use arrow::array::{Array, StringArray};
use arrow::datatypes::DataType;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Volatility, create_udf};
use datafusion_omnigraph::functions::errors::FunctionError;
use datafusion_omnigraph::types::error::TypeError;

use super::{CatalogFunction, with_result_type};

pub const FUNCTIONS: &[CatalogFunction] = &[
    CatalogFunction {
        name: "omnigraph_existing_relation",
        build: |name, _| existing(name, |n| FunctionError::UndefinedRelation(n).into()),
    },
    CatalogFunction {
        name: "omnigraph_existing_type",
        build: |name, _| existing(name, |n| TypeError::UndefinedType(n).into()),
    },
    CatalogFunction {
        name: "omnigraph_one_function",
        build: |name, _| one_function(name),
    },
    CatalogFunction {
        name: "omnigraph_regclass_text",
        build: |name, _| shown_as(name, "regclass"),
    },
    CatalogFunction {
        name: "omnigraph_regtype_text",
        build: |name, _| shown_as(name, "regtype"),
    },
    CatalogFunction {
        name: "pg_partition_ancestors",
        build: |name, _| own_ancestor(name),
    },
];

/// `pg_partition_ancestors(regclass)` in a select list: no table is a partition, so each
/// is its own only ancestor, as an OID (psql's `\d` compares it with `confrelid`).
fn own_ancestor(name: &'static str) -> ScalarUDF {
    super::any_arguments(name, DataType::Int32, |args| {
        let Some(relation) = args.first() else {
            return Err(DataFusionError::Plan(
                "pg_partition_ancestors takes a relation".into(),
            ));
        };
        let oids = arrow::compute::cast(&relation.to_array(1)?, &DataType::Int32)?;
        Ok(match relation {
            ColumnarValue::Scalar(_) => {
                ColumnarValue::Scalar(ScalarValue::try_from_array(&oids, 0)?)
            }
            ColumnarValue::Array(_) => ColumnarValue::Array(oids),
        })
    })
}

/// `f(oid, name)`: the OID a literal name was looked up as, or `missing(name)` when the
/// lookup found none (PostgreSQL fails while parsing such a literal).
fn existing(name: &'static str, missing: fn(String) -> DataFusionError) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Int32, DataType::Utf8],
        DataType::Int32,
        Volatility::Stable,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let names = arrays[1]
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| DataFusionError::Internal(format!("{name} takes a name")))?;
            if let Some(row) = (0..arrays[0].len()).find(|&i| arrays[0].is_null(i)) {
                return Err(missing(names.value(row).to_string()));
            }
            Ok(match &args[0] {
                ColumnarValue::Scalar(_) => {
                    ColumnarValue::Scalar(ScalarValue::try_from_array(&arrays[0], 0)?)
                }
                ColumnarValue::Array(_) => ColumnarValue::Array(arrays[0].clone()),
            })
        }),
    )
}

/// `f(count, oid, name)`: the OID of the one function a literal name matched (`count` of
/// them, the largest `oid`); 42883 for none, 42725 for several.
fn one_function(name: &'static str) -> ScalarUDF {
    create_udf(
        name,
        vec![DataType::Int64, DataType::Int32, DataType::Utf8],
        DataType::Int32,
        Volatility::Stable,
        Arc::new(move |args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            let counts = arrays[0]
                .as_any()
                .downcast_ref::<arrow::array::Int64Array>()
                .ok_or_else(|| DataFusionError::Internal(format!("{name} takes a count")))?;
            let names = arrays[2]
                .as_any()
                .downcast_ref::<StringArray>()
                .ok_or_else(|| DataFusionError::Internal(format!("{name} takes a name")))?;
            for row in 0..counts.len() {
                let count = if counts.is_null(row) {
                    0
                } else {
                    counts.value(row)
                };
                let written = names.value(row).to_string();
                match count {
                    0 => return Err(FunctionError::UndefinedFunction(written).into()),
                    1 => {}
                    _ => return Err(FunctionError::AmbiguousFunction(written).into()),
                }
            }
            Ok(match &args[1] {
                ColumnarValue::Scalar(_) => {
                    ColumnarValue::Scalar(ScalarValue::try_from_array(&arrays[1], 0)?)
                }
                ColumnarValue::Array(_) => ColumnarValue::Array(arrays[1].clone()),
            })
        }),
    )
}

/// `f(text)`: the text, sent as PostgreSQL type `pg_type` (`regclass`, `regtype`).
fn shown_as(name: &'static str, pg_type: &'static str) -> ScalarUDF {
    let identity = create_udf(
        name,
        vec![DataType::Utf8],
        DataType::Utf8,
        Volatility::Immutable,
        Arc::new(|args: &[ColumnarValue]| Ok(args[0].clone())),
    );
    with_result_type(identity, pg_type)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::Field;
    use datafusion::config::ConfigOptions;
    use datafusion::logical_expr::ScalarFunctionArgs;

    #[test]
    fn a_name_that_found_no_oid_is_an_undefined_relation() {
        let udf = existing("omnigraph_existing_relation", |n| {
            FunctionError::UndefinedRelation(n).into()
        });
        let call = |oid: Option<i32>| {
            udf.invoke_with_args(ScalarFunctionArgs {
                args: vec![
                    ColumnarValue::Scalar(ScalarValue::Int32(oid)),
                    ColumnarValue::Scalar(ScalarValue::Utf8(Some("nowhere".into()))),
                ],
                arg_fields: vec![
                    Arc::new(Field::new("oid", DataType::Int32, true)),
                    Arc::new(Field::new("name", DataType::Utf8, true)),
                ],
                number_rows: 1,
                return_field: Arc::new(Field::new("r", DataType::Int32, true)),
                config_options: Arc::new(ConfigOptions::default()),
            })
        };
        assert!(matches!(
            call(Some(16384)),
            Ok(ColumnarValue::Scalar(ScalarValue::Int32(Some(16384))))
        ));
        let error = call(None).unwrap_err();
        assert_eq!(
            datafusion_omnigraph::error::external_error::<FunctionError>(&error),
            Some(&FunctionError::UndefinedRelation("nowhere".into()))
        );
    }
}
