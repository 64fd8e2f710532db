//! `EXISTS (subquery)` and `x IN (subquery)` where they are values (the select list,
//! `CASE`, `ORDER BY`) rather than conditions of `WHERE`, which DataFusion executes
//! itself: `EXISTS` is whether the subquery has rows, `IN` whether it holds `x`, NULL when
//! it does not but `x` or one of its values is null.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::logical_expr::expr::{Exists, InSubquery};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, Subquery, lit};
use datafusion::optimizer::analyzer::AnalyzerRule;

use super::counts::SubqueryRows;

#[derive(Debug, Default)]
pub struct SubqueryPredicatesAsValues;

impl AnalyzerRule for SubqueryPredicatesAsValues {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| {
            if matches!(plan, LogicalPlan::Filter(_)) {
                return plan.map_expressions(|expr| expr.transform_up(values_projected));
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

/// `x IN (VALUES ...)` in `WHERE`: DataFusion decorrelates a membership test only
/// when its subquery ends in a projection, so the `VALUES` get one.
fn values_projected(expr: Expr) -> Result<Transformed<Expr>> {
    let Expr::InSubquery(InSubquery {
        expr,
        subquery,
        negated,
    }) = expr
    else {
        return Ok(Transformed::no(expr));
    };
    if !matches!(subquery.subquery.as_ref(), LogicalPlan::Values(_)) {
        return Ok(Transformed::no(Expr::InSubquery(InSubquery {
            expr,
            subquery,
            negated,
        })));
    }
    let values = subquery.subquery.as_ref().clone();
    let columns: Vec<Expr> = values
        .schema()
        .columns()
        .into_iter()
        .map(Expr::Column)
        .collect();
    let projected = LogicalPlanBuilder::from(values).project(columns)?.build()?;
    Ok(Transformed::yes(Expr::InSubquery(InSubquery {
        expr,
        subquery: Subquery {
            subquery: Arc::new(projected),
            ..subquery
        },
        negated,
    })))
}

fn negate_if(expr: Expr, negated: bool) -> Expr {
    if negated {
        Expr::Not(Box::new(expr))
    } else {
        expr
    }
}
