//! `x op ANY (subquery)` and `x op ALL (subquery)` as PostgreSQL answers them: ANY is
//! true when one comparison is true, ALL false when one is false; otherwise a null
//! comparison (a null `x` or value) makes the answer NULL; no rows make ANY false and ALL
//! true.

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::expr::{SetComparison, SetQuantifier};
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{BinaryExpr, Expr, LogicalPlan, Operator, lit, when};
use datafusion::optimizer::analyzer::AnalyzerRule;

use super::counts::{SubqueryRows, null_boolean};

#[derive(Debug, Default)]
pub struct QuantifiedComparisons;

impl AnalyzerRule for QuantifiedComparisons {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| {
            let outer = merge_schema(&plan.inputs());
            plan.map_expressions(|expr| {
                expr.transform_up(|expr| match expr {
                    Expr::SetComparison(comparison) => {
                        match quantified_comparison(&comparison, &outer)? {
                            Some(value) => Ok(Transformed::yes(value)),
                            None => Ok(Transformed::no(Expr::SetComparison(comparison))),
                        }
                    }
                    other => Ok(Transformed::no(other)),
                })
            })
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "postgres_quantified_comparisons"
    }
}

fn compare(left: Expr, op: Operator, right: Expr) -> Expr {
    Expr::BinaryExpr(BinaryExpr::new(Box::new(left), op, Box::new(right)))
}

/// The comparison as aggregates of the subquery's values; `None` for an operator other
/// than the six comparisons (left to DataFusion).
fn quantified_comparison(comparison: &SetComparison, outer: &DFSchema) -> Result<Option<Expr>> {
    let rows = SubqueryRows::new(&comparison.subquery);
    let x = comparison.expr.as_ref().clone();
    let op = comparison.op;
    // Some value differs from `x` exactly when the smallest or the largest does.
    let some_differs = || -> Result<Expr> {
        Ok(compare(rows.min()?, Operator::NotEq, x.clone()).or(compare(
            rows.max()?,
            Operator::NotEq,
            x.clone(),
        )))
    };
    // The value a comparison with `x` is decided by: `x > ANY` needs `x` above the
    // smallest, `x > ALL` above the largest.
    let bound = |quantifier: &SetQuantifier| -> Result<Expr> {
        let above = matches!(op, Operator::Gt | Operator::GtEq);
        match (quantifier, above) {
            (SetQuantifier::Any, true) | (SetQuantifier::All, false) => rows.min(),
            (SetQuantifier::Any, false) | (SetQuantifier::All, true) => rows.max(),
        }
    };
    let ordering = matches!(
        op,
        Operator::Gt | Operator::GtEq | Operator::Lt | Operator::LtEq
    );
    let value = match (&comparison.quantifier, op) {
        (SetQuantifier::Any, Operator::Eq) => rows.contains(&x, outer)?,
        (SetQuantifier::All, Operator::NotEq) => Expr::Not(Box::new(rows.contains(&x, outer)?)),
        (SetQuantifier::Any, Operator::NotEq) => decided(&rows, &x, some_differs()?, true)?,
        (SetQuantifier::All, Operator::Eq) => decided(&rows, &x, some_differs()?, false)?,
        (quantifier, op) if ordering => {
            let holds = compare(x.clone(), op, bound(quantifier)?);
            match quantifier {
                SetQuantifier::Any => decided(&rows, &x, holds, true)?,
                SetQuantifier::All => decided(&rows, &x, Expr::Not(Box::new(holds)), false)?,
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(value))
}

/// `answer` when `decisive` holds; otherwise the quantifier's answer for no rows (`!answer`)
/// unless a null `x` or value makes it NULL.
fn decided(rows: &SubqueryRows, x: &Expr, decisive: Expr, answer: bool) -> Result<Expr> {
    when(rows.count()?.eq(lit(0i64)), lit(!answer))
        .when(x.clone().is_null(), null_boolean())
        .when(decisive, lit(answer))
        .when(rows.has_null()?, null_boolean())
        .otherwise(lit(!answer))
}
