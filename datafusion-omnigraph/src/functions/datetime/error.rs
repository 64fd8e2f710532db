//! What PostgreSQL refuses about dates, times and intervals, as typed errors (mapped to
//! SQLSTATEs by the front end).

use std::fmt;

use datafusion::error::DataFusionError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatetimeError {
    /// 22007: `invalid input syntax for type date: "not a date"`.
    InvalidFormat {
        type_name: &'static str,
        value: String,
    },
    /// 22007: a `to_date`/`to_timestamp` input that does not fit its template.
    TemplateMismatch(String),
    /// 22008: `date/time field value out of range: "2023-02-29"`, `date out of range for
    /// timestamp`.
    FieldOverflow(String),
    /// 22023: `unit "fortnight" not recognized for type date`.
    UnitNotRecognized { unit: String, type_name: String },
    /// 0A000: `unit "hour" not supported for type date`, infinite timestamps.
    NotSupported(String),
}

impl fmt::Display for DatetimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatetimeError::InvalidFormat { type_name, value } => {
                write!(f, "invalid input syntax for type {type_name}: \"{value}\"")
            }
            DatetimeError::TemplateMismatch(message)
            | DatetimeError::FieldOverflow(message)
            | DatetimeError::NotSupported(message) => f.write_str(message),
            DatetimeError::UnitNotRecognized { unit, type_name } => {
                write!(f, "unit \"{unit}\" not recognized for type {type_name}")
            }
        }
    }
}

impl std::error::Error for DatetimeError {}

impl From<DatetimeError> for DataFusionError {
    fn from(err: DatetimeError) -> Self {
        DataFusionError::External(Box::new(err))
    }
}
