//! Correlated scalar subqueries that do not aggregate, which DataFusion cannot
//! decorrelate.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    AccessExpr, BinaryOperator, Expr, Function, FunctionArgumentClause, FunctionArguments,
    GroupByExpr, Ident, LimitClause, OrderBy, OrderByKind, Query, SelectItem, SetExpr, Statement,
    Subscript, TableFactor, TableWithJoins, Value, visit_expressions, visit_expressions_mut,
};
use omnigraph_sql::column_name::column_name;

use omnigraph_sql::names::AGGREGATE_FUNCTIONS;

use super::CatalogRewrite;
use super::ast::{all_of, case_when, function_call, last_name, null, number};

/// A correlated scalar subquery that is not aggregated (`(SELECT pg_get_expr(adbin,
/// adrelid) FROM pg_attrdef WHERE adrelid = a.attrelid AND adnum = a.attnum)`, as
/// SQLAlchemy 2.x reflects column defaults) as `(SELECT max(...) ...)`: DataFusion only
/// decorrelates subqueries that aggregate. The catalog's keys make these match at most one
/// row, so the answer is the same; where PostgreSQL would fail on a second row, this
/// answers the largest. Conditions on the outer row alone (`WHERE a.atthasdef AND ...`),
/// which DataFusion cannot decorrelate either, move around the subquery:
/// `CASE WHEN a.atthasdef THEN (SELECT ...) END`.
pub struct CorrelatedScalarSubquery;

impl CatalogRewrite for CorrelatedScalarSubquery {
    fn name(&self) -> &'static str {
        "correlated_scalar_subquery"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = visit_expressions_mut(statement, |expr| {
            if let Expr::Subquery(query) = expr {
                first_row_as_aggregate(query);
            }
            ControlFlow::<()>::Continue(())
        });
        let _ = visit_expressions_mut(statement, |expr| {
            if let Expr::Subquery(query) = expr
                && query.limit_clause.is_none()
                && query.fetch.is_none()
                && let SetExpr::Select(select) = query.body.as_mut()
                && select.having.is_none()
                && matches!(&select.group_by, GroupByExpr::Expressions(keys, _) if keys.is_empty())
                && let [item] = select.projection.as_mut_slice()
                && let SelectItem::UnnamedExpr(value)
                | SelectItem::ExprWithAlias { expr: value, .. } = item
                && !contains_aggregate(value)
                && let Some(selection) = select.selection.take()
            {
                let aggregated = function_call("max", vec![value.clone()]);
                *item = keeping_name(item, aggregated);
                let own = relation_names(&select.from);
                let (outer, inner): (Vec<Expr>, Vec<Expr>) = conjuncts(selection)
                    .into_iter()
                    .partition(|c| reads_only_outer_columns(c, &own));
                select.selection = all_of(inner);
                if let Some(condition) = all_of(outer) {
                    let subquery = std::mem::replace(expr, null());
                    *expr = case_when(condition, subquery);
                }
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

/// `(SELECT v FROM ... WHERE ... ORDER BY k LIMIT 1)` (Grafana's first timestamp column of
/// a table) as `(SELECT (array_agg(v ORDER BY k))[1] FROM ... WHERE ...)`: the same first
/// row, NULL for none, as an aggregate DataFusion decorrelates (it cannot a `LIMIT`).
fn first_row_as_aggregate(query: &mut Query) {
    let limit_one = matches!(
        &query.limit_clause,
        Some(LimitClause::LimitOffset { limit: Some(Expr::Value(v)), offset: None, limit_by })
            if limit_by.is_empty() && matches!(&v.value, Value::Number(n, _) if n == "1")
    );
    if !limit_one || query.fetch.is_some() || query.with.is_some() {
        return;
    }
    let SetExpr::Select(select) = query.body.as_mut() else {
        return;
    };
    let ungrouped =
        matches!(&select.group_by, GroupByExpr::Expressions(keys, _) if keys.is_empty());
    if !ungrouped || select.having.is_some() || select.distinct.is_some() {
        return;
    }
    let [item] = select.projection.as_mut_slice() else {
        return;
    };
    let (SelectItem::UnnamedExpr(value) | SelectItem::ExprWithAlias { expr: value, .. }) = item
    else {
        return;
    };
    if contains_aggregate(value) {
        return;
    }
    let order = match query.order_by.take() {
        None => vec![],
        Some(OrderBy {
            kind: OrderByKind::Expressions(order),
            ..
        }) => order,
        Some(other) => {
            query.order_by = Some(other);
            return;
        }
    };
    let mut aggregated = function_call("array_agg", vec![value.clone()]);
    if let Expr::Function(Function {
        args: FunctionArguments::List(list),
        ..
    }) = &mut aggregated
        && !order.is_empty()
    {
        list.clauses = vec![FunctionArgumentClause::OrderBy(order)];
    }
    let first = Expr::CompoundFieldAccess {
        root: Box::new(Expr::Nested(Box::new(aggregated))),
        access_chain: vec![AccessExpr::Subscript(Subscript::Index { index: number(1) })],
    };
    *item = keeping_name(item, first);
    query.limit_clause = None;
}

/// `item` computing `value` under the name it had: the subquery's column is named after
/// it (`?column?` for an expression, not `max`).
fn keeping_name(item: &SelectItem, value: Expr) -> SelectItem {
    match item {
        SelectItem::ExprWithAlias { alias, .. } => SelectItem::ExprWithAlias {
            expr: value,
            alias: alias.clone(),
        },
        SelectItem::UnnamedExpr(original) => SelectItem::ExprWithAlias {
            expr: value,
            alias: Ident::with_quote('"', column_name(original)),
        },
        other => other.clone(),
    }
}

fn contains_aggregate(expr: &Expr) -> bool {
    visit_expressions(expr, |e| match is_aggregate(e) {
        true => ControlFlow::Break(()),
        false => ControlFlow::Continue(()),
    })
    .is_break()
}

/// The names a query's FROM items are known by (aliases, and tables' last name parts).
fn relation_names(from: &[TableWithJoins]) -> Vec<String> {
    let mut names = Vec::new();
    let factors = from
        .iter()
        .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)));
    for factor in factors {
        if let TableFactor::Table { name, .. } = factor
            && let Some(last) = last_name(name)
        {
            names.push(last.value.to_ascii_lowercase());
        }
        let alias = match factor {
            TableFactor::Table { alias, .. }
            | TableFactor::Derived { alias, .. }
            | TableFactor::Function { alias, .. }
            | TableFactor::UNNEST { alias, .. } => alias.as_ref(),
            _ => None,
        };
        if let Some(alias) = alias {
            names.push(alias.name.value.to_ascii_lowercase());
        }
    }
    names
}

/// The conditions `expr` requires all of (`a AND (b AND c)` is `a`, `b`, `c`).
fn conjuncts(expr: Expr) -> Vec<Expr> {
    match expr {
        Expr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            let mut all = conjuncts(*left);
            all.extend(conjuncts(*right));
            all
        }
        Expr::Nested(inner)
            if matches!(
                inner.as_ref(),
                Expr::BinaryOp {
                    op: BinaryOperator::And,
                    ..
                }
            ) =>
        {
            conjuncts(*inner)
        }
        other => vec![other],
    }
}

