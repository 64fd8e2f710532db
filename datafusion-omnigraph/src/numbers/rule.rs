//! The analyzer rule that gives expressions PostgreSQL's numeric behaviour. It runs
//! after type coercion, so every operand's type is final, and keeps each expression's
//! output name.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::{AggregateFunction, ScalarFunction};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{BinaryExpr, Cast, Expr, ExprSchemable, LogicalPlan, Operator};
use datafusion::optimizer::analyzer::AnalyzerRule;

use super::IntegerType;
use super::arithmetic::CheckedArithmetic;
use super::numeric_divide::{NumericDivide, assumed_division_scale, division_scale};
use super::rounding::{RoundToWhole, Ties};

/// `sum(bigint)` is `numeric` in PostgreSQL, so it cannot overflow.
const SUM_OF_BIGINT: DataType = DataType::Decimal128(38, 0);

#[derive(Debug, Default)]
pub struct PostgresNumbers;

impl AnalyzerRule for PostgresNumbers {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| {
            let schema = merge_schema(&plan.inputs());
            let names = NamePreserver::new(&plan);
            let rewritten = plan.map_expressions(|expr| {
                let name = names.save(&expr);
                let expr = match numeric_literal(&expr) {
                    Some(numeric) => numeric,
                    None => expr,
                };
                let rewritten = expr.transform_up(|e| rewrite(e, &schema))?;
                Ok(rewritten.update_data(|e| name.restore(e)))
            })?;
            let rewritten = if rewritten.transformed {
                rewritten.map_data(|plan| plan.recompute_schema())?
            } else {
                // A child's types may have changed (a sum became numeric).
                Transformed::no(rewritten.data.recompute_schema()?)
            };
            Ok(rewritten)
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "postgres_numbers"
    }
}

fn is_float(data_type: &DataType) -> bool {
    matches!(data_type, DataType::Float32 | DataType::Float64)
}

/// Whether PostgreSQL would compute `expr` as `numeric` where DataFusion has a float:
/// a literal with a decimal point, or the average of exact numbers. Such values round
/// half away from zero.
fn numeric_in_postgres(expr: &Expr, schema: &DFSchema) -> bool {
    match expr {
        Expr::Literal(..) => true,
        Expr::Negative(inner) => numeric_in_postgres(inner, schema),
        Expr::AggregateFunction(f) => {
            f.func.name() == "avg"
                && f.params
                    .args
                    .first()
                    .and_then(|a| a.get_type(schema).ok())
                    .is_some_and(|t| !is_float(&t))
        }
        _ => false,
    }
}

/// Whether a cast to `to` needs rounding or a range check: a float or a numeric to an
/// integer type, or an integer to a narrower one.
fn converts_to_integer(expr: &Expr, to: &DataType, schema: &DFSchema) -> bool {
    let Some(target) = IntegerType::of(to) else {
        return false;
    };
    match expr.get_type(schema) {
        Ok(from) if is_float(&from) || matches!(from, DataType::Decimal128(..)) => true,
        Ok(from) => IntegerType::of(&from).is_some_and(|source| source > target),
        Err(_) => false,
    }
}

/// A float literal cast to `numeric(p, s)` with more fractional digits than `s`, first
/// made the exact decimal it was written as (`1.005`, not the float just below it), so it
/// rounds as PostgreSQL's numeric literal does.
fn exact_decimal_literal(expr: &Expr, to: &DataType) -> Option<Expr> {
    let (Expr::Literal(ScalarValue::Float64(Some(v)), _), DataType::Decimal128(_, scale)) =
        (expr, to)
    else {
        return None;
    };
    let written = v.to_string();
    let digits = written
        .split_once('.')
        .map_or(0, |(_, fraction)| fraction.len());
    if written.contains('e') || digits <= (*scale).max(0) as usize || digits > 30 {
        return None;
    }
    Some(Expr::Cast(Cast::new(
        Box::new(expr.clone()),
        DataType::Decimal128(38, digits as i8),
    )))
}

