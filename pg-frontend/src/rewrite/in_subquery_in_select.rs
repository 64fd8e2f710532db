//! `x [NOT] IN (SELECT ...)` in a select list, which DataFusion plans only as a filter.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Query, SelectItem, SetExpr, Statement, UnaryOperator, VisitMut, VisitorMut,
    visit_expressions_mut,
};

use super::CatalogRewrite;
use super::ast::{boolean, function_call};

/// `x [NOT] IN (SELECT e ...)` in a select list, where DataFusion plans IN subqueries only
/// as filters, as `[NOT] coalesce(array_has((SELECT array_agg(e) ...), x), false)`: the
/// same answer for the catalog's non-null values. Not in `ORDER BY`: DataFusion 54's
/// physical plan drops a sort on a scalar subquery (the rows come back unsorted), so
/// there the IN subquery stays refused.
pub struct InSubqueryInSelect;

impl CatalogRewrite for InSubqueryInSelect {
    fn name(&self) -> &'static str {
        "in_subquery_in_select"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = statement.visit(&mut SelectLists);
    }
}

/// Visits every query's select list, subqueries' too.
struct SelectLists;

impl VisitorMut for SelectLists {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_mut() {
            for item in &mut select.projection {
                if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item
                {
                    in_subqueries_as_arrays(e);
                }
            }
        }
        ControlFlow::Continue(())
    }
}

fn in_subqueries_as_arrays(expr: &mut Expr) {
    let _ = visit_expressions_mut(expr, |e| {
        if let Expr::InSubquery {
            expr: needle,
            subquery,
            negated,
        } = e
            && let SetExpr::Select(select) = subquery.body.as_mut()
            && let [item] = select.projection.as_mut_slice()
            && let SelectItem::UnnamedExpr(value) | SelectItem::ExprWithAlias { expr: value, .. } =
                item
        {
            *value = function_call("array_agg", vec![value.clone()]);
            let values = Expr::Subquery(subquery.clone());
            let found = function_call(
                "coalesce",
                vec![
                    function_call("array_has", vec![values, (**needle).clone()]),
                    boolean(false),
                ],
            );
            *e = if *negated {
                Expr::UnaryOp {
                    op: UnaryOperator::Not,
                    expr: Box::new(found),
                }
            } else {
                found
            };
        }
        ControlFlow::<()>::Continue(())
    });
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_rewrites_to, rewritten};
    use super::*;

    #[test]
    fn in_subqueries_in_select_lists_read_an_array() {
        assert_eq!(
            rewritten(
                "SELECT a IN (SELECT b FROM t) FROM u WHERE a IN (SELECT b FROM t) \
                 ORDER BY a NOT IN (SELECT b FROM t)",
                &InSubqueryInSelect
            ),
            "SELECT coalesce(array_has((SELECT array_agg(b) FROM t), a), false) FROM u \
             WHERE a IN (SELECT b FROM t) ORDER BY a NOT IN (SELECT b FROM t)"
        );
    }

    #[test]
    fn not_in_reads_the_negated_array() {
        assert_rewrites_to(
            &InSubqueryInSelect,
            "SELECT a NOT IN (SELECT b FROM t) AS missing FROM u",
            "SELECT NOT coalesce(array_has((SELECT array_agg(b) FROM t), a), false) AS missing FROM u",
        );
    }
}
