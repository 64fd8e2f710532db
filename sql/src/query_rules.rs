//! What PostgreSQL refuses in a query's clauses, found in its syntax before planning and
//! reported with PostgreSQL's SQLSTATE: DataFusion refuses most of these too, but only as
//! planning text. Each rule is a [`QueryRule`]; [`QUERY_RULES`] lists them.

use std::collections::HashSet;
use std::ops::ControlFlow;

use datafusion::execution::SessionState;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    Expr, Function, GroupByExpr, Query, Select, SelectItem, SetExpr, TableFactor, Value, Visit,
    Visitor,
};

use crate::error::{ErrorKind, Result, SqlError};
use crate::names;

/// One check of a query's clauses.
pub trait QueryRule: Sync {
    /// The first violation in `query` (not in the queries it nests; those are checked on
    /// their own).
    fn check(&self, query: &Query, functions: &Functions) -> Result<()>;
}

/// What the rules need to know of the session's functions.
pub struct Functions<'a> {
    state: &'a SessionState,
}

impl Functions<'_> {
    fn is_aggregate(&self, function: &Function) -> bool {
        function.over.is_none()
            && self
                .state
                .aggregate_functions()
                .contains_key(&names::object_name(&function.name))
    }
}

/// Every query rule, in the order they report.
pub const QUERY_RULES: &[&dyn QueryRule] = &[
    &DistinctWithNames,
    &DerivedTablesHaveAliases,
    &GroupByPositionsExist,
    &NoAggregatesOrWindowsInWhere,
    &NoNestedAggregates,
    &NoUngroupedColumns,
    &DistinctAggregatesOrderByTheirArguments,
];

/// Checks every query of `statement`, the nested ones too.
pub fn check(statement: &DFStatement, state: &SessionState) -> Result<()> {
    struct Queries<'a> {
        functions: Functions<'a>,
    }
    impl Visitor for Queries<'_> {
        type Break = SqlError;
        fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<SqlError> {
            for rule in QUERY_RULES {
                if let Err(e) = rule.check(query, &self.functions) {
                    return ControlFlow::Break(e);
                }
            }
            ControlFlow::Continue(())
        }
    }
    let DFStatement::Statement(statement) = statement else {
        return Ok(());
    };
    let mut queries = Queries {
        functions: Functions { state },
    };
    match statement.visit(&mut queries) {
        ControlFlow::Break(e) => Err(e),
        ControlFlow::Continue(()) => Ok(()),
    }
}

/// The `SELECT`s of a query's body (the operands of its set operations).
fn selects(body: &SetExpr) -> Vec<&Select> {
    match body {
        SetExpr::Select(select) => vec![select],
        SetExpr::Query(query) => selects(&query.body),
        SetExpr::SetOperation { left, right, .. } => {
            let mut all = selects(left);
            all.extend(selects(right));
            all
        }
        _ => vec![],
    }
}

/// The function calls of `expr` outside its subqueries.
fn calls(expr: &Expr) -> Vec<Function> {
    struct Calls {
        depth: usize,
        found: Vec<Function>,
    }
    impl Visitor for Calls {
        type Break = ();
        fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
            if let (0, Expr::Function(f)) = (self.depth, expr) {
                self.found.push(f.clone());
            }
            ControlFlow::Continue(())
        }
    }
    let mut calls = Calls {
        depth: 0,
        found: vec![],
    };
    let _ = expr.visit(&mut calls);
    calls.found
}

/// `WITH a AS (...), a AS (...)`: 42712 duplicate_alias.
struct DistinctWithNames;

impl QueryRule for DistinctWithNames {
    fn check(&self, query: &Query, _: &Functions) -> Result<()> {
        let Some(with) = &query.with else {
            return Ok(());
        };
        let mut seen = HashSet::new();
        for cte in &with.cte_tables {
            let name = names::normalized(&cte.alias.name);
            if !seen.insert(name.clone()) {
                return Err(SqlError::new(
                    ErrorKind::DuplicateAlias,
                    format!("WITH query name \"{name}\" specified more than once"),
                ));
            }
        }
        Ok(())
    }
}

/// `FROM (SELECT ...)` without a name: 42601, as in PostgreSQL 15. Only the relations
/// `FROM` lists, not the right side of a `JOIN`: the server's catalog rewrites (the
/// `'name'::regclass` lookup of datafusion-pg-catalog) join an unnamed subquery.
struct DerivedTablesHaveAliases;