/// A `bigint` argument of `sum`, not an `int` or `smallint` that type coercion widened
/// (their sum is `bigint` in PostgreSQL too).
fn is_bigint_sum_argument(arg: &Expr, schema: &DFSchema) -> bool {
    let widened = match arg {
        Expr::Cast(Cast { expr, .. }) => expr
            .get_type(schema)
            .is_ok_and(|t| matches!(t, DataType::Int8 | DataType::Int16 | DataType::Int32)),
        _ => false,
    };
    !widened && arg.get_type(schema).is_ok_and(|t| t == DataType::Int64)
}

/// An integer literal too large for `bigint` (DataFusion's `UInt64`) as the `numeric`
/// it is in PostgreSQL. Only where its type is its own: a whole expression, or the
/// operand of a cast; inside an operator, type coercion has already decided.
fn numeric_literal(expr: &Expr) -> Option<Expr> {
    match expr {
        Expr::Literal(ScalarValue::UInt64(Some(v)), metadata) => Some(Expr::Literal(
            ScalarValue::Decimal128(Some(i128::from(*v)), 20, 0),
            metadata.clone(),
        )),
        Expr::Alias(alias) => numeric_literal(&alias.expr).map(|e| e.alias(alias.name.clone())),
        _ => None,
    }
}

/// The value of a constant operand as a decimal (raw digits and scale).
fn constant_decimal(expr: &Expr) -> Option<(i128, i8)> {
    match expr {
        Expr::Literal(value, _) => match value {
            ScalarValue::Decimal128(Some(v), _, s) => Some((*v, *s)),
            ScalarValue::Int8(Some(v)) => Some((i128::from(*v), 0)),
            ScalarValue::Int16(Some(v)) => Some((i128::from(*v), 0)),
            ScalarValue::Int32(Some(v)) => Some((i128::from(*v), 0)),
            ScalarValue::Int64(Some(v)) => Some((i128::from(*v), 0)),
            _ => None,
        },
        Expr::Cast(Cast { expr, .. }) => constant_decimal(expr),
        Expr::Alias(alias) => constant_decimal(&alias.expr),
        Expr::Negative(inner) => constant_decimal(inner).map(|(v, s)| (-v, s)),
        _ => None,
    }
}

/// `numeric / numeric` at the scale PostgreSQL gives the quotient.
fn numeric_division(left: &Expr, right: &Expr, schema: &DFSchema) -> Option<Expr> {
    let (Ok(DataType::Decimal128(_, s1)), Ok(DataType::Decimal128(_, s2))) =
        (left.get_type(schema), right.get_type(schema))
    else {
        return None;
    };
    let scale = match (constant_decimal(left), constant_decimal(right)) {
        (Some(a), Some(b)) if b.0 != 0 => division_scale(a, b),
        _ => assumed_division_scale(s1, s2),
    };
    Some(Expr::ScalarFunction(ScalarFunction::new_udf(
        NumericDivide::udf(scale),
        vec![left.clone(), right.clone()],
    )))
}

/// `atan2` of integers or numerics: DataFusion reads them as `real`, PostgreSQL as
/// `double precision`.
fn float8_arguments(function: &ScalarFunction, schema: &DFSchema) -> Option<Expr> {
    if function.name() != "atan2" {
        return None;
    }
    let widened = function.args.iter().all(|arg| match arg {
        Expr::Cast(Cast { expr, field }) => {
            field.data_type() == &DataType::Float32
                && expr.get_type(schema).is_ok_and(|t| !is_float(&t))
        }
        _ => false,
    });
    if !widened {
        return None;
    }
    let args = function
        .args
        .iter()
        .map(|arg| match arg {
            Expr::Cast(Cast { expr, .. }) => Expr::Cast(Cast::new(expr.clone(), DataType::Float64)),
            other => other.clone(),
        })
        .collect();
    Some(Expr::ScalarFunction(ScalarFunction::new_udf(
        Arc::clone(&function.func),
        args,
    )))
}

