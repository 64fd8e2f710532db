//! `ARRAY(SELECT ...)`, which DataFusion has no constructor for.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Array, Expr, FunctionArguments, ObjectName, Statement, visit_expressions_mut,
};

use super::CatalogRewrite;

/// `ARRAY(SELECT ...)` (psql's `\du` role memberships) as an empty text array: there is
/// no such constructor in DataFusion, and our roles are not members of one another.
pub struct ArraySubquery;

impl CatalogRewrite for ArraySubquery {
    fn name(&self) -> &'static str {
        "array_subquery"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = visit_expressions_mut(statement, |expr| {
            if let Expr::Function(f) = expr
                && is_array_constructor(&f.name)
                && matches!(f.args, FunctionArguments::Subquery(_))
            {
                *expr = Expr::Array(Array {
                    elem: vec![],
                    named: true,
                });
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

/// `ARRAY`, unqualified and unquoted: the constructor, not a function of that name.
fn is_array_constructor(name: &ObjectName) -> bool {
    matches!(name.0.as_slice(), [part] if part.as_ident().is_some_and(|i| {
        i.quote_style.is_none() && i.value.eq_ignore_ascii_case("array")
    }))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_rewrites_to;
    use super::*;

    #[test]
    fn array_subqueries_are_empty_arrays() {
        assert_rewrites_to(
            &ArraySubquery,
            "SELECT r.rolname, ARRAY(SELECT b.rolname FROM pg_auth_members m \
             JOIN pg_roles b ON m.roleid = b.oid WHERE m.member = r.oid) AS memberof \
             FROM pg_roles r",
            "SELECT r.rolname, ARRAY[] AS memberof FROM pg_roles r",
        );
        let literal = "SELECT ARRAY[1, 2] FROM t";
        assert_rewrites_to(&ArraySubquery, literal, literal);
    }
}
