//! `make_date`, `make_timestamp`, `make_timestamptz` and `make_interval` as PostgreSQL
//! has them: a day or time that does not exist is 22008 (DataFusion's `make_date`
//! reports an internal error; the others it lacks).

use std::sync::Arc;

use datafusion::arrow::array::{
    Array, ArrayRef, AsArray, Date32Array, IntervalMonthDayNanoArray, TimestampNanosecondArray,
};
use datafusion::arrow::datatypes::{
    DataType, Float64Type, Int64Type, IntervalMonthDayNano, IntervalUnit, TimeUnit,
};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::calendar::{MICROS_PER_DAY, MICROS_PER_SECOND, NANOS_PER_MICRO, checked_days};
use super::error::DatetimeError;
use super::timestamptz;
use crate::functions::errors::FunctionError;
use crate::functions::registry::{argument, result};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    /// `make_date(year, month, day)`
    Date,
    /// `make_timestamp(year, month, day, hour, min, sec)`
    Timestamp,
    /// `make_timestamptz(year, month, day, hour, min, sec [, timezone])`
    TimestampTz,
    /// `make_interval(years, months, weeks, days, hours, mins, secs)`, trailing ones
    /// optional.
    Interval,
}

const INTERVAL_PARAMETERS: [&str; 7] =
    ["years", "months", "weeks", "days", "hours", "mins", "secs"];

