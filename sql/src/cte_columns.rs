//! A `WITH` query's column list given to the columns of its first `SELECT` before
//! DataFusion plans the statement. DataFusion applies the list only to the planned
//! query, too late for a recursive query's second term, which reads the columns by the
//! list's names (`WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t ...)`),
//! and refuses a list naming fewer columns than the query has, which in PostgreSQL names
//! the first ones and leaves the rest as they are.
//!
//! A recursive query's integer literals are also typed here, as `integer` when they fit
//! in 32 bits: DataFusion fixes a recursive query's column types while planning (they
//! are not retyped after it as other integer literals are), and PostgreSQL's `integer`
//! columns overflow (22003) where `bigint` ones would silently count on.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    CastKind, Cte, DataType, Expr, Ident, Query, Select, SelectItem, SetExpr, Value, VisitMut,
    VisitorMut,
};

use crate::column_name::column_name;
use crate::output_names::first_select;

/// Names the columns of every `WITH` query of `statement` that has a column list.
pub fn with_cte_column_names(statement: &mut DFStatement) {
    struct Ctes;
    impl VisitorMut for Ctes {
        type Break = ();
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            if let Some(with) = query.with.as_mut() {
                with.cte_tables.iter_mut().for_each(name_columns);
                if with.recursive {
                    for cte in &mut with.cte_tables {
                        integer_literals(&mut cte.query.body);
                    }
                }
            }
            ControlFlow::Continue(())
        }
    }
    if let DFStatement::Statement(statement) = statement {
        let _ = statement.visit(&mut Ctes);
    }
}

/// Aliases the first select's columns with `cte`'s column list; a list naming fewer
/// columns than there are is then dropped, the aliases say it all. Left alone (to
/// DataFusion's own handling and errors): a body without a select (`VALUES`), a `*`,
/// a list naming more columns than there are.
fn name_columns(cte: &mut Cte) {
    let names: Vec<_> = cte.alias.columns.iter().map(|c| c.name.clone()).collect();
    if names.is_empty() {
        return;
    }
    let Some(select) = first_select(&mut cte.query.body) else {
        return;
    };
    let named = |item: &SelectItem| {
        matches!(
            item,
            SelectItem::UnnamedExpr(_) | SelectItem::ExprWithAlias { .. }
        )
    };
    if select.projection.len() < names.len() || !select.projection.iter().all(named) {
        return;
    }
    for (item, name) in select.projection.iter_mut().zip(names.iter()) {
        let expr = match item {
            SelectItem::UnnamedExpr(expr) | SelectItem::ExprWithAlias { expr, .. } => expr.clone(),
            _ => return,
        };
        *item = SelectItem::ExprWithAlias {
            expr,
            alias: name.clone(),
        };
    }
    if select.projection.len() > names.len() {
        // The columns the list does not name keep PostgreSQL's names for them.
        for item in select.projection.iter_mut().skip(names.len()) {
            if let SelectItem::UnnamedExpr(expr) = item {
                let alias = Ident::with_quote('"', column_name(expr));
                *item = SelectItem::ExprWithAlias {
                    expr: expr.clone(),
                    alias,
                };
            }
        }
        cte.alias.columns.clear();
    }
}

/// Types the integer literals of `body`'s selects (not of their subqueries, whose
/// `LIMIT` must stay as planned) that fit in 32 bits as `integer`.
fn integer_literals(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => select_integer_literals(select),
        SetExpr::Query(query) => integer_literals(&mut query.body),
        SetExpr::SetOperation { left, right, .. } => {
            integer_literals(left);
            integer_literals(right);
        }
        _ => {}
    }
}

fn select_integer_literals(select: &mut Select) {
    struct Literals {
        /// Subqueries the visit is inside.
        depth: usize,
    }
    impl VisitorMut for Literals {
        type Break = ();
        fn pre_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            if self.depth == 0
                && let Expr::Value(value) = expr
                && let Value::Number(digits, false) = &value.value
                && digits.parse::<i32>().is_ok()
            {
                *expr = Expr::Cast {
                    kind: CastKind::Cast,
                    expr: Box::new(expr.clone()),
                    data_type: DataType::Integer(None),
                    array: false,
                    format: None,
                };
            }
            ControlFlow::Continue(())
        }
    }
    let mut literals = Literals { depth: 0 };
    for item in &mut select.projection {
        if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item {
            let _ = e.visit(&mut literals);
        }
    }
    for clause in [&mut select.selection, &mut select.having]
        .into_iter()
        .flatten()
    {
        let _ = clause.visit(&mut literals);
    }
}
