//! Unique aliases for output columns that would share a name, for every query.

use std::collections::{HashMap, HashSet};

use datafusion::sql::sqlparser::ast::{Expr, Ident, SelectItem, SetExpr, Statement};

use super::column_name::{column_name, normalized};

/// Ends the wire name in an output column's alias made unique by
/// [`with_unique_output_names`]; the column is sent under the name before it.
pub const WIRE_NAME_END: char = '\u{1}';

/// Output columns that would share a name (`SELECT 1, 1`, `SELECT NULL, NULL`, pgjdbc's
/// `getProcedures`), which PostgreSQL allows and DataFusion refuses, get unique aliases
/// that end, after [`WIRE_NAME_END`], in their position; clients see the names
/// PostgreSQL would send (see [`column_name`]).
pub fn with_unique_output_names(statement: &mut Statement) {
    let Statement::Query(query) = statement else {
        return;
    };
    let SetExpr::Select(select) = query.body.as_mut() else {
        return;
    };
    let names: Vec<Option<String>> = select.projection.iter().map(output_name).collect();
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for n in names.iter().flatten() {
        *counts.entry(n.as_str()).or_default() += 1;
    }
    let repeated = |n: &Option<String>| n.as_deref().is_some_and(|n| counts[n] > 1);
    if !names.iter().any(repeated) {
        return;
    }
    let mut first_seen = HashSet::new();
    for (position, (item, name)) in select.projection.iter_mut().zip(&names).enumerate() {
        if !repeated(name) {
            continue;
        }
        let first = first_seen.insert(name.clone());
        let unique =
            |wire: &str| Ident::with_quote('"', format!("{wire}{WIRE_NAME_END}{}", position + 1));
        match item {
            // A repeated column keeps its name where it first appears.
            SelectItem::UnnamedExpr(Expr::Identifier(_) | Expr::CompoundIdentifier(_)) if first => {
            }
            SelectItem::UnnamedExpr(expr) => {
                *item = SelectItem::ExprWithAlias {
                    expr: expr.clone(),
                    alias: unique(&column_name(expr)),
                };
            }
            SelectItem::ExprWithAlias { alias, .. } if !first => {
                *alias = unique(&normalized(alias));
            }
            _ => {}
        }
    }
}

/// The name an output column is compared by: its column's or alias's name, else the
/// expression's text (so `1, 1` repeat, and `1, 2` do not).
fn output_name(item: &SelectItem) -> Option<String> {
    match item {
        SelectItem::UnnamedExpr(Expr::Identifier(ident)) => Some(normalized(ident)),
        SelectItem::UnnamedExpr(Expr::CompoundIdentifier(parts)) => parts.last().map(normalized),
        SelectItem::UnnamedExpr(expr) => Some(expr.to_string()),
        SelectItem::ExprWithAlias { alias, .. } => Some(normalized(alias)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::rewritten_with;
    use super::*;

    #[test]
    fn repeated_output_names_get_unique_aliases() {
        assert_eq!(
            rewritten_with(
                "SELECT 1, 1, a, t.a, count(*), count(*) FROM t",
                with_unique_output_names
            ),
            "SELECT 1 AS \"?column?|1\", 1 AS \"?column?|2\", a, t.a AS \"a|4\", \
             count(*) AS \"count|5\", count(*) AS \"count|6\" FROM t"
        );
        assert_eq!(
            rewritten_with("SELECT NULL AS x, NULL AS X", with_unique_output_names),
            "SELECT NULL AS x, NULL AS \"x|2\""
        );
        let unique = "SELECT 1, a, b AS c FROM t";
        assert_eq!(rewritten_with(unique, with_unique_output_names), unique);
    }
}
