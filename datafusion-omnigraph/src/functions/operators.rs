//! Syntax DataFusion's planner leaves to expression planners, planned as PostgreSQL
//! means it: `a ^ b` is `power(a, b)` (the dialect already parses it tighter than `*`
//! and left-associative), and `substring(x FROM ...)` is PostgreSQL's `substring`, which
//! refuses a negative length and takes a pattern in place of a start position.
//!
//! DataFusion asks its expression planners in order and its own plans `substring` as
//! its `substr`, so this planner goes first.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{DFSchema, Result};
use datafusion::execution::FunctionRegistry;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::planner::{ExprPlanner, PlannerResult, RawBinaryExpr};
use datafusion::logical_expr::{Expr, ExprSchemable, ScalarUDF};
use datafusion::prelude::SessionContext;
use datafusion::sql::sqlparser::ast::BinaryOperator;

#[derive(Debug)]
pub struct PostgresOperators {
    power: Arc<ScalarUDF>,
    substring: Arc<ScalarUDF>,
}

/// Puts [`PostgresOperators`] in front of `ctx`'s expression planners, with the `power`
/// and `substring` functions `ctx` has registered (install it after them).
pub fn install(ctx: &SessionContext) {
    let operators = Arc::new(PostgresOperators {
        power: ctx
            .udf("power")
            .unwrap_or_else(|_| datafusion::functions::math::power()),
        substring: ctx
            .udf("substring")
            .unwrap_or_else(|_| Arc::new(super::regex::substring())),
    });
    crate::rebuilt_state::rebuild(ctx, |mut builder| {
        builder
            .expr_planners()
            .get_or_insert_with(Vec::new)
            .insert(0, operators);
        builder
    });
}

impl ExprPlanner for PostgresOperators {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        schema: &DFSchema,
    ) -> Result<PlannerResult<RawBinaryExpr>> {
        if expr.op != BinaryOperator::PGExp {
            return Ok(PlannerResult::Original(expr));
        }
        let floats = [&expr.left, &expr.right].iter().all(|e| {
            e.get_type(schema)
                .is_ok_and(|t| t.is_integer() || t.is_floating() || t.is_null())
        });
        let args = match floats {
            true => vec![
                expr.left.cast_to(&DataType::Float64, schema)?,
                expr.right.cast_to(&DataType::Float64, schema)?,
            ],
            false => vec![expr.left, expr.right],
        };
        Ok(PlannerResult::Planned(Expr::ScalarFunction(
            ScalarFunction::new_udf(Arc::clone(&self.power), args),
        )))
    }

    fn plan_substring(&self, args: Vec<Expr>) -> Result<PlannerResult<Vec<Expr>>> {
        Ok(PlannerResult::Planned(Expr::ScalarFunction(
            ScalarFunction::new_udf(Arc::clone(&self.substring), args),
        )))
    }
}
