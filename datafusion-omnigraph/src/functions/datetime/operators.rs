//! Operators on dates, times and intervals DataFusion types unlike PostgreSQL, planned as
//! PostgreSQL types them (an expression planner, so the operands' types decide before
//! DataFusion's coercion does):
//! - `date ± integer` is a `date` and `date - date` an `integer` (DataFusion answers a
//!   timestamp and a bigint);
//! - `time ± interval` is a `time` (DataFusion answers an interval);
//! - `interval * number`, `number * interval` and `interval / number` scale an interval
//!   as PostgreSQL does, months and days carrying their fractions down (DataFusion
//!   refuses them).

use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, AsArray, IntervalMonthDayNanoArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::{
    DataType, Float64Type, Int64Type, IntervalMonthDayNano, IntervalMonthDayNanoType, IntervalUnit,
    TimeUnit,
};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{
    BinaryExpr, Cast, ColumnarValue, Expr, ExprSchemable, Operator, ScalarFunctionArgs, ScalarUDF,
    ScalarUDFImpl, Signature, Volatility,
};
use datafusion::sql::sqlparser::ast::BinaryOperator;

use super::calendar::NANOS_PER_MICRO;
use crate::functions::registry::{argument, result};
use crate::numbers::NumericError;

const INTERVAL: DataType = DataType::Interval(IntervalUnit::MonthDayNano);
const NANOS_PER_DAY: i64 = 86_400_000_000_000;

fn is_date(t: &DataType) -> bool {
    matches!(t, DataType::Date32 | DataType::Date64)
}

fn is_time(t: &DataType) -> bool {
    matches!(t, DataType::Time32(_) | DataType::Time64(_))
}

fn is_interval(t: &DataType) -> bool {
    matches!(t, DataType::Interval(_))
}

fn cast_expr(expr: Expr, to: DataType) -> Expr {
    Expr::Cast(Cast::new(Box::new(expr), to))
}

fn binary(left: Expr, op: Operator, right: Expr) -> Expr {
    Expr::BinaryExpr(BinaryExpr::new(Box::new(left), op, Box::new(right)))
}

fn call(udf: impl ScalarUDFImpl + 'static, args: Vec<Expr>) -> Expr {
    Expr::ScalarFunction(ScalarFunction::new_udf(
        Arc::new(ScalarUDF::new_from_impl(udf)),
        args,
    ))
}

/// A date's days since 1970-01-01.
fn days(date: Expr) -> Expr {
    cast_expr(cast_expr(date, DataType::Date32), DataType::Int32)
}

#[derive(Debug, Default)]
pub struct DatetimeOperators;

impl ExprPlanner for DatetimeOperators {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        schema: &DFSchema,
    ) -> Result<PlannerResult<RawBinaryExpr>> {
        let (Ok(l), Ok(r)) = (expr.left.get_type(schema), expr.right.get_type(schema)) else {
            return Ok(PlannerResult::Original(expr));
        };
        let RawBinaryExpr { op, left, right } = expr;
        let planned = match op {
            BinaryOperator::Plus if is_date(&l) && r.is_integer() => cast_expr(
                binary(
                    days(left),
                    Operator::Plus,
                    cast_expr(right, DataType::Int32),
                ),
                DataType::Date32,
            ),
            BinaryOperator::Plus if l.is_integer() && is_date(&r) => cast_expr(
                binary(
                    cast_expr(left, DataType::Int32),
                    Operator::Plus,
                    days(right),
                ),
                DataType::Date32,
            ),
            BinaryOperator::Minus if is_date(&l) && r.is_integer() => cast_expr(
                binary(
                    days(left),
                    Operator::Minus,
                    cast_expr(right, DataType::Int32),
                ),
                DataType::Date32,
            ),
            BinaryOperator::Minus if is_date(&l) && is_date(&r) => {
                binary(days(left), Operator::Minus, days(right))
            }
            BinaryOperator::Plus | BinaryOperator::Minus if is_time(&l) && is_interval(&r) => {
                let sign = if op == BinaryOperator::Plus { 1 } else { -1 };
                call(TimeShift::new(l.clone(), sign), vec![left, right])
            }
            BinaryOperator::Plus if is_interval(&l) && is_time(&r) => {
                call(TimeShift::new(r.clone(), 1), vec![right, left])
            }
            BinaryOperator::Multiply if is_interval(&l) && r.is_numeric() => {
                call(IntervalScale::new(false), vec![left, right])
            }
            BinaryOperator::Multiply if l.is_numeric() && is_interval(&r) => {
                call(IntervalScale::new(false), vec![right, left])
            }
            BinaryOperator::Divide if is_interval(&l) && r.is_numeric() => {
                call(IntervalScale::new(true), vec![left, right])
            }
            op => return Ok(PlannerResult::Original(RawBinaryExpr { op, left, right })),
        };
        Ok(PlannerResult::Planned(planned))
    }
}

/// `time ± interval`: the interval's time part added to the time of day, around midnight
/// (its months and days do not change a time).
#[derive(Debug, PartialEq, Eq, Hash)]
struct TimeShift {
    time_type: DataType,
    sign: i64,
    signature: Signature,
}

