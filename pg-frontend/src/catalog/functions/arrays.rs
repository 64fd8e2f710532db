//! `information_schema._pg_expandarray(int2[])`, which pgjdbc reads key columns by.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int16Array, Int32Array, ListArray, StructArray};
use arrow::datatypes::{DataType, Field, Fields};
use datafusion::common::{DataFusionError, Result as DFResult};
use datafusion::logical_expr::{ColumnarValue, ScalarUDF, Signature, SimpleScalarUDF, Volatility};

use super::{CatalogFunction, ConnectionFacts};

pub const FUNCTIONS: &[CatalogFunction] = &[CatalogFunction {
    name: "_pg_expandarray",
    build: expandarray,
}];

fn expandarray(name: &'static str, _: &ConnectionFacts) -> ScalarUDF {
    ScalarUDF::from(SimpleScalarUDF::new_with_signature(
        name,
        Signature::any(1, Volatility::Immutable),
        expanded_array_type(),
        Arc::new(|args: &[ColumnarValue]| {
            let arrays = ColumnarValue::values_to_arrays(args)?;
            Ok(ColumnarValue::Array(expand_array(&arrays[0])?))
        }),
    ))
}

/// Each element `x` with its 1-based position `n`. PostgreSQL's is a set-returning
/// function; here it returns the list of `(x, n)` records and the statement rewriter
/// wraps it in `unnest`.
fn expanded_array_type() -> DataType {
    DataType::List(Arc::new(Field::new_list_field(
        DataType::Struct(expanded_fields()),
        true,
    )))
}

fn expanded_fields() -> Fields {
    Fields::from(vec![
        Field::new("x", DataType::Int16, true),
        Field::new("n", DataType::Int32, false),
    ])
}

fn expand_array(array: &ArrayRef) -> DFResult<ArrayRef> {
    let lists = array
        .as_any()
        .downcast_ref::<ListArray>()
        .ok_or_else(|| DataFusionError::Execution("_pg_expandarray takes an array".into()))?;
    let values = arrow::compute::cast(lists.values(), &DataType::Int16)?;
    let values = values
        .as_any()
        .downcast_ref::<Int16Array>()
        .ok_or_else(|| DataFusionError::Execution("_pg_expandarray takes int2[]".into()))?;
    let offsets = lists.value_offsets();
    let mut positions = Vec::with_capacity(values.len());
    for i in 0..lists.len() {
        let length = offsets[i + 1] - offsets[i];
        positions.extend(1..=length);
    }
    let records = StructArray::try_new(
        expanded_fields(),
        vec![
            Arc::new(values.clone()) as ArrayRef,
            Arc::new(Int32Array::from(positions)) as ArrayRef,
        ],
        None,
    )?;
    let list = ListArray::try_new(
        Arc::new(Field::new_list_field(
            DataType::Struct(expanded_fields()),
            true,
        )),
        lists.offsets().clone(),
        Arc::new(records),
        lists.nulls().cloned(),
    )?;
    Ok(Arc::new(list))
}
