//! Rounding a float to a whole number, and casting a number to an integer type.
//! PostgreSQL rounds a `float8` half to even (`rint`: `round(2.5::float8)` and
//! `2.5::float8::int` are 2) and a `numeric` half away from zero (`round(2.5)` and
//! `2.5::int` are 3); a value outside the integer type (or NaN) is 22003. DataFusion's
//! `round` rounds half away, its casts truncate and refuse out-of-range values as
//! malformed input.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray};
use datafusion::arrow::compute::{CastOptions, cast_with_options};
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::{IntegerType, NumericError};

#[derive(Debug, PartialEq, Eq, Hash, Clone, Copy)]
pub enum Ties {
    /// `float8`
    ToEven,
    /// `numeric`
    AwayFromZero,
}

/// Rounds floats to whole numbers; with a target, also converts them (or narrower
/// integers) to that integer type.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RoundToWhole {
    ties: Ties,
    target: Option<DataType>,
    signature: Signature,
}

impl RoundToWhole {
    /// `round(x)` for a float `x`.
    pub fn udf(ties: Ties) -> Arc<ScalarUDF> {
        Self::build(ties, None)
    }

    /// `CAST(x AS target)` for a float or integer `x` and an integer `target`.
    pub fn cast_udf(ties: Ties, target: DataType) -> Arc<ScalarUDF> {
        Self::build(ties, Some(target))
    }

    fn build(ties: Ties, target: Option<DataType>) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(RoundToWhole {
            ties,
            target,
            signature: Signature::any(1, Volatility::Immutable),
        }))
    }
}

fn round(array: &ArrayRef, even: bool) -> Result<ArrayRef> {
    Ok(match array.data_type() {
        DataType::Float64 => Arc::new(
            array
                .as_primitive::<Float64Type>()
                .unary::<_, Float64Type>(|v| if even { v.round_ties_even() } else { v.round() }),
        ),
        DataType::Float32 => Arc::new(
            array
                .as_primitive::<Float32Type>()
                .unary::<_, Float32Type>(|v| if even { v.round_ties_even() } else { v.round() }),
        ),
        // numeric: Arrow rounds half away from zero when it drops the fraction.
        DataType::Decimal128(_, scale) if *scale > 0 => {
            cast_with_options(array, &DataType::Decimal128(38, 0), &CastOptions::default())?
        }
        _ => array.clone(),
    })
}

impl ScalarUDFImpl for RoundToWhole {
    fn name(&self) -> &str {
        match (self.ties, &self.target) {
            (Ties::ToEven, None) => "pg_round_half_even",
            (Ties::AwayFromZero, None) => "pg_round_half_away",
            (Ties::ToEven, Some(_)) => "pg_cast_half_even",
            (Ties::AwayFromZero, Some(_)) => "pg_cast_half_away",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.target.clone().unwrap_or_else(|| arg_types[0].clone()))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return exec_err!("{} takes one argument", self.name());
        };
        let rounded = round(&value.to_array(1)?, self.ties == Ties::ToEven)?;
        let out = match &self.target {
            None => rounded,
            Some(target) => {
                // A safe cast turns what does not fit (and NaN) into NULL.
                let options = CastOptions {
                    safe: true,
                    ..Default::default()
                };
                let converted = cast_with_options(&rounded, target, &options)?;
                if converted.null_count() > rounded.null_count() {
                    let integer = IntegerType::of(target).unwrap_or(IntegerType::Bigint);
                    return Err(NumericError::IntegerOutOfRange(integer).into());
                }
                converted
            }
        };
        Ok(match value {
            ColumnarValue::Scalar(_) => {
                ColumnarValue::Scalar(ScalarValue::try_from_array(&out, 0)?)
            }
            ColumnarValue::Array(_) => ColumnarValue::Array(out),
        })
    }
}
