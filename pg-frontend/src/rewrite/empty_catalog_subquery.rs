//! Scalar subqueries over catalog tables that are empty in every graph.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{Expr, SetExpr, Statement, visit_expressions_mut};

use super::CatalogRewrite;
use super::ast::null;
use super::empty_tables::reads_no_rows;

/// A scalar subquery that reads no rows (it joins an always-empty table so that only
/// matched rows stay, and does not aggregate) as NULL, its answer. SQLAlchemy asks for
/// identity options so (`FROM pg_sequence s JOIN pg_class c ...`), with the outer row
/// inside the subquery's own projection, where DataFusion cannot decorrelate it.
pub struct EmptyCatalogSubquery;

impl CatalogRewrite for EmptyCatalogSubquery {
    fn name(&self) -> &'static str {
        "empty_catalog_subquery"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = visit_expressions_mut(statement, |expr| {
            if let Expr::Subquery(query) = expr
                && let SetExpr::Select(select) = query.body.as_ref()
                && reads_no_rows(select)
            {
                *expr = null();
            }
            ControlFlow::<()>::Continue(())
        });
    }
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
        assert_rewrites_to(
            &EmptyCatalogSubquery,
            "SELECT (SELECT s.seqstart FROM pg_sequence s \
             JOIN pg_class c ON c.oid = s.seqrelid WHERE a.attidentity <> '') FROM pg_attribute a",
            "SELECT NULL FROM pg_attribute a",
        );
        // The rows of a table an empty one is left joined to stay.
        let outer_joined = "SELECT (SELECT c.relname FROM pg_class c \
                            LEFT JOIN pg_sequence s ON c.oid = s.seqrelid) FROM t";
        assert_rewrites_to(&EmptyCatalogSubquery, outer_joined, outer_joined);
        // Counting no rows is 0, not NULL.
        let counted = "SELECT (SELECT count(*) FROM pg_catalog.pg_trigger t \
                       WHERE t.tgrelid = c.oid) FROM pg_class c";
        assert_rewrites_to(&EmptyCatalogSubquery, counted, counted);
    }
}
