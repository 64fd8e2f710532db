//! Scalar subqueries over catalog tables that are empty in every graph.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, JoinOperator, SetExpr, Statement, TableFactor, TableWithJoins, visit_expressions_mut,
};

use super::CatalogRewrite;
use super::ast::{last_name, null};

/// Catalog tables that are empty in every graph: OmniGraph has no sequences.
const ALWAYS_EMPTY: [&str; 1] = ["pg_sequence"];

/// A scalar subquery that only reads (inner joins of) always-empty tables as NULL, its
/// answer. SQLAlchemy 2.x asks for identity options so, with the outer row inside the
/// subquery's own projection, where DataFusion cannot decorrelate it.
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
            {
                *expr = null();
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

/// Whether a FROM clause only joins (inner) tables that are always empty.
fn reads_only_empty_tables(from: &[TableWithJoins]) -> bool {
    let empty = |factor: &TableFactor| {
        matches!(factor, TableFactor::Table { name, .. }
        if last_name(name).is_some_and(|n| {
            ALWAYS_EMPTY.iter().any(|e| n.value.eq_ignore_ascii_case(e))
        }))
    };
    !from.is_empty()
        && from.iter().all(|t| {
            empty(&t.relation)
                && t.joins.iter().all(|j| {
                    empty(&j.relation)
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
    }
}