impl QueryRule for DerivedTablesHaveAliases {
    fn check(&self, query: &Query, _: &Functions) -> Result<()> {
        for select in selects(&query.body) {
            for table in &select.from {
                if let TableFactor::Derived { alias: None, .. } = &table.relation {
                    return Err(SqlError::new(
                        ErrorKind::Syntax,
                        "subquery in FROM must have an alias",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// `GROUP BY 3` with fewer select items: 42P10 invalid_column_reference.
struct GroupByPositionsExist;

impl QueryRule for GroupByPositionsExist {
    fn check(&self, query: &Query, _: &Functions) -> Result<()> {
        for select in selects(&query.body) {
            let GroupByExpr::Expressions(exprs, _) = &select.group_by else {
                continue;
            };
            let wildcard = select.projection.iter().any(|item| {
                matches!(
                    item,
                    SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
                )
            });
            for expr in exprs {
                let Expr::Value(value) = expr else { continue };
                let Value::Number(digits, _) = &value.value else {
                    continue;
                };
                let Ok(position) = digits.parse::<i64>() else {
                    continue;
                };
                let listed = select.projection.len() as i64;
                if position < 1 || (!wildcard && position > listed) {
                    return Err(SqlError::new(
                        ErrorKind::InvalidColumnReference,
                        format!("GROUP BY position {position} is not in select list"),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// An aggregate (42803 grouping_error) or window function (42P20 windowing_error) in
/// `WHERE`.
struct NoAggregatesOrWindowsInWhere;

impl QueryRule for NoAggregatesOrWindowsInWhere {
    fn check(&self, query: &Query, functions: &Functions) -> Result<()> {
        for select in selects(&query.body) {
            let Some(selection) = &select.selection else {
                continue;
            };
            for call in calls(selection) {
                if call.over.is_some() {
                    return Err(SqlError::new(
                        ErrorKind::WindowingError,
                        "window functions are not allowed in WHERE",
                    ));
                }
                if functions.is_aggregate(&call) {
                    return Err(SqlError::new(
                        ErrorKind::GroupingError,
                        "aggregate functions are not allowed in WHERE",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// An aggregate of an aggregate, `count(sum(x))`: 42803 grouping_error (an aggregate
/// inside a window function's arguments, `sum(count(*)) OVER ()`, is fine).
struct NoNestedAggregates;

impl QueryRule for NoNestedAggregates {
    fn check(&self, query: &Query, functions: &Functions) -> Result<()> {
        for select in selects(&query.body) {
            for item in &select.projection {
                let expr = match item {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => e,
                    _ => continue,
                };
                for call in calls(expr).iter().filter(|c| functions.is_aggregate(c)) {
                    let nested = call_arguments(call)
                        .iter()
                        .flat_map(calls)
                        .any(|inner| functions.is_aggregate(&inner));
                    if nested {
                        return Err(SqlError::new(
                            ErrorKind::GroupingError,
                            "aggregate function calls cannot be nested",
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// `array_agg(DISTINCT x ORDER BY y)`: 42P10 invalid_column_reference, as in PostgreSQL
/// (which rows are distinct would depend on `y`). Expressions compare as written, a
/// column's qualifier aside.
struct DistinctAggregatesOrderByTheirArguments;

impl QueryRule for DistinctAggregatesOrderByTheirArguments {
    fn check(&self, query: &Query, functions: &Functions) -> Result<()> {
        use datafusion::sql::sqlparser::ast::{
            DuplicateTreatment, FunctionArgumentClause, FunctionArguments,
        };
        let unqualified = |e: &Expr| match e {
            Expr::CompoundIdentifier(parts) => parts
                .last()
                .map_or_else(|| e.to_string(), names::normalized),
            Expr::Identifier(ident) => names::normalized(ident),
            other => other.to_string(),
        };
        for select in selects(&query.body) {
            let exprs = select.projection.iter().filter_map(|item| match item {
                SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => Some(e),
                _ => None,
            });
            for expr in exprs.chain(select.having.iter()) {
                for call in calls(expr).iter().filter(|c| functions.is_aggregate(c)) {
                    let FunctionArguments::List(list) = &call.args else {
                        continue;
                    };
                    if list.duplicate_treatment != Some(DuplicateTreatment::Distinct) {
                        continue;
                    }
                    let arguments: HashSet<String> =
                        call_arguments(call).iter().map(unqualified).collect();
                    let ordered_by_other = list.clauses.iter().any(|clause| match clause {
                        FunctionArgumentClause::OrderBy(order) => order
                            .iter()
                            .any(|o| !arguments.contains(&unqualified(&o.expr))),
                        _ => false,
                    });
                    if ordered_by_other {
                        return Err(SqlError::new(
                            ErrorKind::InvalidColumnReference,
                            "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list",
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// A column beside an aggregate in a query without `GROUP BY` (`SELECT city, count(*)
/// FROM person`): 42803 grouping_error. With `GROUP BY`, which columns are grouped is left
/// to DataFusion.
struct NoUngroupedColumns;

impl QueryRule for NoUngroupedColumns {
    fn check(&self, query: &Query, functions: &Functions) -> Result<()> {
        for select in selects(&query.body) {
            let GroupByExpr::Expressions(grouping, _) = &select.group_by else {
                continue;
            };
            if !grouping.is_empty() {
                continue;
            }
            let items: Vec<&Expr> = select
                .projection
                .iter()
                .filter_map(|item| match item {
                    SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } => {
                        Some(e)
                    }
                    _ => None,
                })
                .collect();
            let aggregated = select.having.is_some()
                || items
                    .iter()
                    .any(|e| calls(e).iter().any(|c| functions.is_aggregate(c)));
            if !aggregated {
                continue;
            }
            if let Some(column) = items
                .iter()
                .find_map(|e| column_outside_aggregates(e, functions))
            {
                return Err(SqlError::new(
                    ErrorKind::GroupingError,
                    format!(
                        "column \"{column}\" must appear in the GROUP BY clause or be used in an aggregate function"
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// The first column `expr` reads outside aggregate calls and subqueries.
fn column_outside_aggregates(expr: &Expr, functions: &Functions) -> Option<String> {
    struct Columns<'a, 'f> {
        functions: &'a Functions<'f>,
        /// Aggregate calls and subqueries the visit is inside.
        depth: usize,
    }
    impl Visitor for Columns<'_, '_> {
        type Break = String;
        fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<String> {
            self.depth += 1;
            ControlFlow::Continue(())
        }
        fn post_visit_query(&mut self, _: &Query) -> ControlFlow<String> {
            self.depth -= 1;
            ControlFlow::Continue(())
        }
        fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<String> {
            match expr {
                Expr::Function(f) if self.functions.is_aggregate(f) => self.depth += 1,
                Expr::Identifier(ident) if self.depth == 0 && !is_sql_value_function(ident) => {
                    return ControlFlow::Break(names::normalized(ident));
                }
                Expr::CompoundIdentifier(parts) if self.depth == 0 => {
                    let parts: Vec<String> = parts.iter().map(names::normalized).collect();
                    return ControlFlow::Break(parts.join("."));
                }
                _ => {}
            }
            ControlFlow::Continue(())
        }
        fn post_visit_expr(&mut self, expr: &Expr) -> ControlFlow<String> {
            if let Expr::Function(f) = expr
                && self.functions.is_aggregate(f)
            {
                self.depth -= 1;
            }
            ControlFlow::Continue(())
        }
    }
    let mut columns = Columns {
        functions,
        depth: 0,
    };
    match expr.visit(&mut columns) {
        ControlFlow::Break(column) => Some(column),
        ControlFlow::Continue(()) => None,
    }
}

/// The SQL keywords that read as values, which a parser may leave as bare names
/// (`current_user`, `current_schema`).
fn is_sql_value_function(ident: &datafusion::sql::sqlparser::ast::Ident) -> bool {
    ident.quote_style.is_none()
        && matches!(
            names::normalized(ident).as_str(),
            "current_user"
                | "session_user"
                | "user"
                | "current_role"
                | "current_schema"
                | "current_catalog"
                | "current_date"
                | "current_time"
                | "current_timestamp"
                | "localtime"
                | "localtimestamp"
        )
}

fn call_arguments(call: &Function) -> Vec<Expr> {
    use datafusion::sql::sqlparser::ast::{FunctionArg, FunctionArgExpr, FunctionArguments};
    let FunctionArguments::List(list) = &call.args else {
        return vec![];
    };
    list.args
        .iter()
        .filter_map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e))
            | FunctionArg::Named {
                arg: FunctionArgExpr::Expr(e),
                ..
            }
            | FunctionArg::ExprNamed {
                arg: FunctionArgExpr::Expr(e),
                ..
            } => Some(e.clone()),
            _ => None,
        })
        .collect()
}
