//! Array functions as PostgreSQL 15 answers them: `array_length` of an empty array (or
//! of a dimension it does not have) is NULL and an `integer`, `array_dims` is text
//! (`[1:3]`), and `array_remove`/`array_replace` act on every match.

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, GenericListArray, Int32Array, OffsetSizeTrait, StringArray,
};
use datafusion::arrow::datatypes::{DataType, Int64Type};
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::functions_nested::{remove, replace};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::registry::{Renamed, argument, result};

/// The array functions, to register over DataFusion's.
pub fn functions() -> Vec<ScalarUDF> {
    vec![
        ScalarUDF::new_from_impl(ArrayLength {
            signature: Signature::any(2, Volatility::Immutable),
        }),
        ScalarUDF::new_from_impl(ArrayDims {
            signature: Signature::any(1, Volatility::Immutable),
        }),
        Renamed::udf("array_remove", remove::array_remove_all_udf()),
        Renamed::udf("array_replace", replace::array_replace_all_udf()),
    ]
}

/// The lengths of each dimension of every row of `values` (a list array, lists of
/// lists being arrays of two dimensions), as PostgreSQL sees them: an empty array has
/// no dimensions.
fn dimensions(values: &ArrayRef) -> Result<Vec<Option<Vec<usize>>>> {
    match values.data_type() {
        DataType::List(_) => Ok(list_dimensions(values.as_list::<i32>())),
        DataType::LargeList(_) => Ok(list_dimensions(values.as_list::<i64>())),
        DataType::FixedSizeList(_, _) => {
            let cast = datafusion::arrow::compute::cast(
                values,
                &DataType::List(match values.data_type() {
                    DataType::FixedSizeList(field, _) => field.clone(),
                    _ => unreachable!(),
                }),
            )?;
            dimensions(&cast)
        }
        DataType::Null => Ok(vec![None; values.len()]),
        other => exec_err!("function takes an array, not {other}"),
    }
}

fn list_dimensions<O: OffsetSizeTrait>(list: &GenericListArray<O>) -> Vec<Option<Vec<usize>>> {
    (0..list.len())
        .map(|row| {
            if list.is_null(row) {
                return None;
            }
            let row_values = list.value(row);
            if row_values.is_empty() {
                return Some(Vec::new());
            }
            let mut dims = vec![row_values.len()];
            if let Ok(inner) = dimensions(&row_values.slice(0, 1))
                && let Some(Some(inner)) = inner.into_iter().next()
            {
                dims.extend(inner);
            }
            Some(dims)
        })
        .collect()
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ArrayLength {
    signature: Signature,
}

impl ScalarUDFImpl for ArrayLength {
    fn name(&self) -> &str {
        "array_length"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.get(1) {
            Some(t) if t.is_integer() || t.is_null() => Ok(DataType::Int32),
            _ => plan_err!("function array_length({arg_types:?}) does not exist"),
        }
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = args.args[0].to_array(args.number_rows)?;
        let dims = argument(&args, 1, &DataType::Int64)?;
        let dims = dims.as_primitive::<Int64Type>();
        let out: Int32Array = dimensions(&arrays)?
            .into_iter()
            .enumerate()
            .map(|(row, lengths)| {
                let dim = dims.is_valid(row).then(|| dims.value(row))?;
                let index = usize::try_from(dim).ok()?.checked_sub(1)?;
                lengths?.get(index).and_then(|n| i32::try_from(*n).ok())
            })
            .collect();
        result(&args.args, Arc::new(out))
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ArrayDims {
    signature: Signature,
}

impl ScalarUDFImpl for ArrayDims {
    fn name(&self) -> &str {
        "array_dims"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let arrays = args.args[0].to_array(args.number_rows)?;
        let out: StringArray = dimensions(&arrays)?
            .into_iter()
            .map(|lengths| {
                let lengths = lengths.filter(|l| !l.is_empty())?;
                Some(
                    lengths
                        .iter()
                        .map(|n| format!("[1:{n}]"))
                        .collect::<String>(),
                )
            })
            .collect();
        result(&args.args, Arc::new(out))
    }
}
