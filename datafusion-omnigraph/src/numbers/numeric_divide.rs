//! `numeric / numeric` as PostgreSQL computes it: the quotient rounded half away from
//! zero to the scale `select_div_scale` picks, at least 16 significant digits (`1.0 / 3`
//! is `0.33333333333333333333`, `10 / 4.0` is `2.5000000000000000`). Arrow's decimal
//! division truncates to the dividend's scale plus 4.
//!
//! PostgreSQL picks the scale per value, from the operands' leading digits; an Arrow
//! column has one scale. Constant operands get PostgreSQL's exact scale; otherwise the
//! scale assumes a quotient of magnitude one to 9999 (16 digits after the point, or
//! either operand's scale if more), which is PostgreSQL's for such quotients.

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Decimal128Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Decimal128Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::NumericError;
use crate::types::TypeError;

/// PostgreSQL's `NUMERIC_MIN_SIG_DIGITS`.
const MIN_SIGNIFICANT_DIGITS: i32 = 16;
/// The largest scale an Arrow `Decimal128` holds.
const MAX_SCALE: i32 = 38;

/// The weight (power of 10000) and value of the leading base-10000 digit of the
/// decimal `raw * 10^-scale`, as PostgreSQL's `NumericVar` holds it; `(0, 0)` for zero.
fn leading_digit(raw: i128, scale: i8) -> (i32, u128) {
    if raw == 0 {
        return (0, 0);
    }
    let scale = i32::from(scale).max(0);
    // Align the fraction to whole base-10000 digits.
    let aligned_scale = (scale + 3) / 4 * 4;
    let mut value = raw.unsigned_abs();
    for _ in scale..aligned_scale {
        match value.checked_mul(10) {
            Some(v) => value = v,
            None => return (0, 0),
        }
    }
    let mut digits = 0;
    let mut leading = value;
    while leading >= 10_000 {
        leading /= 10_000;
        digits += 1;
    }
    (digits - aligned_scale / 4, leading)
}

/// `select_div_scale` of PostgreSQL's numeric.c for two known operands.
pub fn division_scale(dividend: (i128, i8), divisor: (i128, i8)) -> i8 {
    let (weight1, first1) = leading_digit(dividend.0, dividend.1);
    let (weight2, first2) = leading_digit(divisor.0, divisor.1);
    let mut quotient_weight = weight1 - weight2;
    if first1 <= first2 {
        quotient_weight -= 1;
    }
    let scale = (MIN_SIGNIFICANT_DIGITS - quotient_weight * 4)
        .max(i32::from(dividend.1))
        .max(i32::from(divisor.1))
        .clamp(0, MAX_SCALE);
    scale as i8
}

/// The scale of a quotient of operands of scales `s1` and `s2` whose values are not known.
pub fn assumed_division_scale(s1: i8, s2: i8) -> i8 {
    (MIN_SIGNIFICANT_DIGITS.max(i32::from(s1)).max(i32::from(s2))).clamp(0, MAX_SCALE) as i8
}

/// `a / b` of two `numeric`s, rounded to `scale` digits after the point.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct NumericDivide {
    scale: i8,
    signature: Signature,
}

impl NumericDivide {
    pub fn udf(scale: i8) -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(NumericDivide {
            scale,
            signature: Signature::any(2, Volatility::Immutable),
        }))
    }
}

fn decimal_scale(data_type: &DataType) -> Option<i8> {
    match data_type {
        DataType::Decimal128(_, s) => Some(*s),
        _ => None,
    }
}

/// `n / d` rounded half away from zero; `None` when it overflows.
fn rounded_quotient(n: i128, d: i128) -> Option<i128> {
    let quotient = n.checked_div(d)?;
    let remainder = n.checked_rem(d)?;
    if remainder.unsigned_abs() * 2 >= d.unsigned_abs() {
        let away = if (n < 0) != (d < 0) { -1 } else { 1 };
        quotient.checked_add(away)
    } else {
        Some(quotient)
    }
}

impl ScalarUDFImpl for NumericDivide {
    fn name(&self) -> &str {
        "pg_numeric_divide"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Decimal128(38, self.scale))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [left, right] = args.args.as_slice() else {
            return exec_err!("pg_numeric_divide takes two arguments");
        };
        let rows = args.number_rows.max(1);
        let (l, r) = (left.to_array(rows)?, right.to_array(rows)?);
        let (Some(s1), Some(s2)) = (decimal_scale(l.data_type()), decimal_scale(r.data_type()))
        else {
            return exec_err!(
                "pg_numeric_divide of {} and {}",
                l.data_type(),
                r.data_type()
            );
        };
        // a / b at scale s is (a_raw * 10^(s + s2 - s1)) / b_raw.
        let shift = i32::from(self.scale) + i32::from(s2) - i32::from(s1);
        let (l, r) = (
            l.as_primitive::<Decimal128Type>(),
            r.as_primitive::<Decimal128Type>(),
        );
        let factor = 10_i128.checked_pow(shift.unsigned_abs());
        let mut out = Vec::with_capacity(l.len());
        for (a, b) in l.iter().zip(r.iter()) {
            let (Some(a), Some(b)) = (a, b) else {
                out.push(None);
                continue;
            };
            if b == 0 {
                return Err(NumericError::DivisionByZero.into());
            }
            let quotient = match (factor, shift >= 0) {
                (Some(f), true) => a.checked_mul(f).and_then(|n| rounded_quotient(n, b)),
                (Some(f), false) => b.checked_mul(f).and_then(|d| rounded_quotient(a, d)),
                (None, _) => None,
            };
            match quotient {
                Some(q) => out.push(Some(q)),
                None => return Err(TypeError::NumericFieldOverflow.into()),
            }
        }
        let result: ArrayRef =
            Arc::new(Decimal128Array::from(out).with_precision_and_scale(38, self.scale)?);
        let result = cast(&result, &DataType::Decimal128(38, self.scale))?;
        Ok(match (left, right) {
            (ColumnarValue::Scalar(_), ColumnarValue::Scalar(_)) => {
                ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?)
            }
            _ => ColumnarValue::Array(result),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_scales_are_postgres_select_div_scale() {
        // 1.0 / 3
        assert_eq!(division_scale((10, 1), (3, 0)), 20);
        // 10 / 4.0
        assert_eq!(division_scale((10, 0), (40, 1)), 16);
        // 28 / 3
        assert_eq!(division_scale((28, 0), (3, 0)), 16);
        // 100000 / 3: the quotient's leading digit is one base-10000 digit up.
        assert_eq!(division_scale((100_000, 0), (3, 0)), 12);
        // 1 / 30000
        assert_eq!(division_scale((1, 0), (30_000, 0)), 24);
        assert_eq!(division_scale((1, 0), (3, 0)), 20);
        assert_eq!(assumed_division_scale(2, 20), 20);
    }

    #[test]
    fn quotients_round_half_away_from_zero() {
        assert_eq!(rounded_quotient(2, 3), Some(1));
        assert_eq!(rounded_quotient(-2, 3), Some(-1));
        assert_eq!(rounded_quotient(1, 3), Some(0));
        assert_eq!(rounded_quotient(5, 2), Some(3));
        assert_eq!(rounded_quotient(-5, 2), Some(-3));
    }
}