fn rewrite(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    let data_type = |e: &Expr| e.get_type(schema).ok();
    if let Expr::BinaryExpr(BinaryExpr {
        left,
        op: Operator::Divide,
        right,
    }) = &expr
        && let Some(division) = numeric_division(left, right, schema)
    {
        return Ok(Transformed::yes(division));
    }
    if let Expr::ScalarFunction(f) = &expr
        && let Some(call) = float8_arguments(f, schema)
    {
        return Ok(Transformed::yes(call));
    }
    match expr {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => {
            let checked = match (data_type(&left), data_type(&right)) {
                (Some(l), Some(r)) if l == r && CheckedArithmetic::checks(op, &l) => {
                    CheckedArithmetic::udf(op)
                }
                _ => None,
            };
            Ok(match checked {
                Some(udf) => Transformed::yes(Expr::ScalarFunction(ScalarFunction::new_udf(
                    udf,
                    vec![*left, *right],
                ))),
                None => Transformed::no(Expr::BinaryExpr(BinaryExpr { left, op, right })),
            })
        }
        // `-x` as `0 - x`, so the smallest integer's negation fails naming its type.
        Expr::Negative(inner)
            if data_type(&inner).is_some_and(|t| IntegerType::of(&t).is_some()) =>
        {
            let zero = ScalarValue::new_zero(&data_type(&inner).unwrap_or(DataType::Int64))?;
            match CheckedArithmetic::udf(Operator::Minus) {
                Some(udf) => Ok(Transformed::yes(Expr::ScalarFunction(
                    ScalarFunction::new_udf(udf, vec![Expr::Literal(zero, None), *inner]),
                ))),
                None => Ok(Transformed::no(Expr::Negative(inner))),
            }
        }
        Expr::Cast(Cast { expr, field })
            if converts_to_integer(&expr, field.data_type(), schema) =>
        {
            let ties = if numeric_in_postgres(&expr, schema) {
                Ties::AwayFromZero
            } else {
                Ties::ToEven
            };
            let udf = RoundToWhole::cast_udf(ties, field.data_type().clone());
            Ok(Transformed::yes(Expr::ScalarFunction(
                ScalarFunction::new_udf(udf, vec![*expr]),
            )))
        }
        Expr::Cast(Cast { expr, field }) if numeric_literal(&expr).is_some() => {
            let literal = numeric_literal(&expr).unwrap_or(*expr);
            let cast = Expr::Cast(Cast::new_from_field(Box::new(literal), field));
            // The numeric literal may need the checked cast to an integer.
            Ok(Transformed::yes(rewrite(cast, schema)?.data))
        }
        Expr::Cast(Cast { expr, field }) => match exact_decimal_literal(&expr, field.data_type()) {
            Some(exact) => Ok(Transformed::yes(Expr::Cast(Cast::new_from_field(
                Box::new(exact),
                field,
            )))),
            None => Ok(Transformed::no(Expr::Cast(Cast { expr, field }))),
        },
        Expr::ScalarFunction(mut f)
            if f.name() == "round"
                && f.args.len() == 1
                && data_type(&f.args[0]).is_some_and(|t| is_float(&t))
                && !numeric_in_postgres(&f.args[0], schema) =>
        {
            let arg = f.args.remove(0);
            Ok(Transformed::yes(Expr::ScalarFunction(
                ScalarFunction::new_udf(RoundToWhole::udf(Ties::ToEven), vec![arg]),
            )))
        }
        Expr::AggregateFunction(mut f)
            if f.func.name() == "sum"
                && f.params.args.len() == 1
                && is_bigint_sum_argument(&f.params.args[0], schema) =>
        {
            let arg = f.params.args.remove(0);
            f.params
                .args
                .push(Expr::Cast(Cast::new(Box::new(arg), SUM_OF_BIGINT)));
            Ok(Transformed::yes(Expr::AggregateFunction(
                AggregateFunction {
                    func: f.func,
                    params: f.params,
                },
            )))
        }
        other => Ok(Transformed::no(other)),
    }
}
