//! Text read as a number the way PostgreSQL's input functions read it: an integer may
//! have blanks around it (`' 42 '::int`), a value outside the type is 22003 (`value
//! "9223372036854775808" is out of range for type bigint`), anything else 22P02; a
//! `numeric(p, s)` too wide for `p` is 22003 `numeric field overflow`. Arrow's casts
//! refuse the blanks and report both as one cast error.

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, AsArray, Int16Array, Int32Array, Int64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Decimal128Type};
use datafusion::common::{DFSchema, Result, ScalarValue, exec_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    Cast, ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

use super::error::TypeError;
use crate::numbers::IntegerType;

/// `text` to `smallint`, `integer` or `bigint`.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct TextToInteger {
    target: DataType,
    signature: Signature,
}

fn integer_name(t: IntegerType) -> &'static str {
    match t {
        IntegerType::Smallint => "smallint",
        IntegerType::Integer => "integer",
        IntegerType::Bigint => "bigint",
    }
}

fn parse_integer(text: &str, target: IntegerType) -> Result<i64> {
    let trimmed = text.trim_matches(|c: char| c.is_ascii_whitespace());
    let type_name = integer_name(target);
    let digits = trimmed.strip_prefix(['+', '-']).unwrap_or(trimmed);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TypeError::InvalidInput {
            type_name,
            value: text.to_string(),
        }
        .into());
    }
    let (min, max) = match target {
        IntegerType::Smallint => (i64::from(i16::MIN), i64::from(i16::MAX)),
        IntegerType::Integer => (i64::from(i32::MIN), i64::from(i32::MAX)),
        IntegerType::Bigint => (i64::MIN, i64::MAX),
    };
    match trimmed.parse::<i64>() {
        Ok(v) if (min..=max).contains(&v) => Ok(v),
        _ => Err(TypeError::OutOfRange {
            type_name,
            value: text.to_string(),
        }
        .into()),
    }
}

impl ScalarUDFImpl for TextToInteger {
    fn name(&self) -> &str {
        "pg_text_to_integer"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.target.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return exec_err!("pg_text_to_integer takes one argument");
        };
        let Some(target) = IntegerType::of(&self.target) else {
            return exec_err!("pg_text_to_integer: {} is not an integer type", self.target);
        };
        let scalar = matches!(value, ColumnarValue::Scalar(_));
        let text = cast(&value.to_array(args.number_rows.max(1))?, &DataType::Utf8)?;
        let parsed = text
            .as_string::<i32>()
            .iter()
            .map(|v| v.map(|v| parse_integer(v, target)).transpose())
            .collect::<Result<Vec<Option<i64>>>>()?;
        let result: ArrayRef = match target {
            IntegerType::Smallint => Arc::new(
                parsed
                    .iter()
                    .map(|v| v.map(|v| v as i16))
                    .collect::<Int16Array>(),
            ),
            IntegerType::Integer => Arc::new(
                parsed
                    .iter()
                    .map(|v| v.map(|v| v as i32))
                    .collect::<Int32Array>(),
            ),
            IntegerType::Bigint => Arc::new(parsed.into_iter().collect::<Int64Array>()),
        };
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&result, 0)?)
        } else {
            ColumnarValue::Array(result)
        })
    }
}

/// A cast to `numeric(p, s)` that fails with 22003 where a value needs more than `p`
/// digits.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct NumericTypmod {
    precision: u8,
    scale: i8,
    signature: Signature,
}

impl ScalarUDFImpl for NumericTypmod {
    fn name(&self) -> &str {
        "pg_numeric_typmod"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Decimal128(self.precision, self.scale))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return exec_err!("pg_numeric_typmod takes one argument");
        };
        let scalar = matches!(value, ColumnarValue::Scalar(_));
        let wide = cast(
            &value.to_array(args.number_rows.max(1))?,
            &DataType::Decimal128(38, self.scale),
        )?;
        let limit = 10_i128.pow(u32::from(self.precision));
        let values = wide.as_primitive::<Decimal128Type>();
        if values
            .iter()
            .flatten()
            .any(|v| v.unsigned_abs() >= limit as u128)
        {
            return Err(TypeError::NumericFieldOverflow.into());
        }
        let narrowed: ArrayRef = Arc::new(
            values
                .clone()
                .with_precision_and_scale(self.precision, self.scale)?,
        );
        Ok(if scalar {
            ColumnarValue::Scalar(ScalarValue::try_from_array(&narrowed, 0)?)
        } else {
            ColumnarValue::Array(narrowed)
        })
    }
}

fn is_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
    )
}

/// A cast from text to an integer type, or to a `numeric` of bounded precision, as the
/// checked function above; other expressions unchanged.
pub fn checked_cast(expr: Expr, schema: &DFSchema) -> Expr {
    let Expr::Cast(Cast { expr: inner, field }) = expr else {
        return expr;
    };
    // A tagged target (`regclass`, ...) is another rule's to resolve.
    if !field.metadata().is_empty() {
        return Expr::Cast(Cast { expr: inner, field });
    }
    let from = inner.get_type(schema).ok();
    let udf = match (from, field.data_type()) {
        (Some(from), to) if is_text(&from) && IntegerType::of(to).is_some() => {
            ScalarUDF::new_from_impl(TextToInteger {
                target: to.clone(),
                signature: Signature::any(1, Volatility::Immutable),
            })
        }
        (Some(from), DataType::Decimal128(precision, scale))
            if *precision < 38 && (from.is_numeric() || is_text(&from)) =>
        {
            ScalarUDF::new_from_impl(NumericTypmod {
                precision: *precision,
                scale: *scale,
                signature: Signature::any(1, Volatility::Immutable),
            })
        }
        _ => return Expr::Cast(Cast { expr: inner, field }),
    };
    Expr::ScalarFunction(ScalarFunction::new_udf(Arc::new(udf), vec![*inner]))
}
