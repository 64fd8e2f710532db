//! Casts to `date`, `timestamp` and `interval` as PostgreSQL performs them: text through
//! [`super::input`] and [`super::interval_input`] (22007 for text that is no date, 22008 for a field out of range), and
//! a `date` to a `timestamp` refused with 22008 where the timestamp cannot hold it (Arrow
//! reports a cast error without a class).

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, AsArray, Date32Array, IntervalMonthDayNanoArray, PrimitiveArray,
};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Date32Type, IntervalUnit, TimeUnit, TimestampMicrosecondType,
    TimestampMillisecondType, TimestampNanosecondType, TimestampSecondType,
};
use datafusion::common::{DFSchema, Result, exec_err};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    Cast, ColumnarValue, Expr, ExprSchemable, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl,
    Signature, Volatility,
};

use super::calendar::{MICROS_PER_DAY, NANOS_PER_MICRO};
use super::error::DatetimeError;
use super::input::parse_date_time;
use super::interval_input::parse_interval;
use crate::functions::registry::result;

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

/// A cast from text to a date or timestamp, or from a date to a timestamp, as the
/// checked function below; other expressions unchanged.
pub fn checked_cast(expr: Expr, schema: &DFSchema) -> Expr {
    let Expr::Cast(Cast { expr: inner, field }) = expr else {
        return expr;
    };
    let from = inner.get_type(schema).ok();
    let to = field.data_type();
    let checked = field.metadata().is_empty()
        && match (&from, to) {
            (Some(from), DataType::Date32 | DataType::Timestamp(_, _)) if is_text(from) => true,
            (Some(from), DataType::Interval(IntervalUnit::MonthDayNano)) if is_text(from) => true,
            (Some(DataType::Date32), DataType::Timestamp(_, _)) => true,
            _ => false,
        };
    if !checked {
        return Expr::Cast(Cast { expr: inner, field });
    }
    let udf = ScalarUDF::new_from_impl(DatetimeCast {
        target: to.clone(),
        signature: Signature::any(1, Volatility::Immutable),
    });
    Expr::ScalarFunction(ScalarFunction::new_udf(Arc::new(udf), vec![*inner]))
}

/// Type names as PostgreSQL's errors spell them.
pub fn type_name(t: &DataType) -> &'static str {
    match t {
        DataType::Date32 | DataType::Date64 => "date",
        DataType::Timestamp(_, Some(_)) => "timestamp with time zone",
        DataType::Timestamp(_, None) => "timestamp without time zone",
        DataType::Time32(_) | DataType::Time64(_) => "time without time zone",
        DataType::Interval(_) | DataType::Duration(_) => "interval",
        _ => "text",
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct DatetimeCast {
    target: DataType,
    signature: Signature,
}

/// Microseconds since the epoch in `unit`, or `None` where it does not fit.
fn in_unit(micros: i64, unit: TimeUnit) -> Option<i64> {
    match unit {
        TimeUnit::Second => Some(micros.div_euclid(1_000_000)),
        TimeUnit::Millisecond => Some(micros.div_euclid(1_000)),
        TimeUnit::Microsecond => Some(micros),
        TimeUnit::Nanosecond => micros.checked_mul(NANOS_PER_MICRO),
    }
}

fn timestamps(values: Vec<Option<i64>>, unit: TimeUnit, zone: Option<Arc<str>>) -> ArrayRef {
    match unit {
        TimeUnit::Second => {
            Arc::new(PrimitiveArray::<TimestampSecondType>::from(values).with_timezone_opt(zone))
        }
        TimeUnit::Millisecond => Arc::new(
            PrimitiveArray::<TimestampMillisecondType>::from(values).with_timezone_opt(zone),
        ),
        TimeUnit::Microsecond => Arc::new(
            PrimitiveArray::<TimestampMicrosecondType>::from(values).with_timezone_opt(zone),
        ),
        TimeUnit::Nanosecond => Arc::new(
            PrimitiveArray::<TimestampNanosecondType>::from(values).with_timezone_opt(zone),
        ),
    }
}

impl DatetimeCast {
    fn read_text(&self, texts: &ArrayRef) -> Result<ArrayRef> {
        let texts = cast(texts, &DataType::Utf8)?;
        let texts = texts.as_string::<i32>();
        let type_name = type_name(&self.target);
        match &self.target {
            DataType::Date32 => {
                let days = texts
                    .iter()
                    .map(|t| {
                        t.map(|t| {
                            let read = parse_date_time(t, type_name)?;
                            i32::try_from(read.days).map_err(|_| {
                                DatetimeError::FieldOverflow(format!("date out of range: \"{t}\""))
                            })
                        })
                        .transpose()
                    })
                    .collect::<Result<Vec<_>, DatetimeError>>()?;
                Ok(Arc::new(Date32Array::from(days)))
            }
            DataType::Timestamp(unit, zone) => {
                let values = texts
                    .iter()
                    .map(|t| {
                        t.map(|t| {
                            let read = parse_date_time(t, type_name)?;
                            read.epoch_micros(zone.is_some())
                                .and_then(|micros| in_unit(micros, *unit))
                                .ok_or_else(|| {
                                    DatetimeError::FieldOverflow(format!(
                                        "timestamp out of range: \"{t}\""
                                    ))
                                })
                        })
                        .transpose()
                    })
                    .collect::<Result<Vec<_>, DatetimeError>>()?;
                Ok(timestamps(values, *unit, zone.clone()))
            }
            DataType::Interval(_) => {
                let intervals = texts
                    .iter()
                    .map(|t| t.map(parse_interval).transpose())
                    .collect::<Result<IntervalMonthDayNanoArray, DatetimeError>>()?;
                Ok(Arc::new(intervals))
            }
            other => exec_err!("no date/time cast to {other}"),
        }
    }

    fn read_date(&self, dates: &ArrayRef) -> Result<ArrayRef> {
        let DataType::Timestamp(unit, zone) = &self.target else {
            return exec_err!("no date cast to {}", self.target);
        };
        let values = dates
            .as_primitive::<Date32Type>()
            .iter()
            .map(|d| {
                d.map(|d| {
                    i64::from(d)
                        .checked_mul(MICROS_PER_DAY)
                        .and_then(|micros| in_unit(micros, *unit))
                        .ok_or_else(|| {
                            DatetimeError::FieldOverflow("date out of range for timestamp".into())
                        })
                })
                .transpose()
            })
            .collect::<Result<Vec<_>, DatetimeError>>()?;
        Ok(timestamps(values, *unit, zone.clone()))
    }
}

impl ScalarUDFImpl for DatetimeCast {
    fn name(&self) -> &str {
        "pg_datetime_cast"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.target.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [value] = args.args.as_slice() else {
            return exec_err!("pg_datetime_cast takes one argument");
        };
        let values = value.to_array(args.number_rows.max(1))?;
        let out = match values.data_type() {
            DataType::Date32 => self.read_date(&values)?,
            DataType::Null => datafusion::arrow::array::new_null_array(&self.target, values.len()),
            _ => self.read_text(&values)?,
        };
        result(&args.args, out)
    }
}
