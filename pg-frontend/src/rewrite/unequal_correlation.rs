//! A scalar subquery in a catalog query's select list that compares the outer row other
//! than by equality (psql's `\d`: `(SELECT c.collname FROM pg_collation c, pg_type t WHERE
//! c.oid = a.attcollation AND t.oid = a.atttypid AND a.attcollation <> t.typcollation)`),
//! which DataFusion cannot decorrelate, is NULL when it does not aggregate. The catalogs
//! these read have no row such a comparison keeps here (no column has a collation other
//! than its type's): the answer PostgreSQL gives for our objects. A subquery correlated by
//! equalities only is left to [`super::correlated_scalar`], which makes DataFusion
//! decorrelate it; an aggregating one compared unequally is left to fail (0A000).

use std::collections::HashSet;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, Query, SelectItem, SetExpr, Statement, TableFactor, Value, Visit,
    VisitMut, Visitor, VisitorMut,
};

use super::CatalogRewrite;
use super::ast::last_name;
use super::empty_tables::aggregates;

pub struct UnequalCorrelation;

impl CatalogRewrite for UnequalCorrelation {
    fn name(&self) -> &'static str {
        "unequal_correlation"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = statement.visit(&mut SelectLists);
    }
}

struct SelectLists;

impl VisitorMut for SelectLists {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_mut() {
            for item in &mut select.projection {
                let (SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. }) = item
                else {
                    continue;
                };
                if let Expr::Subquery(subquery) = expr
                    && compares_outer_row_unequally(subquery)
                {
                    *expr = Expr::Value(Value::Null.into());
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// Whether a conjunct of `query`'s `WHERE` reads both its own relations and the outer
/// row's, other than as `inner = outer`, in a subquery that does not aggregate (a count
/// over no rows is 0, not NULL: such a subquery stays, and fails to plan).
fn compares_outer_row_unequally(query: &Query) -> bool {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    if aggregates(select) {
        return false;
    }
    let own: HashSet<String> = select
        .from
        .iter()
        .flat_map(|f| std::iter::once(&f.relation).chain(f.joins.iter().map(|j| &j.relation)))
        .filter_map(relation_name)
        .collect();
    let Some(selection) = &select.selection else {
        return false;
    };
    conjuncts(selection).into_iter().any(|conjunct| {
        let (inner, outer) = references(conjunct, &own);
        inner
            && outer
            && !matches!(
                conjunct,
                Expr::BinaryOp {
                    op: BinaryOperator::Eq,
                    left,
                    right,
                } if sides_apart(left, right, &own)
            )
    })
}

/// Whether one side of an equality reads only the subquery's relations, the other only
/// the outer row.
fn sides_apart(left: &Expr, right: &Expr, own: &HashSet<String>) -> bool {
    let left = references(left, own);
    let right = references(right, own);
    (left == (true, false) && right == (false, true))
        || (left == (false, true) && right == (true, false))
}

fn relation_name(relation: &TableFactor) -> Option<String> {
    match relation {
        TableFactor::Table { name, alias, .. } => Some(match alias {
            Some(alias) => alias.name.value.to_ascii_lowercase(),
            None => last_name(name)?.value.to_ascii_lowercase(),
        }),
        TableFactor::Derived {
            alias: Some(alias), ..
        } => Some(alias.name.value.to_ascii_lowercase()),
        _ => None,
    }
}

fn conjuncts(expr: &Expr) -> Vec<&Expr> {
    match expr {
        Expr::BinaryOp {
            op: BinaryOperator::And,
            left,
            right,
        } => [conjuncts(left), conjuncts(right)].concat(),
        Expr::Nested(inner) => conjuncts(inner),
        other => vec![other],
    }
}

/// Whether `expr` reads the subquery's own relations (a column qualified by one of them,
/// or unqualified), and whether it reads the outer row's (qualified by another name).
fn references(expr: &Expr, own: &HashSet<String>) -> (bool, bool) {
    struct Columns<'a> {
        own: &'a HashSet<String>,
        inner: bool,
        outer: bool,
    }
    impl Visitor for Columns<'_> {
        type Break = ();
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            match expr {
                Expr::Identifier(_) => self.inner = true,
                Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
                    let qualifier = parts[parts.len() - 2].value.to_ascii_lowercase();
                    if self.own.contains(&qualifier) {
                        self.inner = true;
                    } else {
                        self.outer = true;
                    }
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
    }
    let mut columns = Columns {
        own,
        inner: false,
        outer: false,
    };
    let _ = expr.visit(&mut columns);
    (columns.inner, columns.outer)
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_rewrites_to;
    use super::*;

    #[test]
    fn only_unequal_correlations_are_null() {
        assert_rewrites_to(
            &UnequalCorrelation,
            "SELECT a.attname, (SELECT c.collname FROM pg_collation c, pg_type t \
             WHERE c.oid = a.attcollation AND t.oid = a.atttypid \
             AND a.attcollation <> t.typcollation) AS attcollation FROM pg_attribute a",
            "SELECT a.attname, NULL AS attcollation FROM pg_attribute a",
        );
        let equal = "SELECT c.conname, (SELECT fkc.relname FROM pg_class AS fkc \
                     WHERE fkc.oid = c.confrelid) FROM pg_constraint AS c";
        assert_rewrites_to(&UnequalCorrelation, equal, equal);
        // A count is never NULL.
        let counted = "SELECT c.relname, (SELECT count(*) FROM pg_attribute AS a \
                       WHERE a.attrelid = c.oid AND a.attnum > c.relnatts) FROM pg_class AS c";
        assert_rewrites_to(&UnequalCorrelation, counted, counted);
    }
}
