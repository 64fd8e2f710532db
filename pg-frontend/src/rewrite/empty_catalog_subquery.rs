//! Scalar subqueries over catalog tables that are empty in every graph.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, JoinOperator, SetExpr, Statement, TableWithJoins, visit_expressions_mut,
};

use super::CatalogRewrite;
use super::ast::null;
use super::empty_tables::{aggregates, is_always_empty};

/// A scalar subquery that only reads (inner joins of) always-empty tables, and does not
/// aggregate them, as NULL, its answer. SQLAlchemy 2.x asks for identity options so,
/// with the outer row inside the subquery's own projection, where DataFusion cannot
/// decorrelate it.
pub struct EmptyCatalogSubquery;

impl CatalogRewrite for EmptyCatalogSubquery {
    fn name(&self) -> &'static str {
        "empty_catalog_subquery"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = visit_expressions_mut(statement, |expr| {
            if let Expr::Subquery(query) = expr
                && let SetExpr::Select(select) = query.body.as_ref()
                && reads_only_empty_tables(&select.from)
                && !aggregates(select)
            {
                *expr = null();
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

/// Whether a FROM clause only joins (inner) tables that are always empty.
fn reads_only_empty_tables(from: &[TableWithJoins]) -> bool {
    !from.is_empty()
        && from.iter().all(|t| {
            is_always_empty(&t.relation)
                && t.joins.iter().all(|j| {
                    is_always_empty(&j.relation)
                        && matches!(
                            j.join_operator,
                            JoinOperator::Join(_) | JoinOperator::Inner(_)
                        )
                })
        })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_rewrites_to, rewritten};
    use super::*;

    #[test]
    fn subqueries_over_sequences_are_null() {
        assert_eq!(
            rewritten(
                "SELECT (SELECT s.seqstart FROM pg_sequence s WHERE s.seqrelid = a.attrelid) FROM pg_attribute a",
                &EmptyCatalogSubquery
            ),
            "SELECT NULL FROM pg_attribute a"
        );
        let outer_joined = "SELECT (SELECT s.seqstart FROM pg_sequence s \
                            LEFT JOIN pg_class c ON c.oid = s.seqrelid) FROM t";
        assert_rewrites_to(&EmptyCatalogSubquery, outer_joined, outer_joined);
        // Counting no rows is 0, not NULL.
        let counted = "SELECT (SELECT count(*) FROM pg_catalog.pg_trigger t \
                       WHERE t.tgrelid = c.oid) FROM pg_class c";
        assert_rewrites_to(&EmptyCatalogSubquery, counted, counted);
    }
}
