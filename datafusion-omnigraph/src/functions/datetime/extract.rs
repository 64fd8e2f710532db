//! `extract(field FROM source)` answers a `numeric` (with the fraction of seconds:
//! `1.500000`), `date_part(text, source)` a `double precision`, as in PostgreSQL 15;
//! DataFusion answers an integer for both and drops the fraction. [`ExtractPlanner`]
//! plans `extract` as [`extract`]; the `date_part` of the function registry is
//! [`date_part`].

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, Decimal128Array, Float64Array};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Date32Type, Field, FieldRef, Int64Type, IntervalMonthDayNanoType, IntervalUnit,
    TimeUnit,
};
use datafusion::common::{Result, ScalarValue, exec_err, plan_err};
use datafusion::logical_expr::{
    ColumnarValue, ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
    Volatility,
};

use super::calendar::{MICROS_PER_DAY, NANOS_PER_MICRO};
use super::fields::{Source, Unit, Value, field, scale, unit};

/// What the function answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Answer {
    /// `extract`: `numeric`.
    Numeric,
    /// `date_part`: `double precision`.
    Double,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct DatePart {
    answer: Answer,
    signature: Signature,
    aliases: Vec<String>,
}

/// PostgreSQL's `extract`, for the analyzer to put in place of DataFusion's.
pub fn extract() -> ScalarUDF {
    ScalarUDF::new_from_impl(DatePart {
        answer: Answer::Numeric,
        signature: Signature::user_defined(Volatility::Immutable),
        aliases: vec![],
    })
}

/// PostgreSQL's `date_part`, registered over DataFusion's.
pub fn date_part() -> ScalarUDF {
    ScalarUDF::new_from_impl(DatePart {
        answer: Answer::Double,
        signature: Signature::user_defined(Volatility::Immutable),
        aliases: vec!["datepart".to_string()],
    })
}

fn source_of(t: &DataType) -> Option<Source> {
    Some(match t {
        DataType::Date32 | DataType::Date64 => Source::Date,
        DataType::Timestamp(_, zone) => Source::Timestamp {
            zoned: zone.is_some(),
        },
        DataType::Time32(_) | DataType::Time64(_) => Source::Time,
        DataType::Interval(_) | DataType::Duration(_) => Source::Interval,
        _ => return None,
    })
}

fn unit_name(value: Option<&ScalarValue>) -> Option<String> {
    value?.try_as_str().flatten().map(str::to_string)
}

/// The microseconds since the epoch (or since midnight, for times) of each value; an
/// interval's parts.
fn values(array: &ArrayRef) -> Result<Vec<Option<Value>>> {
    let rounded = |nanos: i64| (nanos + NANOS_PER_MICRO / 2).div_euclid(NANOS_PER_MICRO);
    Ok(match array.data_type() {
        DataType::Date32 | DataType::Date64 => {
            let days = cast(array, &DataType::Date32)?;
            days.as_primitive::<Date32Type>()
                .iter()
                .map(|d| d.map(|d| Value::Stamp(i64::from(d) * MICROS_PER_DAY)))
                .collect()
        }
        DataType::Timestamp(unit, _) | DataType::Time64(unit) | DataType::Time32(unit) => {
            let is_time = !matches!(array.data_type(), DataType::Timestamp(..));
            let raw = match array.data_type() {
                DataType::Time32(_) => cast(&cast(array, &DataType::Int32)?, &DataType::Int64)?,
                _ => cast(array, &DataType::Int64)?,
            };
            raw.as_primitive::<Int64Type>()
                .iter()
                .map(|v| {
                    v.map(|v| {
                        let micros = match unit {
                            TimeUnit::Second => v * 1_000_000,
                            TimeUnit::Millisecond => v * 1_000,
                            TimeUnit::Microsecond => v,
                            TimeUnit::Nanosecond => rounded(v),
                        };
                        if is_time {
                            Value::Time(micros)
                        } else {
                            Value::Stamp(micros)
                        }
                    })
                })
                .collect()
        }
        DataType::Interval(_) | DataType::Duration(_) => {
            let intervals = cast(array, &DataType::Interval(IntervalUnit::MonthDayNano))?;
            intervals
                .as_primitive::<IntervalMonthDayNanoType>()
                .iter()
                .map(|v| {
                    v.map(|v| Value::Interval {
                        months: i64::from(v.months),
                        days: i64::from(v.days),
                        micros: v.nanoseconds / NANOS_PER_MICRO,
                    })
                })
                .collect()
        }
        other => return exec_err!("cannot extract a field from {other}"),
    })
}

