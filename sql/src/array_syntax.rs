//! PostgreSQL's array and set-returning syntax that DataFusion plans differently or not
//! at all, rewritten in the statement's syntax before planning (after the result columns
//! are named, so the names stay PostgreSQL's):
//!
//! - `x op ANY (array)` for `<>`, `<`, `<=`, `>`, `>=` as `NOT (x op' ALL (array))` with
//!   the opposite operator: DataFusion plans `ALL` with SQL's NULL rules and `ANY` from
//!   the array's smallest or largest element, which skips null elements;
//! - `a && b` (arrays overlap) as `array_has_any(a, b)`;
//! - `ARRAY(SELECT ...)` as a scalar subquery aggregating the rows (`{}` for none);
//! - `generate_series(...)` in a select list as the rows it generates (`unnest` of
//!   DataFusion's list-valued `generate_series`), `regexp_split_to_table(...)` (in a select
//!   list or `FROM`) as the `unnest` of `regexp_split_to_array(...)`;
//! - `FROM generate_series(...) g` and `FROM unnest(array) u` name their one column
//!   after the alias (`unnest` without one), as PostgreSQL does.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    Array, BinaryOperator, CastKind, DataType, Expr, Function, FunctionArg, FunctionArgExpr,
    FunctionArgumentClause, FunctionArgumentList, FunctionArguments, GroupByExpr, Ident,
    ObjectName, OrderBy, OrderByExpr, OrderByKind, OrderByOptions, Query, SelectItem, SetExpr,
    TableAlias, TableAliasColumnDef, TableFactor, UnaryOperator, Value, VisitMut, VisitorMut,
    WindowSpec, WindowType,
};

use crate::{names, syntax};
use datafusion_omnigraph::syntax_builders::function_call as call;

/// Rewrites the array syntax of every query of `statement`.
pub fn with_postgres_array_syntax(statement: &mut DFStatement) {
    struct Rewrites;
    impl VisitorMut for Rewrites {
        type Break = ();
        fn post_visit_expr(&mut self, expr: &mut Expr) -> ControlFlow<()> {
            rewrite_expr(expr);
            ControlFlow::Continue(())
        }
        fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
            select_list_series(&mut query.body);
            ControlFlow::Continue(())
        }
        fn post_visit_table_factor(&mut self, table: &mut TableFactor) -> ControlFlow<()> {
            name_function_column(table);
            ControlFlow::Continue(())
        }
    }
    if let DFStatement::Statement(statement) = statement {
        let _ = statement.visit(&mut Rewrites);
    }
}

fn rewrite_expr(expr: &mut Expr) {
    match expr {
        Expr::AnyOp {
            left,
            compare_op,
            right,
            ..
        } if !matches!(right.as_ref(), Expr::Subquery(_)) => {
            let Some(opposite) = opposite(compare_op) else {
                return;
            };
            let all = Expr::AllOp {
                left: left.clone(),
                compare_op: opposite,
                right: right.clone(),
            };
            *expr = Expr::UnaryOp {
                op: UnaryOperator::Not,
                expr: Box::new(Expr::Nested(Box::new(all))),
            };
        }
        Expr::BinaryOp {
            left,
            op: BinaryOperator::PGOverlap,
            right,
        } => {
            *expr = call("array_has_any", vec![(**left).clone(), (**right).clone()]);
        }
        Expr::Function(function) if is_array_constructor(function) => {
            if let FunctionArguments::Subquery(query) = &function.args {
                *expr = array_of_rows(query.as_ref().clone());
            }
        }
        _ => {}
    }
}

/// The operator whose `ALL` is the negation of `op`'s `ANY`; `None` for `=`, which
/// DataFusion plans as `array_has` (given PostgreSQL's NULL answers after planning).
fn opposite(op: &BinaryOperator) -> Option<BinaryOperator> {
    Some(match op {
        BinaryOperator::NotEq => BinaryOperator::Eq,
        BinaryOperator::Lt => BinaryOperator::GtEq,
        BinaryOperator::LtEq => BinaryOperator::Gt,
        BinaryOperator::Gt => BinaryOperator::LtEq,
        BinaryOperator::GtEq => BinaryOperator::Lt,
        _ => return None,
    })
}