impl TimeShift {
    fn new(time_type: DataType, sign: i64) -> Self {
        TimeShift {
            time_type,
            sign,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

impl ScalarUDFImpl for TimeShift {
    fn name(&self) -> &str {
        if self.sign > 0 {
            "time_pl_interval"
        } else {
            "time_mi_interval"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(self.time_type.clone())
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let nanos_type = DataType::Time64(TimeUnit::Nanosecond);
        let times = argument(&args, 0, &nanos_type)?;
        let times = cast(&times, &DataType::Int64)?;
        let intervals = argument(&args, 1, &INTERVAL)?;
        let (times, intervals) = (
            times.as_primitive::<Int64Type>(),
            intervals.as_primitive::<IntervalMonthDayNanoType>(),
        );
        let shifted: datafusion::arrow::array::Int64Array = (0..times.len())
            .map(|i| {
                if times.is_null(i) || intervals.is_null(i) {
                    return None;
                }
                let moved =
                    times.value(i) + self.sign * (intervals.value(i).nanoseconds % NANOS_PER_DAY);
                Some(moved.rem_euclid(NANOS_PER_DAY))
            })
            .collect();
        let as_time = cast(&cast(&shifted, &nanos_type)?, &self.time_type)?;
        result(&args.args, as_time)
    }
}

/// `interval * factor` (or `/ factor`), as PostgreSQL's `interval_mul`/`interval_div`.
#[derive(Debug, PartialEq, Eq, Hash)]
struct IntervalScale {
    divide: bool,
    signature: Signature,
}

impl IntervalScale {
    fn new(divide: bool) -> Self {
        IntervalScale {
            divide,
            signature: Signature::any(2, Volatility::Immutable),
        }
    }
}

/// Rounded to microseconds, as PostgreSQL's `TSROUND`.
fn ts_round(value: f64) -> f64 {
    (value * 1e6).round_ties_even() / 1e6
}

/// `span` times `factor` (or divided by it), PostgreSQL's algorithm: the fractions of
/// months become days (30 a month) and those of days become time.
pub fn scale_interval(
    span: IntervalMonthDayNano,
    factor: f64,
    divide: bool,
) -> Result<IntervalMonthDayNano> {
    let apply = |v: f64| if divide { v / factor } else { v * factor };
    let months = apply(f64::from(span.months));
    let days = apply(f64::from(span.days));
    if !months.is_finite() || months.abs() > f64::from(i32::MAX) || days.abs() > f64::from(i32::MAX)
    {
        return Err(NumericError::IntegerOutOfRange(crate::numbers::IntegerType::Integer).into());
    }
    let (result_months, mut result_days) = (months.trunc(), days.trunc());
    let month_remainder_days = ts_round((months - result_months) * 30.0);
    let mut sec_remainder = ts_round(
        (days - result_days + month_remainder_days - month_remainder_days.trunc()) * 86_400.0,
    );
    if sec_remainder.abs() >= 86_400.0 {
        let whole = (sec_remainder / 86_400.0).trunc();
        result_days += whole;
        sec_remainder -= whole * 86_400.0;
    }
    result_days += month_remainder_days.trunc();
    let micros = apply(span.nanoseconds as f64 / NANOS_PER_MICRO as f64) + sec_remainder * 1e6;
    Ok(IntervalMonthDayNano::new(
        result_months as i32,
        result_days as i32,
        micros.round_ties_even() as i64 * NANOS_PER_MICRO,
    ))
}

impl ScalarUDFImpl for IntervalScale {
    fn name(&self) -> &str {
        if self.divide {
            "interval_div"
        } else {
            "interval_mul"
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(INTERVAL)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let spans = argument(&args, 0, &INTERVAL)?;
        let factors = argument(&args, 1, &DataType::Float64)?;
        let (spans, factors) = (
            spans.as_primitive::<IntervalMonthDayNanoType>(),
            factors.as_primitive::<Float64Type>(),
        );
        let scaled = (0..spans.len())
            .map(|i| {
                if spans.is_null(i) || factors.is_null(i) {
                    return Ok(None);
                }
                let factor = factors.value(i);
                if self.divide && factor == 0.0 {
                    return Err(NumericError::DivisionByZero.into());
                }
                scale_interval(spans.value(i), factor, self.divide).map(Some)
            })
            .collect::<Result<IntervalMonthDayNanoArray>>()?;
        let scaled: ArrayRef = Arc::new(scaled);
        result(&args.args, scaled)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_scale_as_postgres_scales_them() {
        let hour = 3_600_000_000_000;
        let iv = |m, d, n| IntervalMonthDayNano::new(m, d, n);
        assert_eq!(
            scale_interval(iv(0, 0, hour), 3.0, false).unwrap(),
            iv(0, 0, 3 * hour)
        );
        // '1 mon' * 1.5 = '1 mon 15 days'
        assert_eq!(
            scale_interval(iv(1, 0, 0), 1.5, false).unwrap(),
            iv(1, 15, 0)
        );
        // '1 day' / 2 = '12:00:00'
        assert_eq!(
            scale_interval(iv(0, 1, 0), 2.0, true).unwrap(),
            iv(0, 0, 12 * hour)
        );
    }
}
