//! `EXISTS (subquery)` and `x IN (subquery)` where they are values (the select list,
//! `CASE`, `ORDER BY`) rather than conditions of `WHERE`, which DataFusion executes
//! itself: `EXISTS` is whether the subquery has rows, `IN` whether it holds `x`, NULL when
//! it does not but `x` or one of its values is null.

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::Result;
use datafusion::logical_expr::expr::{Exists, InSubquery};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{Expr, LogicalPlan, lit};
use datafusion::optimizer::analyzer::AnalyzerRule;

use super::counts::SubqueryRows;

#[derive(Debug, Default)]
pub struct SubqueryPredicatesAsValues;

impl AnalyzerRule for SubqueryPredicatesAsValues {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| {
            if matches!(plan, LogicalPlan::Filter(_)) {
                return Ok(Transformed::no(plan));
            }
            let outer = merge_schema(&plan.inputs());
            let names = NamePreserver::new(&plan);
            let rewritten = plan.map_expressions(|expr| {
                let name = names.save(&expr);
                let rewritten = expr.transform_up(|expr| match expr {
                    Expr::Exists(Exists { subquery, negated }) => {
                        let exists = SubqueryRows::new(&subquery).count()?.gt(lit(0i64));
                        Ok(Transformed::yes(negate_if(exists, negated)))
                    }
                    Expr::InSubquery(InSubquery {
                        expr,
                        subquery,
                        negated,
                    }) => {
                        let contains = SubqueryRows::new(&subquery).contains(&expr, &outer)?;
                        Ok(Transformed::yes(negate_if(contains, negated)))
                    }
                    other => Ok(Transformed::no(other)),
                })?;
                Ok(rewritten.update_data(|e| name.restore(e)))
            })?;
            if rewritten.transformed {
                rewritten.map_data(|plan| plan.recompute_schema())
            } else {
                Ok(rewritten)
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "postgres_subquery_predicates_as_values"
    }
}

fn negate_if(expr: Expr, negated: bool) -> Expr {
    if negated {
        Expr::Not(Box::new(expr))
    } else {
        expr
    }
}