fn is_named(function: &Function, name: &str) -> bool {
    names::object_name(&function.name) == name
}

fn is_array_constructor(function: &Function) -> bool {
    is_named(function, "array") && matches!(function.args, FunctionArguments::Subquery(_))
}

/// `ARRAY(query)`: aggregated in the query itself where it is a plain `SELECT` of one
/// value ([`aggregated_in_place`]), else `(SELECT coalesce(array_agg(e), ARRAY[]) FROM
/// (query) AS r(e))` (`{}` for no rows). A query with `ORDER BY` also numbers its rows in
/// that order (`row_number() OVER (ORDER BY ...)`), and the aggregate follows the numbers:
/// the aggregate would not see the rows sorted, a sort no operator above needs is dropped.
fn array_of_rows(query: Query) -> Expr {
    match aggregated_in_place(&query) {
        Some(expr) => expr,
        None => array_of_derived_rows(query),
    }
}

/// `ARRAY(SELECT v FROM ... WHERE ... ORDER BY k)` as `(SELECT coalesce(array_agg(v ORDER
/// BY k), ARRAY[]) FROM ... WHERE ...)`, for a query with no `WITH`, `DISTINCT`, grouping,
/// aggregate, window, `LIMIT` or `OFFSET`: the same rows, and a subquery that refers to
/// the outer query only where DataFusion decorrelates it (its `WHERE`), where a derived
/// table around it would hide the reference.
fn aggregated_in_place(query: &Query) -> Option<Expr> {
    if query.with.is_some()
        || query.limit_clause.is_some()
        || query.fetch.is_some()
        || !query.locks.is_empty()
    {
        return None;
    }
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let ungrouped = matches!(&select.group_by, GroupByExpr::Expressions(keys, modifiers) if keys.is_empty() && modifiers.is_empty());
    if select.distinct.is_some()
        || !ungrouped
        || select.having.is_some()
        || select.qualify.is_some()
        || !select.named_window.is_empty()
        || select.projection.len() != 1
        || select.from.is_empty()
    {
        return None;
    }
    let (value, alias) = match &select.projection[0] {
        SelectItem::UnnamedExpr(e) => (e.clone(), None),
        SelectItem::ExprWithAlias { expr, alias } => (expr.clone(), Some(alias.clone())),
        _ => return None,
    };
    if aggregates_or_windows(&value) {
        return None;
    }
    let order = match &query.order_by {
        None => vec![],
        Some(OrderBy {
            kind: OrderByKind::Expressions(order),
            interpolate: None,
        }) => order_reading_value(order, &value, alias.as_ref()),
        Some(_) => return None,
    };
    let mut aggregated = call("array_agg", vec![value]);
    if let Expr::Function(Function {
        args: FunctionArguments::List(list),
        ..
    }) = &mut aggregated
        && !order.is_empty()
    {
        list.clauses = vec![FunctionArgumentClause::OrderBy(order)];
    }
    let empty = Expr::Array(Array {
        elem: vec![],
        named: true,
    });
    let mut select = select.as_ref().clone();
    select.projection = vec![SelectItem::UnnamedExpr(call(
        "coalesce",
        vec![aggregated, empty],
    ))];
    Some(Expr::Subquery(Box::new(Query {
        body: Box::new(SetExpr::Select(Box::new(select))),
        order_by: None,
        ..query.clone()
    })))
}

/// Whether `expr` calls an aggregate or window function (an `OVER`, `FILTER` or `WITHIN
/// GROUP` clause, or one of the aggregates PostgreSQL and DataFusion share), which an
/// `array_agg` around it could not hold; a scalar subquery's count too, to be safe.
fn aggregates_or_windows(expr: &Expr) -> bool {
    let mut found = false;
    let _ = datafusion::sql::sqlparser::ast::visit_expressions(expr, |e| {
        if let Expr::Function(f) = e {
            let name = names::object_name(&f.name);
            found |= f.over.is_some()
                || f.filter.is_some()
                || !f.within_group.is_empty()
                || names::AGGREGATE_FUNCTIONS.contains(&name.as_str());
        }
        ControlFlow::<()>::Continue(())
    });
    found
}

