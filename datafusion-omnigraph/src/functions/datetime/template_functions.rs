//! `to_date(text, template)` and `to_timestamp(text, template)` with PostgreSQL's
//! template patterns (read by [`crate::functions::to_char::read`]), and
//! `to_timestamp(seconds)`, all answering in the session's zone (DataFusion's read
//! chrono's `%Y` formats and answer a timestamp without zone).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Date32Array, TimestampNanosecondArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{DataType, Float64Type};
use datafusion::common::{Result, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

use super::calendar::{MICROS_PER_DAY, NANOS_PER_MICRO};
use super::error::DatetimeError;
use super::input::parse_date_time;
use super::{SESSION_ZONE, timestamptz};
use crate::functions::registry::{argument, result};
use crate::functions::to_char::read::read;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    ToDate,
    ToTimestamp,
}

/// `to_date` and `to_timestamp`, to register over DataFusion's.
pub fn functions() -> Vec<ScalarUDF> {
    [Kind::ToDate, Kind::ToTimestamp]
        .into_iter()
        .map(|kind| {
            ScalarUDF::new_from_impl(TemplateFunction {
                kind,
                signature: Signature::user_defined(Volatility::Immutable),
            })
        })
        .collect()
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct TemplateFunction {
    kind: Kind,
    signature: Signature,
}

fn is_text(t: &DataType) -> bool {
    matches!(t, DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View)
}

fn out_of_range(text: &str) -> DatetimeError {
    DatetimeError::FieldOverflow(format!("timestamp out of range: \"{text}\""))
}

impl ScalarUDFImpl for TemplateFunction {
    fn name(&self) -> &str {
        match self.kind {
            Kind::ToDate => "to_date",
            Kind::ToTimestamp => "to_timestamp",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match (self.kind, arg_types) {
            (_, [_, _]) => Ok(vec![DataType::Utf8, DataType::Utf8]),
            // `to_timestamp(seconds since the epoch)`; text is read as a timestamp.
            (Kind::ToTimestamp, [t]) if is_text(t) => Ok(vec![DataType::Utf8]),
            (Kind::ToTimestamp, [_]) => Ok(vec![DataType::Float64]),
            _ => plan_err!("function {}() takes a text and a template", self.name()),
        }
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::ToDate => DataType::Date32,
            Kind::ToTimestamp => timestamptz(),
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let first = args.args.first().map(|a| a.data_type());
        let micros: Vec<Option<i64>> = match (args.args.len(), first) {
            (1, Some(DataType::Float64)) => {
                let seconds = argument(&args, 0, &DataType::Float64)?;
                seconds
                    .as_primitive::<Float64Type>()
                    .iter()
                    .map(|s| {
                        s.map(|s| {
                            let micros = (s * 1e6).round_ties_even();
                            if !micros.is_finite() || micros.abs() >= 9.2e18 {
                                return Err(out_of_range(&s.to_string()));
                            }
                            Ok(micros as i64)
                        })
                        .transpose()
                    })
                    .collect::<Result<_, DatetimeError>>()?
            }
            (1, _) => {
                let texts = cast(&argument(&args, 0, &DataType::Utf8)?, &DataType::Utf8)?;
                texts
                    .as_string::<i32>()
                    .iter()
                    .map(|t| {
                        t.map(|t| {
                            parse_date_time(t, "timestamp with time zone")?
                                .epoch_micros(true)
                                .ok_or_else(|| out_of_range(t))
                        })
                        .transpose()
                    })
                    .collect::<Result<_, DatetimeError>>()?
            }
            _ => {
                let texts = argument(&args, 0, &DataType::Utf8)?;
                let templates = argument(&args, 1, &DataType::Utf8)?;
                let (texts, templates) = (texts.as_string::<i32>(), templates.as_string::<i32>());
                (0..texts.len())
                    .map(|row| {
                        if texts.is_null(row) || templates.is_null(row) {
                            return Ok(None);
                        }
                        let text = texts.value(row);
                        let read = read(text, templates.value(row))?;
                        read.epoch_micros(true)
                            .map(Some)
                            .ok_or_else(|| out_of_range(text))
                    })
                    .collect::<Result<_, DatetimeError>>()?
            }
        };
        let out: ArrayRef = match self.kind {
            Kind::ToDate => Arc::new(Date32Array::from(
                micros
                    .into_iter()
                    .map(|m| m.map(|m| m.div_euclid(MICROS_PER_DAY) as i32))
                    .collect::<Vec<_>>(),
            )),
            Kind::ToTimestamp => {
                let nanos = micros
                    .into_iter()
                    .map(|m| {
                        m.map(|m| {
                            m.checked_mul(NANOS_PER_MICRO)
                                .ok_or_else(|| out_of_range(&m.to_string()))
                        })
                        .transpose()
                    })
                    .collect::<Result<Vec<_>, DatetimeError>>()?;
                Arc::new(TimestampNanosecondArray::from(nanos).with_timezone(SESSION_ZONE))
            }
        };
        result(&args.args, out)
    }
}
