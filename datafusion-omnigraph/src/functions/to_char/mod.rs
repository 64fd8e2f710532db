//! `to_char(timestamp | date, template)` with PostgreSQL's template patterns (see
//! [`template`]) and `to_char(number, template)` (see [`number`]), in place of
//! DataFusion's `to_char` (chrono's `%Y` patterns). Other arguments (times, durations)
//! still go to DataFusion's.

pub mod number;
pub mod read;
pub mod template;

use std::sync::Arc;

use chrono::DateTime;
use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, StringBuilder, TimestampMicrosecondArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Decimal128Type, Float64Type, Int64Type, TimeUnit};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use number::Number;

/// The `to_char` function, to register over DataFusion's.
pub fn to_char() -> ScalarUDF {
    ScalarUDF::new_from_impl(ToChar {
        signature: Signature::user_defined(Volatility::Immutable),
    })
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct ToChar {
    signature: Signature,
}

/// Whether PostgreSQL's templates apply to values of `data_type`.
fn formats_itself(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Timestamp(_, _) | DataType::Date32 | DataType::Date64
    )
}

impl ScalarUDFImpl for ToChar {
    fn name(&self) -> &str {
        "to_char"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [value, template] = arg_types else {
            return plan_err!("to_char takes a value and a template");
        };
        if !(template.is_null() || template.is_string()) {
            return plan_err!("function to_char({value}, {template}) does not exist");
        }
        let value = match value {
            DataType::Decimal128(_, _) | DataType::Float64 | DataType::Int64 => value.clone(),
            DataType::Decimal32(p, s) | DataType::Decimal64(p, s) => DataType::Decimal128(*p, *s),
            t if t.is_integer() => DataType::Int64,
            t if t.is_floating() || t.is_null() || t.is_numeric() => DataType::Float64,
            DataType::Timestamp(_, _)
            | DataType::Date32
            | DataType::Date64
            | DataType::Time32(_)
            | DataType::Time64(_)
            | DataType::Duration(_) => value.clone(),
            _ => return plan_err!("function to_char({value}, {template}) does not exist"),
        };
        Ok(vec![value, DataType::Utf8])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(DataType::Utf8)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value, template] = args.args.as_slice() else {
            return exec_err!("to_char takes a value and a template");
        };
        if is_number(&value.data_type()) {
            return numbers(&args);
        }
        if !formats_itself(&value.data_type()) {
            return datafusion::functions::datetime::to_char().invoke_with_args(args);
        }
        let rows = args.number_rows;
        let scalar = matches!(
            (value, template),
            (ColumnarValue::Scalar(_), ColumnarValue::Scalar(_))
        );
        // A `timestamptz` is shown in UTC, the session's time zone (`SET TimeZone` is
        // recorded without effect), so `TZ` is `UTC`; a `timestamp` has no zone.
        let zone = match value.data_type() {
            DataType::Timestamp(_, Some(_)) => Some("UTC"),
            _ => None,
        };
        let values = value.to_array(rows)?;
        let micros = cast(&values, &DataType::Timestamp(TimeUnit::Microsecond, None))?;
        let Some(micros) = micros.as_any().downcast_ref::<TimestampMicrosecondArray>() else {
            return exec_err!("to_char: cannot read {} as a timestamp", values.data_type());
        };
        let templates = cast(&template.to_array(rows)?, &DataType::Utf8)?;
        let templates = datafusion::common::cast::as_string_array(&templates)?;
        let mut out = StringBuilder::new();
        for row in 0..micros.len() {
            if micros.is_null(row) || templates.is_null(row) {
                out.append_null();
                continue;
            }
            let Some(at) = DateTime::from_timestamp_micros(micros.value(row)) else {
                return exec_err!("to_char: timestamp out of range");
            };
            out.append_value(template::format(at.naive_utc(), zone, templates.value(row)));
        }
        let array: ArrayRef = Arc::new(out.finish());
        Ok(match scalar {
            true => ColumnarValue::Scalar(ScalarValue::try_from_array(&array, 0)?),
            false => ColumnarValue::Array(array),
        })
    }
}

fn is_number(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Int64 | DataType::Float64 | DataType::Decimal128(_, _)
    )
}

/// `to_char(number, template)` of every row.
fn numbers(args: &ScalarFunctionArgs) -> Result<ColumnarValue> {
    let rows = args.number_rows;
    let values = args.args[0].to_array(rows)?;
    let templates = cast(&args.args[1].to_array(rows)?, &DataType::Utf8)?;
    let templates = templates.as_string::<i32>();
    let number = |row: usize| match values.data_type() {
        DataType::Int64 => Number::Integer(values.as_primitive::<Int64Type>().value(row)),
        DataType::Decimal128(_, scale) => {
            Number::Decimal(values.as_primitive::<Decimal128Type>().value(row), *scale)
        }
        _ => Number::Float(values.as_primitive::<Float64Type>().value(row)),
    };
    let mut out = StringBuilder::new();
    for row in 0..values.len() {
        if values.is_null(row) || templates.is_null(row) {
            out.append_null();
            continue;
        }
        out.append_value(number::format(number(row), templates.value(row))?);
    }
    crate::functions::registry::result(&args.args, Arc::new(out.finish()))
}
