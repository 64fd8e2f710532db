//! `typname[0]`: a `name` column read as the array of characters PostgreSQL stores it
//! as (pg_dump tells array types by `typname[0] = '_'`).

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::sync::OnceLock;

use datafusion::sql::sqlparser::ast::{
    AccessExpr, BinaryOperator, Expr, Statement, Subscript, Value, visit_expressions_mut,
};

use super::CatalogRewrite;
use super::ast::{binary, function_call, number};

/// A subscript of a `pg_catalog` column typed `name`, `column[i]`, as
/// `substr(column, i + 1, 1)`: its character at 0-based position `i`. DataFusion has the
/// column as text, which has no subscripts.
pub struct NameSubscript;

impl CatalogRewrite for NameSubscript {
    fn name(&self) -> &'static str {
        "name_subscript"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = visit_expressions_mut(statement, |expr| {
            if let Expr::CompoundFieldAccess { root, access_chain } = expr
                && let Some((column, index)) = subscripted_column(root, access_chain)
                && is_name_column(&column)
            {
                let position = match index {
                    Expr::Value(value) => match &value.value {
                        Value::Number(n, _) => n.parse::<i64>().ok().map(|n| number(n + 1)),
                        _ => None,
                    },
                    _ => None,
                }
                .unwrap_or_else(|| binary(index.clone(), BinaryOperator::Plus, number(1)));
                *expr = function_call("substr", vec![column, position, number(1)]);
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

/// The column and index of `column[i]` or `relation.column[i]` (which the parser reads
/// as a field access on `relation`).
fn subscripted_column<'a>(root: &Expr, access_chain: &'a [AccessExpr]) -> Option<(Expr, &'a Expr)> {
    match access_chain {
        [AccessExpr::Subscript(Subscript::Index { index })] => Some((root.clone(), index)),
        [
            AccessExpr::Dot(Expr::Identifier(column)),
            AccessExpr::Subscript(Subscript::Index { index }),
        ] => {
            let Expr::Identifier(relation) = root else {
                return None;
            };
            Some((
                Expr::CompoundIdentifier(vec![relation.clone(), column.clone()]),
                index,
            ))
        }
        _ => None,
    }
}

/// Whether `expr` names a column that some `pg_catalog` table types `name`.
fn is_name_column(expr: &Expr) -> bool {
    let column = match expr {
        Expr::Identifier(ident) => ident,
        Expr::CompoundIdentifier(parts) => match parts.last() {
            Some(ident) => ident,
            None => return false,
        },
        _ => return false,
    };
    name_columns().contains(column.value.to_ascii_lowercase().as_str())
}

/// The columns of `pg_catalog` tables typed `name` (from the list the catalog types its
/// columns by).
fn name_columns() -> &'static HashSet<&'static str> {
    static COLUMNS: OnceLock<HashSet<&'static str>> = OnceLock::new();
    COLUMNS.get_or_init(|| {
        include_str!("../catalog/column_types.txt")
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let parts: Vec<&str> = line.split('|').collect();
                match parts.as_slice() {
                    ["pg_catalog", _, column, "name"] => Some(*column),
                    _ => None,
                }
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_rewrites_to, rewritten};
    use super::*;

    #[test]
    fn name_subscripts_are_characters() {
        // Compared as text: the parser reads `substr(...)` as its own SUBSTRING node, the
        // rewrite writes the function call DataFusion plans the same way.
        assert_eq!(
            rewritten(
                "SELECT typname[0] = '_' AND t.typname[1] = 'x' FROM pg_type t",
                &NameSubscript
            ),
            "SELECT substr(typname, 1, 1) = '_' AND substr(t.typname, 2, 1) = 'x' FROM pg_type t",
        );
        let array = "SELECT prattrs[s] FROM pg_publication_rel";
        assert_rewrites_to(&NameSubscript, array, array);
    }
}
