//! Subqueries in `ORDER BY` (`ORDER BY (SELECT count(*) FROM w WHERE w.dst = c.id)`):
//! DataFusion decorrelates subqueries only in projections, filters and aggregates, so the
//! sort keys that hold one are computed by a projection under the sort, sorted by, and
//! projected away again.

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, Result};
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, Sort, SortExpr};
use datafusion::optimizer::analyzer::AnalyzerRule;

#[derive(Debug, Default)]
pub struct SubqueriesInOrderBy;

impl AnalyzerRule for SubqueriesInOrderBy {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| match plan {
            LogicalPlan::Sort(sort) if sort.expr.iter().any(|s| has_subquery(&s.expr)) => {
                keys_computed_below(sort).map(Transformed::yes)
            }
            other => Ok(Transformed::no(other)),
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "postgres_subqueries_in_order_by"
    }
}

fn has_subquery(expr: &Expr) -> bool {
    expr.exists(|e| {
        Ok(matches!(
            e,
            Expr::ScalarSubquery(_) | Expr::Exists(_) | Expr::InSubquery(_)
        ))
    })
    .unwrap_or(false)
}

fn keys_computed_below(sort: Sort) -> Result<LogicalPlan> {
    // A subquery's outer references read the columns of the query's `FROM`, which the
    // select list under the sort may not keep: the keys are computed beside the select
    // list, from the same rows.
    let (rows, mut computed) = match sort.input.as_ref() {
        LogicalPlan::Projection(projection) => {
            (projection.input.as_ref().clone(), projection.expr.clone())
        }
        input => (input.clone(), columns_of(input)),
    };
    let output = columns_of(sort.input.as_ref());
    let mut keys = Vec::with_capacity(sort.expr.len());
    for (position, key) in sort.expr.into_iter().enumerate() {
        if has_subquery(&key.expr) {
            let name = format!("__order_by_{position}");
            computed.push(key.expr.alias(&name));
            keys.push(SortExpr {
                expr: Expr::Column(Column::from_name(name)),
                ..key
            });
        } else {
            keys.push(key);
        }
    }
    LogicalPlanBuilder::from(rows)
        .project(computed)?
        .sort_with_limit(keys, sort.fetch)?
        .project(output)?
        .build()
}

fn columns_of(plan: &LogicalPlan) -> Vec<Expr> {
    plan.schema()
        .columns()
        .into_iter()
        .map(Expr::Column)
        .collect()
}
