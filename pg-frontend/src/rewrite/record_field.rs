//! `(record).field`, which DataFusion reads only on a plain column.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{AccessExpr, Expr, Statement, visit_expressions_mut};

use super::CatalogRewrite;
use super::ast::{function_call, text};

/// `(record).field` as `get_field((record), 'field')`: pgjdbc reads `(x).n` off
/// `_pg_expandarray`'s records, which DataFusion's field access does not reach.
pub struct RecordField;

impl CatalogRewrite for RecordField {
    fn name(&self) -> &'static str {
        "record_field"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = visit_expressions_mut(statement, |expr| {
            if let Expr::CompoundFieldAccess { root, access_chain } = expr
                && let [AccessExpr::Dot(Expr::Identifier(field))] = access_chain.as_slice()
                && matches!(root.as_ref(), Expr::Nested(_))
            {
                *expr = function_call("get_field", vec![(**root).clone(), text(&field.value)]);
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_rewrites_to;
    use super::*;

    #[test]
    fn fields_of_records_are_read_by_name() {
        assert_rewrites_to(
            &RecordField,
            "SELECT (unnest(_pg_expandarray(i.indkey))).n, (r).\"it's\" FROM pg_index i",
            "SELECT get_field((unnest(_pg_expandarray(i.indkey))), 'n'), \
             get_field((r), 'it''s') FROM pg_index i",
        );
        let column_field = "SELECT t.a.b FROM t";
        assert_rewrites_to(&RecordField, column_field, column_field);
    }
}
