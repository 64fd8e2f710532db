//! `ARRAY(SELECT ...)`, which DataFusion has no constructor for.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Array, Expr, FunctionArguments, ObjectName, Query, Statement, visit_expressions_mut,
    visit_relations,
};

use super::CatalogRewrite;
use super::ast::last_name_is;

/// `ARRAY(SELECT ...)` over what is empty in every graph, as an empty text array (these are
/// correlated subqueries): `pg_auth_members` (psql's `\du` role memberships; our roles are
/// not members of one another) and `pg_options_to_table` (pg_dump's foreign-data options
/// of columns; there are no foreign tables, and no relation has options). Any other
/// `ARRAY(SELECT ...)` is the statement's syntax pass's, which aggregates its rows.
pub struct ArraySubquery;

impl CatalogRewrite for ArraySubquery {
    fn name(&self) -> &'static str {
        "array_subquery"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = visit_expressions_mut(statement, |expr| {
            if let Expr::Function(f) = expr
                && is_array_constructor(&f.name)
                && let FunctionArguments::Subquery(query) = &f.args
                && reads_what_is_always_empty(query)
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

/// Relations (and set-returning functions) with no rows in any graph.
const ALWAYS_EMPTY: [&str; 2] = ["pg_auth_members", "pg_options_to_table"];

/// Whether `query` reads one of the [`ALWAYS_EMPTY`] relations.
fn reads_what_is_always_empty(query: &Query) -> bool {
    let mut found = false;
    let _ = visit_relations(query, |name| {
        found |= ALWAYS_EMPTY.iter().any(|empty| last_name_is(name, empty));
        ControlFlow::<()>::Continue(())
    });
    found
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
        // Django's key columns are read, not guessed.
        let key_columns = "SELECT c.conname, ARRAY(SELECT attname FROM pg_attribute AS ca \
             WHERE ca.attrelid = c.conrelid) FROM pg_constraint AS c";
        assert_rewrites_to(&ArraySubquery, key_columns, key_columns);
    }
}