impl DatePart {
    fn unit_and_source(&self, name: Option<String>, t: &DataType) -> Result<(Unit, Source)> {
        let Some(name) = name else {
            return plan_err!("the field of {} must be a constant", self.name());
        };
        let Some(source) = source_of(t) else {
            return plan_err!("cannot extract a field from {t}");
        };
        Ok((unit(&name, source)?, source))
    }
}

impl ScalarUDFImpl for DatePart {
    fn name(&self) -> &str {
        match self.answer {
            Answer::Numeric => "extract",
            Answer::Double => "date_part",
        }
    }

    fn aliases(&self) -> &[String] {
        &self.aliases
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        let [_, source] = arg_types else {
            return plan_err!("{} takes two arguments", self.name());
        };
        let source = match source {
            t if source_of(t).is_some() => t.clone(),
            // An untyped literal is read as a timestamp.
            _ => DataType::Timestamp(TimeUnit::Nanosecond, None),
        };
        Ok(vec![DataType::Utf8, source])
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        plan_err!("return_field_from_args answers for {}", self.name())
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let name = unit_name(args.scalar_arguments.first().copied().flatten());
        let Some(source) = args.arg_fields.get(1) else {
            return plan_err!("{} takes two arguments", self.name());
        };
        let (unit, source_kind) = self.unit_and_source(name, source.data_type())?;
        let data_type = match self.answer {
            Answer::Numeric => DataType::Decimal128(38, scale(unit, source_kind)),
            Answer::Double => DataType::Float64,
        };
        Ok(Arc::new(Field::new(
            self.name(),
            data_type,
            source.is_nullable(),
        )))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let [ColumnarValue::Scalar(name), source] = args.args.as_slice() else {
            return exec_err!("the field of {} must be a constant", self.name());
        };
        let array = source.to_array(args.number_rows.max(1))?;
        let (unit, source_kind) = self.unit_and_source(unit_name(Some(name)), array.data_type())?;
        let places = scale(unit, source_kind);
        let fields = values(&array)?
            .into_iter()
            .map(|v| v.map(|v| field(unit, source_kind, v)));
        let out: ArrayRef = match self.answer {
            Answer::Numeric => Arc::new(
                fields
                    .collect::<Decimal128Array>()
                    .with_precision_and_scale(38, places)?,
            ),
            Answer::Double => {
                let divisor = 10_f64.powi(i32::from(places));
                Arc::new(
                    fields
                        .map(|v| v.map(|v| v as f64 / divisor))
                        .collect::<Float64Array>(),
                )
            }
        };
        debug_assert_eq!(out.len(), array.len());
        crate::functions::registry::result(&args.args, out)
    }
}

/// Plans `extract(field FROM source)` as PostgreSQL's [`extract`].
#[derive(Debug, Default)]
pub struct ExtractPlanner;

impl datafusion::logical_expr::planner::ExprPlanner for ExtractPlanner {
    fn plan_extract(
        &self,
        args: Vec<datafusion::logical_expr::Expr>,
    ) -> Result<datafusion::logical_expr::planner::PlannerResult<Vec<datafusion::logical_expr::Expr>>>
    {
        Ok(datafusion::logical_expr::planner::PlannerResult::Planned(
            datafusion::logical_expr::Expr::ScalarFunction(
                datafusion::logical_expr::expr::ScalarFunction::new_udf(Arc::new(extract()), args),
            ),
        ))
    }
}