/// `order` with the keys that read the select list (`ORDER BY 1`, `ORDER BY alias`) as
/// the value itself.
fn order_reading_value(
    order: &[OrderByExpr],
    value: &Expr,
    alias: Option<&Ident>,
) -> Vec<OrderByExpr> {
    order
        .iter()
        .map(|key| {
            let reads_select_list = match &key.expr {
                Expr::Value(v) => matches!(&v.value, Value::Number(n, _) if n == "1"),
                Expr::Identifier(ident) => alias.is_some_and(|a| a.value == ident.value),
                _ => false,
            };
            OrderByExpr {
                expr: match reads_select_list {
                    true => value.clone(),
                    false => key.expr.clone(),
                },
                ..key.clone()
            }
        })
        .collect()
}

fn array_of_derived_rows(mut query: Query) -> Expr {
    let element = Ident::new("__array_element");
    let position = Ident::new("__array_position");
    let numbered = number_rows(&mut query, &position);
    let mut columns = vec![element.clone()];
    if numbered {
        columns.push(position.clone());
    }
    let rows = TableFactor::Derived {
        lateral: false,
        subquery: Box::new(query),
        alias: Some(table_alias("__array_rows", columns)),
        sample: None,
    };
    let mut aggregated = call("array_agg", vec![Expr::Identifier(element)]);
    if numbered
        && let Expr::Function(Function {
            args: FunctionArguments::List(list),
            ..
        }) = &mut aggregated
    {
        list.clauses = vec![FunctionArgumentClause::OrderBy(vec![OrderByExpr {
            expr: Expr::Identifier(position),
            options: OrderByOptions {
                asc: None,
                nulls_first: None,
            },
            with_fill: None,
        }])];
    }
    let empty = Expr::Array(Array {
        elem: vec![],
        named: true,
    });
    let value = call("coalesce", vec![aggregated, empty]);
    Expr::Subquery(syntax::select_from_relation(
        rows,
        vec![SelectItem::UnnamedExpr(value)],
    ))
}

/// Adds `row_number() OVER (ORDER BY <the query's ORDER BY>) AS position` to the select
/// list of a one-`SELECT` query with `ORDER BY` (not `DISTINCT`, whose rows the number
/// would make distinct); whether it did.
fn number_rows(query: &mut Query, position: &Ident) -> bool {
    let Some(OrderBy {
        kind: OrderByKind::Expressions(order),
        ..
    }) = &query.order_by
    else {
        return false;
    };
    let SetExpr::Select(select) = query.body.as_mut() else {
        return false;
    };
    if select.distinct.is_some() || select.projection.len() != 1 {
        return false;
    }
    // `ORDER BY 1` and `ORDER BY alias` read the select list, which a window's
    // `ORDER BY` cannot.
    let (value, alias) = match &select.projection[0] {
        SelectItem::UnnamedExpr(e) => (e.clone(), None),
        SelectItem::ExprWithAlias { expr, alias } => (expr.clone(), Some(alias.clone())),
        _ => return false,
    };
    let order = order_reading_value(order, &value, alias.as_ref());
    let mut row_number = call("row_number", vec![]);
    if let Expr::Function(f) = &mut row_number {
        f.over = Some(WindowType::WindowSpec(WindowSpec {
            window_name: None,
            partition_by: vec![],
            order_by: order,
            window_frame: None,
        }));
    }
    select.projection.push(SelectItem::ExprWithAlias {
        expr: row_number,
        alias: position.clone(),
    });
    true
}

fn table_alias(name: &str, columns: Vec<Ident>) -> TableAlias {
    TableAlias {
        explicit: true,
        name: Ident::new(name),
        columns: columns
            .into_iter()
            .map(|name| TableAliasColumnDef {
                name,
                data_type: None,
            })
            .collect(),
        at: None,
    }
}

/// `generate_series(...)` among a select list's values as `unnest(generate_series(...))`.
fn select_list_series(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => {
            for item in &mut select.projection {
                let expr = match item {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
                    _ => continue,
                };
                series_as_rows(expr);
            }
        }
        SetExpr::SetOperation { left, right, .. } => {
            select_list_series(left);
            select_list_series(right);
        }
        _ => {}
    }
}