/// Whether `condition` reads columns, all of them qualified by a relation that is not
/// one of `own` (so of an outer query), and no subquery.
fn reads_only_outer_columns(condition: &Expr, own: &[String]) -> bool {
    let mut columns = 0;
    let verdict = visit_expressions(condition, |e| match e {
        Expr::CompoundIdentifier(parts) if parts.len() >= 2 => {
            let relation = parts[parts.len() - 2].value.to_ascii_lowercase();
            columns += 1;
            if own.contains(&relation) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
        Expr::Identifier(_) | Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => {
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    });
    verdict.is_continue() && columns > 0
}

fn is_aggregate(expr: &Expr) -> bool {
    matches!(expr, Expr::Function(f) if f.over.is_none() && last_name(&f.name)
        .is_some_and(|name| AGGREGATE_FUNCTIONS
            .iter()
            .any(|a| name.value.eq_ignore_ascii_case(a))))
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_rewrites_to, rewritten};
    use super::*;

    #[test]
    fn correlated_subqueries_aggregate_and_hoist_outer_conditions() {
        assert_eq!(
            rewritten(
                "SELECT (SELECT d.adbin FROM pg_attrdef d WHERE a.atthasdef AND d.adrelid = a.attrelid) FROM pg_attribute a",
                &CorrelatedScalarSubquery
            ),
            "SELECT CASE WHEN a.atthasdef THEN (SELECT max(d.adbin) AS \"adbin\" FROM pg_attrdef d \
             WHERE d.adrelid = a.attrelid) END FROM pg_attribute a"
        );
        let aggregated =
            "SELECT (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) FROM pg_class c";
        assert_eq!(rewritten(aggregated, &CorrelatedScalarSubquery), aggregated);
    }

    #[test]
    fn a_first_row_is_the_first_of_an_ordered_aggregate() {
        assert_rewrites_to(
            &CorrelatedScalarSubquery,
            "SELECT (SELECT c.column_name FROM information_schema.columns c \
             WHERE c.table_name = t.table_name ORDER BY c.ordinal_position LIMIT 1) \
             FROM information_schema.tables t",
            "SELECT (SELECT (array_agg(c.column_name ORDER BY c.ordinal_position))[1] \
             AS \"column_name\" FROM information_schema.columns c \
             WHERE c.table_name = t.table_name) FROM information_schema.tables t",
        );
    }

    #[test]
    fn hoisted_conditions_are_the_case_their_text_parses_to() {
        assert_rewrites_to(
            &CorrelatedScalarSubquery,
            "SELECT (SELECT d.adbin FROM pg_attrdef d \
             WHERE a.atthasdef AND (d.adrelid = a.attrelid AND a.attnum > 0)) FROM pg_attribute a",
            "SELECT CASE WHEN a.atthasdef AND a.attnum > 0 THEN (SELECT max(d.adbin) AS \"adbin\" \
             FROM pg_attrdef d WHERE d.adrelid = a.attrelid) END FROM pg_attribute a",
        );
    }
}
