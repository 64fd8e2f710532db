//! `ARRAY(SELECT ...)`, which DataFusion has no constructor for.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Array, Expr, FunctionArg, FunctionArgExpr, FunctionArguments, JoinOperator, ObjectName, Query,
    SetExpr, Statement, TableFactor, visit_expressions_mut,
};

use super::ast::last_name_is;
use super::{CatalogRewrite, empty_tables};

/// `ARRAY(SELECT ...)` over what is empty in every graph, as an empty text array (these are
/// correlated subqueries DataFusion could not plan): a subquery whose `FROM` (or an inner
/// join of it) is `pg_auth_members` (psql's `\du` role memberships; our roles are not
/// members of one another), one of the [`ALWAYS_EMPTY`](super::empty_tables::ALWAYS_EMPTY)
/// catalogs (`\dp`'s policies), `pg_options_to_table(...)` (pg_dump's foreign-data
/// options) or an `unnest` of an options column (`\d+`'s `unnest(tc.reloptions)`): no
/// relation, column or server has options here. Any other `ARRAY(SELECT ...)` is the
/// statement's syntax pass's, which aggregates its rows.
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

/// Relations (and set-returning functions) with no rows in any graph, besides the
/// always-empty catalogs.
const EMPTY_RELATIONS: [&str; 2] = ["pg_auth_members", "pg_options_to_table"];

/// Option columns, NULL in every row here.
const OPTION_COLUMNS: [&str; 7] = [
    "reloptions",
    "attoptions",
    "attfdwoptions",
    "ftoptions",
    "srvoptions",
    "umoptions",
    "fdwoptions",
];

/// Whether `query`'s rows come from an empty relation: its `FROM`, or a relation inner
/// joined to it, is one.
fn reads_what_is_always_empty(query: &Query) -> bool {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    select.from.iter().any(|from| {
        is_empty_relation(&from.relation)
            || from.joins.iter().any(|join| {
                matches!(
                    join.join_operator,
                    JoinOperator::Join(_) | JoinOperator::Inner(_) | JoinOperator::CrossJoin(_)
                ) && is_empty_relation(&join.relation)
            })
    })
}

fn is_empty_relation(relation: &TableFactor) -> bool {
    if empty_tables::is_always_empty(relation) {
        return true;
    }
    match relation {
        TableFactor::Table { name, args, .. } => {
            EMPTY_RELATIONS
                .iter()
                .any(|empty| last_name_is(name, empty))
                || (last_name_is(name, "unnest")
                    && args.as_ref().is_some_and(|args| {
                        args.args.iter().any(|arg| match arg {
                            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => is_option_column(e),
                            _ => false,
                        })
                    }))
        }
        TableFactor::UNNEST { array_exprs, .. } => array_exprs.iter().any(is_option_column),
        _ => false,
    }
}

fn is_option_column(expr: &Expr) -> bool {
    let column = match expr {
        Expr::Identifier(ident) => ident,
        Expr::CompoundIdentifier(parts) => match parts.last() {
            Some(last) => last,
            None => return false,
        },
        _ => return false,
    };
    OPTION_COLUMNS
        .iter()
        .any(|c| column.value.eq_ignore_ascii_case(c))
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
        assert_rewrites_to(
            &ArraySubquery,
            "SELECT array_to_string(c.reloptions || ARRAY(SELECT 'toast.' || x \
             FROM pg_catalog.unnest(tc.reloptions) x), ', ') FROM pg_class c \
             LEFT JOIN pg_class tc ON c.reltoastrelid = tc.oid",
            "SELECT array_to_string(c.reloptions || ARRAY[], ', ') FROM pg_class c \
             LEFT JOIN pg_class tc ON c.reltoastrelid = tc.oid",
        );
        // Django's key columns are read, not guessed.
        let key_columns = "SELECT c.conname, ARRAY(SELECT attname FROM pg_attribute AS ca \
             WHERE ca.attrelid = c.conrelid) FROM pg_constraint AS c";
        assert_rewrites_to(&ArraySubquery, key_columns, key_columns);
    }
}