/// Wraps the `generate_series` calls of `expr` (not those of its subqueries, nor one
/// already unnested) in `unnest`.
fn series_as_rows(expr: &mut Expr) {
    match expr {
        Expr::Function(f) if is_named(f, "regexp_split_to_table") => {
            f.name = ObjectName::from(vec![Ident::new("regexp_split_to_array")]);
            let split = expr.clone();
            *expr = call("unnest", vec![split]);
        }
        Expr::Function(f) if is_named(f, "generate_series") => {
            let integer = integer_literal_arguments(f);
            let rows = call("unnest", vec![expr.clone()]);
            // PostgreSQL's `generate_series(integer, integer)` is `integer`; DataFusion's
            // is `bigint`. Only literal bounds are known to be `integer` here.
            *expr = match integer {
                true => Expr::Cast {
                    kind: CastKind::Cast,
                    expr: Box::new(rows),
                    data_type: DataType::Integer(None),
                    array: false,
                    format: None,
                },
                false => rows,
            };
        }
        Expr::Function(f) if is_named(f, "unnest") => {}
        Expr::Function(f) => {
            if let FunctionArguments::List(list) = &mut f.args {
                for arg in &mut list.args {
                    if let FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) = arg {
                        series_as_rows(e);
                    }
                }
            }
        }
        Expr::BinaryOp { left, right, .. } => {
            series_as_rows(left);
            series_as_rows(right);
        }
        Expr::UnaryOp { expr: inner, .. }
        | Expr::Nested(inner)
        | Expr::Cast { expr: inner, .. } => series_as_rows(inner),
        _ => {}
    }
}

/// Whether every argument of `function` is an integer literal that fits in 32 bits.
fn integer_literal_arguments(function: &Function) -> bool {
    let FunctionArguments::List(list) = &function.args else {
        return false;
    };
    list.args.iter().all(|arg| {
        let FunctionArg::Unnamed(FunctionArgExpr::Expr(written)) = arg else {
            return false;
        };
        let unsigned = match written {
            Expr::UnaryOp {
                op: UnaryOperator::Minus,
                expr,
            } => expr.as_ref(),
            other => other,
        };
        matches!(unsigned, Expr::Value(v)
            if matches!(&v.value, Value::Number(n, false) if n.parse::<i32>().is_ok()))
    })
}

/// Names the one column of `generate_series(...)` and `unnest(array)` in `FROM`;
/// `regexp_split_to_table(...)` there is the `unnest` of `regexp_split_to_array(...)`,
/// its column named after the function (or the alias).
fn name_function_column(table: &mut TableFactor) {
    if let TableFactor::Table {
        name,
        args: Some(args),
        alias,
        ..
    } = table
        && names::object_name(name) == "regexp_split_to_table"
    {
        let mut alias = alias.take();
        name_single_column(&mut alias, "regexp_split_to_table");
        let split = Expr::Function(Function {
            name: ObjectName::from(vec![Ident::new("regexp_split_to_array")]),
            uses_odbc_syntax: false,
            parameters: FunctionArguments::None,
            args: FunctionArguments::List(FunctionArgumentList {
                duplicate_treatment: None,
                args: args.args.clone(),
                clauses: vec![],
            }),
            filter: None,
            null_treatment: None,
            over: None,
            within_group: vec![],
        });
        *table = TableFactor::UNNEST {
            alias,
            array_exprs: vec![split],
            with_offset: false,
            with_offset_alias: None,
            with_ordinality: false,
        };
        return;
    }
    match table {
        // Unaliased, its column stays DataFusion's `value`, which the server's rewrites
        // of catalog queries read.
        TableFactor::Table {
            name,
            args: Some(_),
            alias: alias @ Some(_),
            ..
        } if names::object_name(name) == "generate_series" => {
            name_single_column(alias, "generate_series");
        }
        TableFactor::UNNEST {
            alias,
            array_exprs,
            with_offset: false,
            with_ordinality: false,
            ..
        } if array_exprs.len() == 1 => {
            name_single_column(alias, "unnest");
        }
        _ => {}
    }
}

fn name_single_column(alias: &mut Option<TableAlias>, function: &str) {
    match alias {
        Some(alias) if alias.columns.is_empty() => {
            alias.columns.push(TableAliasColumnDef {
                name: alias.name.clone(),
                data_type: None,
            });
        }
        Some(_) => {}
        None => {
            *alias = Some(table_alias(function, vec![Ident::new(function)]));
        }
    }
}