/// The constructors, to register.
pub fn functions() -> Vec<ScalarUDF> {
    [
        Kind::Date,
        Kind::Timestamp,
        Kind::TimestampTz,
        Kind::Interval,
    ]
    .into_iter()
    .map(|kind| {
        let signature = Signature::user_defined(Volatility::Immutable);
        let signature = match kind {
            Kind::Interval => signature
                .with_parameter_names(INTERVAL_PARAMETERS.to_vec())
                .expect("a user-defined signature takes names"),
            _ => signature,
        };
        ScalarUDF::new_from_impl(Constructor { kind, signature })
    })
    .collect()
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct Constructor {
    kind: Kind,
    signature: Signature,
}

impl Constructor {
    /// The parameters' types: integers but the seconds (and the zone).
    fn parameters(&self, count: usize) -> Result<Vec<DataType>> {
        let (min, max) = match self.kind {
            Kind::Date => (3, 3),
            Kind::Timestamp => (6, 6),
            Kind::TimestampTz => (6, 7),
            Kind::Interval => (0, 7),
        };
        if count < min || count > max {
            return plan_err!("function {}() takes {min} to {max} arguments", self.name());
        }
        Ok((0..count)
            .map(|i| match (self.kind, i) {
                (Kind::Interval, 6) | (Kind::Timestamp | Kind::TimestampTz, 5) => DataType::Float64,
                (Kind::TimestampTz, 6) => DataType::Utf8,
                _ => DataType::Int64,
            })
            .collect())
    }
}

fn date_days(year: i64, month: i64, day: i64) -> Result<i64, DatetimeError> {
    let shown = format!("{year}-{month:02}-{day:02}");
    let overflow =
        || DatetimeError::FieldOverflow(format!("date field value out of range: {shown}"));
    if year == 0 {
        return Err(overflow());
    }
    // Negative years are BC: -44 is 44 BC, year -43 of the proleptic calendar.
    let year = if year < 0 { year + 1 } else { year };
    let (Ok(month), Ok(day)) = (u32::try_from(month), u32::try_from(day)) else {
        return Err(overflow());
    };
    checked_days(year, month, day).ok_or_else(overflow)
}

fn time_micros(hour: i64, minute: i64, second: f64) -> Result<i64, DatetimeError> {
    let micros = (second * 1e6).round_ties_even() as i64;
    if !(0..24).contains(&hour) || !(0..60).contains(&minute) || !(0..60_000_000).contains(&micros)
    {
        return Err(DatetimeError::FieldOverflow(format!(
            "time field value out of range: {hour}:{minute:02}:{second:02}"
        )));
    }
    Ok((hour * 3600 + minute * 60) * MICROS_PER_SECOND + micros)
}

/// Seconds east of UTC of a zone written as an offset (`+02`, `-05:30`) or `UTC`.
fn zone_offset(zone: &str) -> Result<i64, DatetimeError> {
    let unsupported = || {
        DatetimeError::NotSupported(format!(
            "time zone \"{zone}\" is not supported: only UTC and numeric offsets are"
        ))
    };
    let trimmed = zone.trim();
    if ["utc", "gmt", "z", "zulu", "etc/utc"].contains(&trimmed.to_ascii_lowercase().as_str()) {
        return Ok(0);
    }
    let (sign, rest) = match trimmed.as_bytes().first() {
        Some(b'+') => (1, &trimmed[1..]),
        Some(b'-') => (-1, &trimmed[1..]),
        _ => return Err(unsupported()),
    };
    let (hours, minutes) = rest.split_once(':').unwrap_or((rest, "0"));
    let hours: i64 = hours.parse().map_err(|_| unsupported())?;
    let minutes: i64 = minutes.parse().map_err(|_| unsupported())?;
    Ok(sign * (hours * 3600 + minutes * 60))
}

impl ScalarUDFImpl for Constructor {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Date => "make_date",
            Kind::Timestamp => "make_timestamp",
            Kind::TimestampTz => "make_timestamptz",
            Kind::Interval => "make_interval",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        self.parameters(arg_types.len())
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::Date => DataType::Date32,
            Kind::Timestamp => DataType::Timestamp(TimeUnit::Nanosecond, None),
            Kind::TimestampTz => timestamptz(),
            Kind::Interval => DataType::Interval(IntervalUnit::MonthDayNano),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let types = self.parameters(args.args.len())?;
        let columns = types
            .iter()
            .enumerate()
            .map(|(i, t)| argument(&args, i, t))
            .collect::<Result<Vec<ArrayRef>>>()?;
        let rows = args.number_rows.max(1);
        let int = |i: usize, row: usize| -> Option<i64> {
            let column = columns.get(i)?;
            (!column.is_null(row)).then(|| column.as_primitive::<Int64Type>().value(row))
        };
        let float = |i: usize, row: usize| -> Option<f64> {
            let column = columns.get(i)?;
            (!column.is_null(row)).then(|| column.as_primitive::<Float64Type>().value(row))
        };
        let any_null = |row: usize| columns.iter().any(|c| c.is_null(row));
        let out: ArrayRef = match self.kind {
            Kind::Date => {
                let days = (0..rows)
                    .map(|row| {
                        if any_null(row) {
                            return Ok(None);
                        }
                        let (y, m, d) = (
                            int(0, row).unwrap_or(0),
                            int(1, row).unwrap_or(0),
                            int(2, row).unwrap_or(0),
                        );
                        let days = date_days(y, m, d).map_err(|_| {
                            FunctionError::DateOutOfRange(format!("{y}-{m:02}-{d:02}"))
                        })?;
                        Ok(Some(days as i32))
                    })
                    .collect::<Result<Vec<_>>>()?;
                Arc::new(Date32Array::from(days))
            }
            Kind::Timestamp | Kind::TimestampTz => {
                let values = (0..rows)
                    .map(|row| {
                        if any_null(row) {
                            return Ok(None);
                        }
                        let field = |i| int(i, row).unwrap_or(0);
                        let days = date_days(field(0), field(1), field(2))?;
                        let micros = time_micros(field(3), field(4), float(5, row).unwrap_or(0.0))?;
                        let offset = match columns.get(6) {
                            Some(zones) => zone_offset(zones.as_string::<i32>().value(row))?,
                            None => 0,
                        };
                        let local = days * MICROS_PER_DAY + micros - offset * MICROS_PER_SECOND;
                        local.checked_mul(NANOS_PER_MICRO).map(Some).ok_or_else(|| {
                            DatetimeError::FieldOverflow("timestamp out of range".to_string())
                        })
                    })
                    .collect::<Result<Vec<_>, DatetimeError>>()?;
                let array = TimestampNanosecondArray::from(values);
                Arc::new(match self.kind {
                    Kind::TimestampTz => array.with_timezone(super::SESSION_ZONE),
                    _ => array,
                })
            }
            Kind::Interval => {
                let values: IntervalMonthDayNanoArray = (0..rows)
                    .map(|row| {
                        if any_null(row) {
                            return None;
                        }
                        let field = |i| int(i, row).unwrap_or(0);
                        let months = field(0) * 12 + field(1);
                        let days = field(2) * 7 + field(3);
                        let micros = (field(4) * 3600 + field(5) * 60) * MICROS_PER_SECOND
                            + (float(6, row).unwrap_or(0.0) * 1e6).round_ties_even() as i64;
                        Some(IntervalMonthDayNano::new(
                            months as i32,
                            days as i32,
                            micros * NANOS_PER_MICRO,
                        ))
                    })
                    .collect();
                Arc::new(values)
            }
        };
        result(&args.args, out)
    }
}
