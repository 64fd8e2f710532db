//! Numeric functions PostgreSQL has under other names or DataFusion lacks: `sign`,
//! `ceiling`, `mod`, `div`, `width_bucket`, `scale`.

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Float64Array, Int32Array};
use datafusion::arrow::compute::kernels::numeric;
use datafusion::arrow::datatypes::{DataType, Float64Type, Int64Type};
use datafusion::arrow::error::ArrowError;
use datafusion::common::{Result, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::registry::{Renamed, argument, result};
use crate::numbers::NumericError;

/// The numeric functions, to register.
pub fn functions() -> Vec<ScalarUDF> {
    let udf = |kind| {
        ScalarUDF::new_from_impl(Numeric {
            kind,
            signature: Signature::user_defined(Volatility::Immutable),
        })
    };
    vec![
        Renamed::udf("sign", datafusion::functions::math::signum()),
        Renamed::udf("ceiling", datafusion::functions::math::ceil()),
        udf(Kind::Mod),
        udf(Kind::Div),
        udf(Kind::WidthBucket),
        udf(Kind::Scale),
    ]
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// `mod(a, b)`: the remainder, of the operands' type.
    Mod,
    /// `div(a, b)`: the quotient truncated toward zero.
    Div,
    /// `width_bucket(operand, low, high, count)`
    WidthBucket,
    /// `scale(numeric)`: the digits after the decimal point.
    Scale,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Numeric {
    kind: Kind,
    signature: Signature,
}

fn arity(kind: Kind) -> usize {
    match kind {
        Kind::Mod | Kind::Div => 2,
        Kind::WidthBucket => 4,
        Kind::Scale => 1,
    }
}

fn is_number(t: &DataType) -> bool {
    t.is_numeric() || t.is_null()
}

impl ScalarUDFImpl for Numeric {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Mod => "mod",
            Kind::Div => "div",
            Kind::WidthBucket => "width_bucket",
            Kind::Scale => "scale",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        if arg_types.len() != arity(self.kind) || !arg_types.iter().all(is_number) {
            return plan_err!("function {}({arg_types:?}) does not exist", self.name());
        }
        let integers = arg_types.iter().all(|t| t.is_integer() || t.is_null());
        Ok(match self.kind {
            Kind::Mod if integers => {
                let wide = arg_types
                    .iter()
                    .any(|t| matches!(t, DataType::Int64 | DataType::UInt32 | DataType::UInt64));
                let t = if wide {
                    DataType::Int64
                } else {
                    DataType::Int32
                };
                vec![t.clone(), t]
            }
            Kind::WidthBucket => vec![
                DataType::Float64,
                DataType::Float64,
                DataType::Float64,
                DataType::Int32,
            ],
            Kind::Scale => vec![match &arg_types[0] {
                t @ (DataType::Decimal128(_, _) | DataType::Decimal256(_, _)) => t.clone(),
                t if t.is_integer() => DataType::Int64,
                _ => DataType::Float64,
            }],
            _ => vec![DataType::Float64; arg_types.len()],
        })
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::Mod | Kind::Div => arg_types[0].clone(),
            Kind::WidthBucket | Kind::Scale => DataType::Int32,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let values = match self.kind {
            Kind::Mod => remainder(&args)?,
            Kind::Div => {
                let (a, b) = (
                    argument(&args, 0, &DataType::Float64)?,
                    argument(&args, 1, &DataType::Float64)?,
                );
                let (a, b) = (
                    a.as_primitive::<Float64Type>(),
                    b.as_primitive::<Float64Type>(),
                );
                let mut out = Vec::with_capacity(a.len());
                for row in 0..a.len() {
                    if a.is_null(row) || b.is_null(row) {
                        out.push(None);
                        continue;
                    }
                    if b.value(row) == 0.0 {
                        return Err(NumericError::DivisionByZero.into());
                    }
                    out.push(Some((a.value(row) / b.value(row)).trunc()));
                }
                Arc::new(Float64Array::from(out))
            }
            Kind::WidthBucket => width_buckets(&args)?,
            Kind::Scale => scales(&args)?,
        };
        result(&args.args, values)
    }
}

fn remainder(args: &ScalarFunctionArgs) -> Result<datafusion::arrow::array::ArrayRef> {
    let t = args.args[0].data_type();
    let (a, b) = (argument(args, 0, &t)?, argument(args, 1, &t)?);
    if t.is_floating() {
        let divisors = b.as_primitive::<Float64Type>();
        if divisors.iter().any(|d| d == Some(0.0)) {
            return Err(NumericError::DivisionByZero.into());
        }
    }
    match numeric::rem(&a, &b) {
        Ok(values) => Ok(values),
        Err(ArrowError::DivideByZero) => Err(NumericError::DivisionByZero.into()),
        Err(e) => Err(e.into()),
    }
}

/// PostgreSQL's `width_bucket` for float8 bounds.
fn width_buckets(args: &ScalarFunctionArgs) -> Result<datafusion::arrow::array::ArrayRef> {
    let floats = |i| argument(args, i, &DataType::Float64);
    let (operand, low, high) = (floats(0)?, floats(1)?, floats(2)?);
    let count = argument(args, 3, &DataType::Int64)?;
    let (operand, low, high) = (
        operand.as_primitive::<Float64Type>(),
        low.as_primitive::<Float64Type>(),
        high.as_primitive::<Float64Type>(),
    );
    let count = count.as_primitive::<Int64Type>();
    let mut out = Vec::with_capacity(operand.len());
    for row in 0..operand.len() {
        if [
            operand.is_null(row),
            low.is_null(row),
            high.is_null(row),
            count.is_null(row),
        ]
        .contains(&true)
        {
            out.push(None);
            continue;
        }
        let (x, lo, hi, n) = (
            operand.value(row),
            low.value(row),
            high.value(row),
            count.value(row),
        );
        if n <= 0 {
            return exec_err!("count must be greater than zero");
        }
        if lo == hi {
            return exec_err!("lower bound cannot equal upper bound");
        }
        let bucket = if lo < hi {
            if x < lo {
                0
            } else if x >= hi {
                n + 1
            } else {
                ((x - lo) / (hi - lo) * n as f64).floor() as i64 + 1
            }
        } else if x > lo {
            0
        } else if x <= hi {
            n + 1
        } else {
            ((lo - x) / (lo - hi) * n as f64).floor() as i64 + 1
        };
        out.push(i32::try_from(bucket).ok());
    }
    Ok(Arc::new(Int32Array::from(out)))
}

/// The scale of a `numeric` (its declared scale) or of a float (the digits after the
/// point of its shortest exact text, as PostgreSQL's cast to numeric would write it).
fn scales(args: &ScalarFunctionArgs) -> Result<datafusion::arrow::array::ArrayRef> {
    let values = args.args[0].to_array(args.number_rows)?;
    let out: Int32Array = match values.data_type() {
        DataType::Decimal128(_, s) | DataType::Decimal256(_, s) => {
            let s = i32::from(*s).max(0);
            (0..values.len())
                .map(|i| values.is_valid(i).then_some(s))
                .collect()
        }
        DataType::Int64 => (0..values.len())
            .map(|i| values.is_valid(i).then_some(0))
            .collect(),
        _ => {
            let floats = argument(args, 0, &DataType::Float64)?;
            floats
                .as_primitive::<Float64Type>()
                .iter()
                .map(|v| {
                    let v = v?;
                    let text = format!("{v}");
                    Some(text.split_once('.').map_or(0, |(_, f)| f.len() as i32))
                })
                .collect()
        }
    };
    Ok(Arc::new(out))
}
