//! Date, timestamp and interval operators as PostgreSQL computes them. An analyzer rule
//! (after type coercion, so operand types are final) rewrites:
//! - interval comparisons to compare PostgreSQL's interval keys, where a month is 30 days
//!   and a day 24 hours (`INTERVAL '1 day' = INTERVAL '24 hours'`);
//! - `date ± interval` to a `timestamp` (DataFusion keeps a date).
//!
//! `pg_timestamp_difference` (an interval of days and time for `timestamp - timestamp`)
//! is not wired in yet: over the wire it answered NULL (see known-gaps).

use std::sync::Arc;

use datafusion::arrow::array::{Array, AsArray, Decimal128Array, IntervalMonthDayNanoArray};
use datafusion::arrow::datatypes::{
    DataType, IntervalMonthDayNano, IntervalMonthDayNanoType, IntervalUnit, TimeUnit,
    TimestampNanosecondType,
};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{
    BinaryExpr, Cast, ColumnarValue, Expr, ExprSchemable, LogicalPlan, Operator,
    ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};
use datafusion::optimizer::analyzer::AnalyzerRule;

use super::registry::{argument, result};

const NANOS_PER_DAY: i128 = 86_400_000_000_000;
const INTERVAL: DataType = DataType::Interval(IntervalUnit::MonthDayNano);
const TIMESTAMP: DataType = DataType::Timestamp(TimeUnit::Nanosecond, None);

#[derive(Debug, Default)]
pub struct PostgresIntervals;

impl AnalyzerRule for PostgresIntervals {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| {
            let schema = merge_schema(&plan.inputs());
            let names = NamePreserver::new(&plan);
            let rewritten = plan.map_expressions(|expr| {
                let name = names.save(&expr);
                let rewritten = expr.transform_up(|e| rewrite(e, &schema))?;
                Ok(rewritten.update_data(|e| name.restore(e)))
            })?;
            match rewritten.transformed {
                true => rewritten.map_data(|plan| plan.recompute_schema()),
                false => Ok(rewritten),
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "postgres_intervals"
    }
}

fn is_interval(t: &DataType) -> bool {
    matches!(t, DataType::Interval(_))
}

fn is_comparison(op: Operator) -> bool {
    matches!(
        op,
        Operator::Eq
            | Operator::NotEq
            | Operator::Lt
            | Operator::LtEq
            | Operator::Gt
            | Operator::GtEq
            | Operator::IsDistinctFrom
            | Operator::IsNotDistinctFrom
    )
}

fn is_date(t: &DataType) -> bool {
    matches!(t, DataType::Date32 | DataType::Date64)
}

fn cast(expr: Expr, to: DataType) -> Expr {
    Expr::Cast(Cast::new(Box::new(expr), to))
}

fn call(kind: Kind, args: Vec<Expr>) -> Expr {
    Expr::ScalarFunction(ScalarFunction::new_udf(
        Arc::new(ScalarUDF::new_from_impl(IntervalFunction {
            kind,
            signature: Signature::any(args.len(), Volatility::Immutable),
        })),
        args,
    ))
}

fn rewrite(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    if matches!(expr, Expr::ScalarFunction(_)) {
        return super::datetime::rewrite_function(expr, schema);
    }
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = &expr else {
        return Ok(Transformed::no(expr));
    };
    let (Ok(l), Ok(r)) = (left.get_type(schema), right.get_type(schema)) else {
        return Ok(Transformed::no(expr));
    };
    let (left, right, op) = (left.as_ref().clone(), right.as_ref().clone(), *op);
    let rewritten = match op {
        _ if is_comparison(op) && is_interval(&l) && is_interval(&r) => {
            Expr::BinaryExpr(BinaryExpr::new(
                Box::new(call(Kind::Key, vec![cast(left, INTERVAL)])),
                op,
                Box::new(call(Kind::Key, vec![cast(right, INTERVAL)])),
            ))
        }
        Operator::Plus | Operator::Minus if is_date(&l) && is_interval(&r) => Expr::BinaryExpr(
            BinaryExpr::new(Box::new(cast(left, TIMESTAMP)), op, Box::new(right)),
        ),
        Operator::Plus if is_interval(&l) && is_date(&r) => Expr::BinaryExpr(BinaryExpr::new(
            Box::new(left),
            op,
            Box::new(cast(right, TIMESTAMP)),
        )),
        _ => return Ok(Transformed::no(expr)),
    };
    Ok(Transformed::yes(rewritten))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(dead_code)]
enum Kind {
    /// `pg_interval_key(interval)`: nanoseconds, with 30-day months and 24-hour days.
    Key,
    /// `pg_timestamp_difference(a, b)`: `a - b` in days and time.
    Difference,
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct IntervalFunction {
    kind: Kind,
    signature: Signature,
}

impl ScalarUDFImpl for IntervalFunction {
    fn name(&self) -> &str {
        match self.kind {
            Kind::Key => "pg_interval_key",
            Kind::Difference => "pg_timestamp_difference",
        }
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _arg_types: &[DataType]) -> Result<DataType> {
        Ok(match self.kind {
            Kind::Key => DataType::Decimal128(38, 0),
            Kind::Difference => INTERVAL,
        })
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let values: Arc<dyn Array> = match self.kind {
            Kind::Key => {
                let intervals = argument(&args, 0, &INTERVAL)?;
                let keys: Decimal128Array = intervals
                    .as_primitive::<IntervalMonthDayNanoType>()
                    .iter()
                    .map(|v| {
                        v.map(|v| {
                            (i128::from(v.months) * 30 + i128::from(v.days)) * NANOS_PER_DAY
                                + i128::from(v.nanoseconds)
                        })
                    })
                    .collect();
                Arc::new(keys.with_precision_and_scale(38, 0)?)
            }
            Kind::Difference => {
                let (a, b) = (
                    argument(&args, 0, &TIMESTAMP)?,
                    argument(&args, 1, &TIMESTAMP)?,
                );
                let (a, b) = (
                    a.as_primitive::<TimestampNanosecondType>(),
                    b.as_primitive::<TimestampNanosecondType>(),
                );
                let out: IntervalMonthDayNanoArray = (0..a.len())
                    .map(|i| {
                        if a.is_null(i) || b.is_null(i) {
                            return None;
                        }
                        let nanos = i128::from(a.value(i)) - i128::from(b.value(i));
                        let days = nanos / NANOS_PER_DAY;
                        Some(IntervalMonthDayNano::new(
                            0,
                            days as i32,
                            (nanos - days * NANOS_PER_DAY) as i64,
                        ))
                    })
                    .collect();
                Arc::new(out)
            }
        };
        result(&args.args, values)
    }
}
