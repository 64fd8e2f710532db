//! `pg_catalog` flag columns compared with quoted literals.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, Statement, Value, visit_expressions_mut,
};

use super::CatalogRewrite;
use super::ast::boolean;

/// The boolean columns of `pg_index`, `pg_class`, `pg_attribute` and `pg_constraint`.
const FLAGS: [&str; 24] = [
    "indisprimary",
    "indisunique",
    "indisvalid",
    "indisready",
    "indislive",
    "indimmediate",
    "indisclustered",
    "indisexclusion",
    "indnullsnotdistinct",
    "relhasindex",
    "relisshared",
    "relispartition",
    "relhasrules",
    "relhastriggers",
    "relhassubclass",
    "relispopulated",
    "attnotnull",
    "atthasdef",
    "attisdropped",
    "attislocal",
    "condeferrable",
    "condeferred",
    "convalidated",
    "conislocal",
];

/// `pg_catalog` flag columns compared with a quoted literal (`i.indisprimary = 'f'`, as
/// SQLAlchemy 1.4 writes): PostgreSQL reads `'t'`/`'f'` as booleans there, DataFusion
/// would compare a boolean with text. Only these columns' comparisons change.
pub struct BooleanFlags;

impl CatalogRewrite for BooleanFlags {
    fn name(&self) -> &'static str {
        "boolean_flags"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = visit_expressions_mut(statement, |expr| {
            if let Expr::BinaryOp { left, op, right } = expr
                && matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq)
            {
                if is_flag(left)
                    && let Some(b) = as_boolean(right)
                {
                    **right = boolean(b);
                } else if is_flag(right)
                    && let Some(b) = as_boolean(left)
                {
                    **left = boolean(b);
                }
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

fn is_flag(expr: &Expr) -> bool {
    let name = match expr {
        Expr::Identifier(i) => Some(&i.value),
        Expr::CompoundIdentifier(parts) => parts.last().map(|i| &i.value),
        _ => None,
    };
    name.is_some_and(|n| FLAGS.contains(&n.to_ascii_lowercase().as_str()))
}

/// A quoted literal PostgreSQL reads as a boolean.
fn as_boolean(expr: &Expr) -> Option<bool> {
    let Expr::Value(v) = expr else {
        return None;
    };
    let Value::SingleQuotedString(t) = &v.value else {
        return None;
    };
    match t.to_ascii_lowercase().as_str() {
        "t" | "true" | "y" | "yes" | "on" | "1" => Some(true),
        "f" | "false" | "n" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_rewrites_to;
    use super::*;

    #[test]
    fn flags_compared_with_quoted_literals_compare_with_booleans() {
        assert_rewrites_to(
            &BooleanFlags,
            "SELECT * FROM pg_index i WHERE i.indisprimary = 'f' AND 'yes' <> indisunique \
             AND i.indrelid = '1' AND i.indisvalid = 'maybe'",
            "SELECT * FROM pg_index i WHERE i.indisprimary = false AND true <> indisunique \
             AND i.indrelid = '1' AND i.indisvalid = 'maybe'",
        );
    }
}
