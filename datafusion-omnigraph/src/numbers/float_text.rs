//! Floats as text the way PostgreSQL 15 writes them (`float8out`/`float4out` with
//! `extra_float_digits = 1`): the shortest digits that read back as the same value, in
//! fixed notation for decimal exponents from -4 below the type's digits, else
//! `1e+20`, `1e-05`; `NaN`, `Infinity`. The wire's text format and casts to text share it.

use std::fmt::Write;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, StringArray};
use datafusion::arrow::datatypes::{DataType, Float32Type, Float64Type};
use datafusion::common::{Result, ScalarValue, exec_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

/// `float4out`: shortest text that reads back as the same `f32`.
pub fn float4(value: f32) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return infinity(value > 0.0);
    }
    shortest(&format!("{value:e}"), 6)
}

/// `float8out`: shortest text that reads back as the same `f64`.
pub fn float8(value: f64) -> String {
    if value.is_nan() {
        return "NaN".to_string();
    }
    if value.is_infinite() {
        return infinity(value > 0.0);
    }
    shortest(&format!("{value:e}"), 15)
}

fn infinity(positive: bool) -> String {
    if positive { "Infinity" } else { "-Infinity" }.to_string()
}

/// Lays out Rust's shortest `{:e}` digits (`-1.25e-7`) as PostgreSQL's Ryu output does:
/// fixed notation for decimal exponents from -4 up to `fixed_below`, else `d.ddde+XX`.
fn shortest(exponential: &str, fixed_below: i32) -> String {
    let (mantissa, exponent) = exponential
        .split_once('e')
        .expect("{:e} writes an exponent");
    let exponent: i32 = exponent.parse().expect("{:e} writes an integer exponent");
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let mut out = String::from(sign);
    if (-4..fixed_below).contains(&exponent) {
        if exponent < 0 {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exponent - 1) as usize));
            out.push_str(&digits);
        } else {
            let whole = exponent as usize + 1;
            if digits.len() <= whole {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', whole - digits.len()));
            } else {
                out.push_str(&digits[..whole]);
                out.push('.');
                out.push_str(&digits[whole..]);
            }
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        );
    }
    out
}

/// `CAST(x AS text)` of a `real` or `double precision` `x`: Arrow's cast writes `1e20`
/// and `0.00001` where PostgreSQL writes `1e+20` and `1e-05`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct FloatText {
    signature: Signature,
}

impl FloatText {
    pub fn udf() -> Arc<ScalarUDF> {
        Arc::new(ScalarUDF::new_from_impl(FloatText {
            signature: Signature::any(1, Volatility::Immutable),
        }))
    }
}

impl ScalarUDFImpl for FloatText {
    fn name(&self) -> &str {
        "pg_float_text"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return exec_err!("pg_float_text takes one argument");
        };
        let array = value.to_array(args.number_rows.max(1))?;
        let text: StringArray = match array.data_type() {
            DataType::Float64 => array
                .as_primitive::<Float64Type>()
                .iter()
                .map(|v| v.map(float8))
                .collect(),
            DataType::Float32 => array
                .as_primitive::<Float32Type>()
                .iter()
                .map(|v| v.map(float4))
                .collect(),
            other => return exec_err!("pg_float_text of {other}"),
        };
        let text: ArrayRef = Arc::new(text);
        Ok(match value {
            ColumnarValue::Scalar(_) => {
                ColumnarValue::Scalar(ScalarValue::try_from_array(&text, 0)?)
            }
            ColumnarValue::Array(_) => ColumnarValue::Array(text),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_as_postgres_writes_them() {
        let cases = [
            (0.1, "0.1"),
            (1e20, "1e+20"),
            (1e-5, "1e-05"),
            (1e15, "1e+15"),
            (123456789012345.0, "123456789012345"),
            (0.0001, "0.0001"),
            (-2.5, "-2.5"),
            (100.0, "100"),
            (-0.0, "-0"),
            (1.5e300, "1.5e+300"),
            (f64::INFINITY, "Infinity"),
            (f64::NEG_INFINITY, "-Infinity"),
            (f64::NAN, "NaN"),
        ];
        for (value, expected) in cases {
            assert_eq!(float8(value), expected, "{value}");
        }
        assert_eq!(float4(1234567.0), "1.234567e+06");
        assert_eq!(float4(123456.0), "123456");
        assert_eq!(float4(0.1), "0.1");
    }
}
