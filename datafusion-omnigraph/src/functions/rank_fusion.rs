//! `rrf(rank_a, rank_b [, k])`: reciprocal rank fusion of two rankings, as OmniGraph's
//! `rrf`: `1 / (k + rank_a) + 1 / (k + rank_b)`, with `k = 60` by default and a NULL rank
//! (a row only one ranking found) adding nothing. Ranks are 1-based positions, such as
//! `row_number() OVER (ORDER BY ...)` gives; the result orders best first when sorted
//! descending.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::args::invalid;

/// The default `k`, as in the reciprocal rank fusion paper and OmniGraph.
pub const DEFAULT_K: f64 = 60.0;

pub fn rrf() -> ScalarUDF {
    ScalarUDF::new_from_impl(Rrf {
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

/// Two or three numeric (or NULL) arguments.
fn accepts(arg_types: &[DataType]) -> bool {
    (2..=3).contains(&arg_types.len())
        && arg_types
            .iter()
            .all(|t| t.is_numeric() || t == &DataType::Null)
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Rrf {
    signature: Signature,
}

impl ScalarUDFImpl for Rrf {
    fn name(&self) -> &str {
        "rrf"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        // Other arguments stay as they are, for `return_type` to refuse by name.
        if accepts(arg_types) {
            Ok(vec![DataType::Float64; arg_types.len()])
        } else {
            Ok(arg_types.to_vec())
        }
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        if !accepts(arg_types) {
            let types: Vec<String> = arg_types.iter().map(ToString::to_string).collect();
            return Err(super::errors::FunctionError::UndefinedFunction(format!(
                "rrf({})",
                types.join(", ")
            ))
            .into());
        }
        Ok(DataType::Float64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let rows = args.number_rows;
        let arrays = ColumnarValue::values_to_arrays(&args.args)?;
        let float =
            |i: usize| -> Result<Arc<dyn Array>> { Ok(cast(&arrays[i], &DataType::Float64)?) };
        let a = float(0)?;
        let b = float(1)?;
        let k = if arrays.len() == 3 {
            Some(float(2)?)
        } else {
            None
        };
        let (a, b) = (
            a.as_primitive::<Float64Type>(),
            b.as_primitive::<Float64Type>(),
        );
        let k = k.as_ref().map(|k| k.as_primitive::<Float64Type>().clone());
        let mut out = Vec::with_capacity(rows);
        for i in 0..rows {
            let k = match &k {
                None => DEFAULT_K,
                Some(k) if k.is_null(i) => {
                    out.push(None);
                    continue;
                }
                Some(k) => k.value(i),
            };
            if k.is_nan() || k < 0.0 {
                return Err(invalid(format!("rrf(): k must be non-negative, got {k}")));
            }
            let mut score = 0.0;
            for ranks in [a, b] {
                if ranks.is_valid(i) {
                    let rank = ranks.value(i);
                    if rank.is_nan() || rank < 1.0 {
                        return Err(invalid(format!(
                            "rrf(): a rank is a position from 1, got {rank}"
                        )));
                    }
                    score += 1.0 / (k + rank);
                }
            }
            out.push(Some(score));
        }
        Ok(ColumnarValue::Array(Arc::new(Float64Array::from(out))))
    }
}
