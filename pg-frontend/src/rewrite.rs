//! Rewrites of the catalog queries psql, drivers and BI tools send, into SQL DataFusion
//! plans with the same answer. They apply only to statements that read `pg_catalog` or
//! `information_schema` (see `handler::parse_statements`); other statements run exactly
//! as written.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::helpers::attached_token::AttachedToken;
use datafusion::sql::sqlparser::ast::{
    AccessExpr, BinaryOperator, Expr as SqlExpr, FunctionArg, FunctionArgExpr,
    FunctionArgumentList, FunctionArguments, GroupByExpr, Ident, ObjectName, SelectItem, SetExpr,
    Statement, TableFactor, Value, VisitMut, VisitorMut, visit_expressions_mut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

/// Ends the wire name in an output column's alias made unique by
/// [`with_unique_output_names`]; the column is sent under the name before it.
pub const WIRE_NAME_END: char = '\u{1}';

/// Output columns that would share a name (`SELECT 1, 1`, `SELECT NULL, NULL`, pgjdbc's
/// `getProcedures`), which PostgreSQL allows and DataFusion refuses, get unique aliases
/// that end, after [`WIRE_NAME_END`], in their position; clients see the names
/// PostgreSQL would send (the column's name, a function's name, else `?column?`).
pub fn with_unique_output_names(statement: &mut Statement) {
    let Statement::Query(query) = statement else {
        return;
    };
    let SetExpr::Select(select) = query.body.as_mut() else {
        return;
    };
    let normalized = |ident: &Ident| match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_ascii_lowercase(),
    };
    let name = |item: &SelectItem| match item {
        SelectItem::UnnamedExpr(SqlExpr::Identifier(ident)) => Some(normalized(ident)),
        SelectItem::UnnamedExpr(SqlExpr::CompoundIdentifier(parts)) => parts.last().map(normalized),
        SelectItem::UnnamedExpr(expr) => Some(expr.to_string()),
        SelectItem::ExprWithAlias { alias, .. } => Some(normalized(alias)),
        _ => None,
    };
    let names: Vec<Option<String>> = select.projection.iter().map(name).collect();
    let mut counts: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for n in names.iter().flatten() {
        *counts.entry(n.as_str()).or_default() += 1;
    }
    let repeated = |n: &Option<String>| n.as_deref().is_some_and(|n| counts[n] > 1);
    if !names.iter().any(repeated) {
        return;
    }
    let mut first_seen = std::collections::HashSet::new();
    for (position, (item, name)) in select.projection.iter_mut().zip(&names).enumerate() {
        if !repeated(name) {
            continue;
        }
        let first = first_seen.insert(name.clone());
        let unique =
            |wire: &str| Ident::with_quote('"', format!("{wire}{WIRE_NAME_END}{}", position + 1));
        match item {
            // A repeated column keeps its name where it first appears.
            SelectItem::UnnamedExpr(SqlExpr::Identifier(_) | SqlExpr::CompoundIdentifier(_))
                if first => {}
            SelectItem::UnnamedExpr(expr) => {
                let wire = match expr {
                    SqlExpr::Identifier(ident) => normalized(ident),
                    SqlExpr::CompoundIdentifier(parts) => {
                        parts.last().map(normalized).unwrap_or_default()
                    }
                    SqlExpr::Function(f) => f
                        .name
                        .0
                        .last()
                        .and_then(|p| p.as_ident())
                        .map(normalized)
                        .unwrap_or_else(|| "?column?".to_string()),
                    _ => "?column?".to_string(),
                };
                *item = SelectItem::ExprWithAlias {
                    expr: expr.clone(),
                    alias: unique(&wire),
                };
            }
            SelectItem::ExprWithAlias { alias, .. } if !first => {
                *alias = unique(&normalized(alias));
            }
            _ => {}
        }
    }
}

/// Every rewrite below, in order.
pub fn as_datafusion_catalog_query(statement: &mut Statement) {
    with_formatted_names_resolved(statement);
    without_array_subqueries(statement);
    with_postgres_functions(statement);
    with_boolean_literals(statement);
    with_aggregated_scalar_subqueries(statement);
    let _ = statement.visit(&mut FunctionsInFrom);
    let _ = statement.visit(&mut InSubqueriesInSelectLists);
}

/// `CAST(format('%I.%I', schema, table) AS regclass)`, the OID of a relation named by
/// two columns (Metabase's column sync passes it to `col_description`): the relation's
/// `pg_class.oid` read by a correlated subquery (its aliases chosen not to shadow the
/// outer query's), NULL where PostgreSQL would fail for a
/// missing relation. datafusion-pg-catalog resolves only literal and placeholder names;
/// other computed names are left to fail.
fn with_formatted_names_resolved(statement: &mut Statement) {
    let _ = visit_expressions_mut(statement, |expr| {
        if let SqlExpr::Cast {
            expr: operand,
            data_type,
            ..
        } = expr
            && is_regclass(data_type)
            && let Some((schema, table)) = qualified_name_parts(operand)
        {
            let lookup = format!(
                "(SELECT max(named_relation.oid) FROM pg_catalog.pg_class named_relation \
                 JOIN pg_catalog.pg_namespace named_schema \
                 ON named_relation.relnamespace = named_schema.oid \
                 WHERE named_schema.nspname = {schema} AND named_relation.relname = {table})"
            );
            if let Ok(rewritten) = Parser::new(&PostgreSqlDialect {})
                .try_with_sql(&lookup)
                .and_then(|mut p| p.parse_expr())
            {
                *expr = rewritten;
            }
        }
        ControlFlow::<()>::Continue(())
    });
}

fn is_regclass(data_type: &datafusion::sql::sqlparser::ast::DataType) -> bool {
    let name = data_type.to_string().to_ascii_lowercase();
    name.strip_prefix("pg_catalog.").unwrap_or(&name) == "regclass"
}

/// The schema and table expressions of `format('%I.%I', schema, table)`.
fn qualified_name_parts(expr: &SqlExpr) -> Option<(&SqlExpr, &SqlExpr)> {
    let SqlExpr::Function(f) = expr else {
        return None;
    };
    let is_format = f
        .name
        .0
        .last()
        .and_then(|part| part.as_ident())
        .is_some_and(|i| i.value.eq_ignore_ascii_case("format"));
    let FunctionArguments::List(list) = &f.args else {
        return None;
    };
    let [
        FunctionArg::Unnamed(FunctionArgExpr::Expr(template)),
        FunctionArg::Unnamed(FunctionArgExpr::Expr(schema)),
        FunctionArg::Unnamed(FunctionArgExpr::Expr(table)),
    ] = list.args.as_slice()
    else {
        return None;
    };
    let qualified_template = matches!(
        template,
        SqlExpr::Value(v) if matches!(&v.value, Value::SingleQuotedString(t) if t == "%I.%I")
    );
    (is_format && qualified_template).then_some((schema, table))
}

/// `x [NOT] IN (SELECT e ...)` in a select list, where DataFusion plans IN subqueries only
/// as filters, as `[NOT] coalesce(array_has((SELECT array_agg(e) ...), x), false)`: the
/// same answer for the catalog's non-null values. Not in `ORDER BY`: DataFusion 54's
/// physical plan drops a sort on a scalar subquery (the rows come back unsorted), so
/// there the IN subquery stays refused.
struct InSubqueriesInSelectLists;

impl VisitorMut for InSubqueriesInSelectLists {
    type Break = ();

    fn pre_visit_query(
        &mut self,
        query: &mut datafusion::sql::sqlparser::ast::Query,
    ) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_mut() {
            for item in &mut select.projection {
                if let SelectItem::UnnamedExpr(e) | SelectItem::ExprWithAlias { expr: e, .. } = item
                {
                    in_subqueries_as_arrays(e);
                }
            }
        }
        ControlFlow::Continue(())
    }
}

fn in_subqueries_as_arrays(expr: &mut SqlExpr) {
    let _ = visit_expressions_mut(expr, |e| {
        if let SqlExpr::InSubquery {
            expr: needle,
            subquery,
            negated,
        } = e
            && let SetExpr::Select(select) = subquery.body.as_mut()
            && let [item] = select.projection.as_mut_slice()
            && let SelectItem::UnnamedExpr(value) | SelectItem::ExprWithAlias { expr: value, .. } =
                item
        {
            *value = function_call("array_agg", vec![value.clone()]);
            let values = SqlExpr::Subquery(subquery.clone());
            let found = function_call(
                "coalesce",
                vec![
                    function_call("array_has", vec![values, (**needle).clone()]),
                    SqlExpr::value(Value::Boolean(false)),
                ],
            );
            *e = if *negated {
                SqlExpr::UnaryOp {
                    op: datafusion::sql::sqlparser::ast::UnaryOperator::Not,
                    expr: Box::new(found),
                }
            } else {
                found
            };
        }
        ControlFlow::<()>::Continue(())
    });
}

/// Functions of one value that PostgreSQL lets a FROM clause read as a one-row table.
const VALUE_FUNCTIONS_IN_FROM: [&str; 3] = [
    "string_to_array",
    "current_schemas",
    "regexp_split_to_array",
];

/// A function in FROM under a table alias alone (`generate_series(1, 3) AS i`,
/// `string_to_array(current_setting('search_path'), ',') s`, as Grafana expands the
/// search path): in PostgreSQL its one column takes the alias's name, so `i` and `s`
/// are columns. DataFusion names `generate_series`'s column `value` and has no functions
/// of one value in FROM; both become a subquery whose column carries the alias.
struct FunctionsInFrom;

impl VisitorMut for FunctionsInFrom {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name,
            args: Some(args),
            alias: Some(alias),
            ..
        } = factor
            && alias.columns.is_empty()
            && let Some(function) = name.0.last().and_then(|p| p.as_ident())
        {
            let function = function.value.to_ascii_lowercase();
            let arguments: Vec<String> = args.args.iter().map(|a| a.to_string()).collect();
            let call = format!("{name}({})", arguments.join(", "));
            let column = &alias.name;
            let subquery = if function == "generate_series" {
                format!("SELECT value AS {column} FROM {call}")
            } else if VALUE_FUNCTIONS_IN_FROM.contains(&function.as_str()) {
                format!("SELECT {call} AS {column}")
            } else {
                return ControlFlow::Continue(());
            };
            if let Ok(subquery) = Parser::new(&PostgreSqlDialect {})
                .try_with_sql(&subquery)
                .and_then(|mut p| p.parse_query())
            {
                *factor = TableFactor::Derived {
                    lateral: false,
                    subquery,
                    alias: Some(alias.clone()),
                    sample: None,
                };
            }
        }
        ControlFlow::Continue(())
    }
}

/// `ARRAY(SELECT ...)` (psql's `\du` role memberships) as an empty text array: there is
/// no such constructor in DataFusion, and our roles are not members of one another.
fn without_array_subqueries(statement: &mut Statement) {
    let _ = visit_expressions_mut(statement, |expr| {
        if let SqlExpr::Function(f) = expr
            && f.name.to_string().eq_ignore_ascii_case("array")
            && matches!(f.args, FunctionArguments::Subquery(_))
        {
            *expr = SqlExpr::Array(datafusion::sql::sqlparser::ast::Array {
                elem: vec![],
                named: true,
            });
        }
        ControlFlow::<()>::Continue(())
    });
}

/// `pg_catalog` flag columns compared with a quoted literal (`i.indisprimary = 'f'`, as
/// SQLAlchemy 1.4 writes): PostgreSQL reads `'t'`/`'f'` as booleans there, DataFusion
/// would compare a boolean with text. Only these columns' comparisons change.
fn with_boolean_literals(statement: &mut Statement) {
    const FLAGS: [&str; 24] = [
        "indisprimary",
        "indisunique",
        "indisvalid",
        "indisready",
        "indislive",
        "indimmediate",
        "indisclustered",
        "indisexclusion",
        "indnullsnotdistinct",
        "relhasindex",
        "relisshared",
        "relispartition",
        "relhasrules",
        "relhastriggers",
        "relhassubclass",
        "relispopulated",
        "attnotnull",
        "atthasdef",
        "attisdropped",
        "attislocal",
        "condeferrable",
        "condeferred",
        "convalidated",
        "conislocal",
    ];
    let is_flag = |e: &SqlExpr| {
        let name = match e {
            SqlExpr::Identifier(i) => Some(&i.value),
            SqlExpr::CompoundIdentifier(parts) => parts.last().map(|i| &i.value),
            _ => None,
        };
        name.is_some_and(|n| FLAGS.contains(&n.to_ascii_lowercase().as_str()))
    };
    let as_boolean = |e: &SqlExpr| match e {
        SqlExpr::Value(v) => match &v.value {
            Value::SingleQuotedString(t) => match t.to_ascii_lowercase().as_str() {
                "t" | "true" | "y" | "yes" | "on" | "1" => Some(true),
                "f" | "false" | "n" | "no" | "off" | "0" => Some(false),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    };
    let _ = visit_expressions_mut(statement, |expr| {
        if let SqlExpr::BinaryOp { left, op, right } = expr
            && matches!(op, BinaryOperator::Eq | BinaryOperator::NotEq)
        {
            if is_flag(left)
                && let Some(b) = as_boolean(right)
            {
                **right = SqlExpr::value(Value::Boolean(b));
            } else if is_flag(right)
                && let Some(b) = as_boolean(left)
            {
                **left = SqlExpr::value(Value::Boolean(b));
            }
        }
        ControlFlow::<()>::Continue(())
    });
}

/// PostgreSQL's set-returning functions and record access as DataFusion writes them:
/// `information_schema._pg_expandarray(a)` (pgjdbc's key lookups) as
/// `unnest(_pg_expandarray(a))` (our function returns the `(x, n)` records as a list,
/// `unnest` makes them rows), `generate_subscripts`, and `(record).field`.
fn with_postgres_functions(statement: &mut Statement) {
    let _ = visit_expressions_mut(statement, |expr| {
        if let SqlExpr::Function(f) = expr
            && f.name
                .0
                .last()
                .and_then(|part| part.as_ident())
                .is_some_and(|i| i.value.eq_ignore_ascii_case("_pg_expandarray"))
        {
            let mut inner = f.clone();
            inner.name = ObjectName::from(vec![Ident::new("_pg_expandarray")]);
            let mut unnest = f.clone();
            unnest.name = ObjectName::from(vec![Ident::new("unnest")]);
            unnest.args = FunctionArguments::List(FunctionArgumentList {
                duplicate_treatment: None,
                args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(
                    SqlExpr::Function(inner),
                ))],
                clauses: vec![],
            });
            *expr = SqlExpr::Function(unnest);
        }
        // `generate_subscripts(a, dim)` (SQLAlchemy's key reflection): the same positions
        // as `unnest(generate_series(1, array_length(a, dim)))`, row for row beside
        // `unnest(a)`.
        if let SqlExpr::Function(f) = expr
            && f.name
                .0
                .last()
                .and_then(|part| part.as_ident())
                .is_some_and(|i| i.value.eq_ignore_ascii_case("generate_subscripts"))
            && let FunctionArguments::List(list) = &f.args
            && let [array, dimension] = list.args.as_slice()
        {
            let text = format!("unnest(generate_series(1, array_length({array}, {dimension})))");
            if let Ok(rewritten) = Parser::new(&PostgreSqlDialect {})
                .try_with_sql(&text)
                .and_then(|mut p| p.parse_expr())
            {
                *expr = rewritten;
                return ControlFlow::<()>::Continue(());
            }
        }
        // `(record).field`, which DataFusion reads only on a plain column.
        if let SqlExpr::CompoundFieldAccess { root, access_chain } = expr
            && let [AccessExpr::Dot(SqlExpr::Identifier(field))] = access_chain.as_slice()
            && matches!(root.as_ref(), SqlExpr::Nested(_))
        {
            let text = format!("get_field({root}, '{}')", field.value.replace('\'', "''"));
            if let Ok(rewritten) = Parser::new(&PostgreSqlDialect {})
                .try_with_sql(&text)
                .and_then(|mut p| p.parse_expr())
            {
                *expr = rewritten;
            }
        }
        ControlFlow::<()>::Continue(())
    });
}

/// Aggregates that make a scalar subquery's one row themselves.
const AGGREGATES: [&str; 14] = [
    "count",
    "max",
    "min",
    "sum",
    "avg",
    "array_agg",
    "string_agg",
    "bool_and",
    "bool_or",
    "every",
    "json_agg",
    "jsonb_agg",
    "first_value",
    "last_value",
];

/// A correlated scalar subquery that is not aggregated (`(SELECT pg_get_expr(adbin,
/// adrelid) FROM pg_attrdef WHERE adrelid = a.attrelid AND adnum = a.attnum)`, as
/// SQLAlchemy 2.x reflects column defaults) as `(SELECT max(...) ...)`: DataFusion only
/// decorrelates subqueries that aggregate. The catalog's keys make these match at most one
/// row, so the answer is the same; where PostgreSQL would fail on a second row, this
/// answers the largest. Conditions on the outer row alone (`WHERE a.atthasdef AND ...`),
/// which DataFusion cannot decorrelate either, move around the subquery:
/// `CASE WHEN a.atthasdef THEN (SELECT ...) END`.
fn with_aggregated_scalar_subqueries(statement: &mut Statement) {
    let _ = visit_expressions_mut(statement, |expr| {
        if let SqlExpr::Subquery(query) = expr
            && let SetExpr::Select(select) = query.body.as_ref()
            && reads_only_empty_tables(&select.from)
        {
            *expr = SqlExpr::value(Value::Null);
            return ControlFlow::<()>::Continue(());
        }
        if let SqlExpr::Subquery(query) = expr
            && query.limit_clause.is_none()
            && query.fetch.is_none()
            && let SetExpr::Select(select) = query.body.as_mut()
            && select.having.is_none()
            && matches!(&select.group_by, GroupByExpr::Expressions(keys, _) if keys.is_empty())
            && let [item] = select.projection.as_mut_slice()
            && let SelectItem::UnnamedExpr(value) | SelectItem::ExprWithAlias { expr: value, .. } =
                item
            && !is_aggregate(value)
            && let Some(selection) = select.selection.take()
        {
            *value = function_call("max", vec![value.clone()]);
            let own = relation_names(&select.from);
            let (outer, inner): (Vec<SqlExpr>, Vec<SqlExpr>) = conjuncts(selection)
                .into_iter()
                .partition(|c| reads_only_outer_columns(c, &own));
            select.selection = all_of(inner);
            if let Some(condition) = all_of(outer) {
                let subquery = std::mem::replace(expr, SqlExpr::value(Value::Null));
                *expr = SqlExpr::Case {
                    case_token: AttachedToken::empty(),
                    end_token: AttachedToken::empty(),
                    operand: None,
                    conditions: vec![datafusion::sql::sqlparser::ast::CaseWhen {
                        condition,
                        result: subquery,
                    }],
                    else_result: None,
                };
            }
        }
        ControlFlow::<()>::Continue(())
    });
}

/// Catalog tables that are empty in every graph: OmniGraph has no sequences.
const ALWAYS_EMPTY: [&str; 1] = ["pg_sequence"];

/// Whether a FROM clause only joins (inner) tables that are always empty, so a scalar
/// subquery over it is NULL. SQLAlchemy 2.x asks for identity options so, with the outer
/// row inside the subquery's own projection, where DataFusion cannot decorrelate it.
fn reads_only_empty_tables(from: &[datafusion::sql::sqlparser::ast::TableWithJoins]) -> bool {
    use datafusion::sql::sqlparser::ast::{JoinOperator, TableFactor};
    let empty = |factor: &TableFactor| {
        matches!(factor, TableFactor::Table { name, .. }
        if name.0.last().and_then(|p| p.as_ident()).is_some_and(|n| {
            ALWAYS_EMPTY.iter().any(|e| n.value.eq_ignore_ascii_case(e))
        }))
    };
    !from.is_empty()
        && from.iter().all(|t| {
            empty(&t.relation)
                && t.joins.iter().all(|j| {
                    empty(&j.relation)
                        && matches!(
                            j.join_operator,
                            JoinOperator::Join(_) | JoinOperator::Inner(_)
                        )
                })
        })
}

/// The names a query's FROM items are known by (aliases, and tables' last name parts).
fn relation_names(from: &[datafusion::sql::sqlparser::ast::TableWithJoins]) -> Vec<String> {
    use datafusion::sql::sqlparser::ast::TableFactor;
    let mut names = Vec::new();
    let factors = from
        .iter()
        .flat_map(|t| std::iter::once(&t.relation).chain(t.joins.iter().map(|j| &j.relation)));
    for factor in factors {
        if let TableFactor::Table { name, .. } = factor
            && let Some(last) = name.0.last().and_then(|p| p.as_ident())
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

fn conjuncts(expr: SqlExpr) -> Vec<SqlExpr> {
    match expr {
        SqlExpr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            let mut all = conjuncts(*left);
            all.extend(conjuncts(*right));
            all
        }
        SqlExpr::Nested(inner)
            if matches!(
                inner.as_ref(),
                SqlExpr::BinaryOp {
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

fn all_of(conditions: Vec<SqlExpr>) -> Option<SqlExpr> {
    conditions
        .into_iter()
        .reduce(|left, right| SqlExpr::BinaryOp {
            left: Box::new(left),
            op: BinaryOperator::And,
            right: Box::new(right),
        })
}

/// Whether `condition` reads columns, all of them qualified by a relation that is not
/// one of `own` (so of an outer query), and no subquery.
fn reads_only_outer_columns(condition: &SqlExpr, own: &[String]) -> bool {
    let mut columns = 0;
    let verdict = datafusion::sql::sqlparser::ast::visit_expressions(condition, |e| match e {
        SqlExpr::CompoundIdentifier(parts) if parts.len() >= 2 => {
            let relation = parts[parts.len() - 2].value.to_ascii_lowercase();
            columns += 1;
            if own.contains(&relation) {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        }
        SqlExpr::Identifier(_)
        | SqlExpr::Subquery(_)
        | SqlExpr::Exists { .. }
        | SqlExpr::InSubquery { .. } => ControlFlow::Break(()),
        _ => ControlFlow::Continue(()),
    });
    verdict.is_continue() && columns > 0
}

fn is_aggregate(expr: &SqlExpr) -> bool {
    matches!(expr, SqlExpr::Function(f) if f.over.is_none() && f.name.0.last()
        .and_then(|part| part.as_ident())
        .is_some_and(|name| AGGREGATES.iter().any(|a| name.value.eq_ignore_ascii_case(a))))
}

fn function_call(name: &str, args: Vec<SqlExpr>) -> SqlExpr {
    SqlExpr::Function(datafusion::sql::sqlparser::ast::Function {
        name: ObjectName::from(vec![Ident::new(name)]),
        uses_odbc_syntax: false,
        parameters: FunctionArguments::None,
        args: FunctionArguments::List(FunctionArgumentList {
            duplicate_treatment: None,
            args: args
                .into_iter()
                .map(|a| FunctionArg::Unnamed(FunctionArgExpr::Expr(a)))
                .collect(),
            clauses: vec![],
        }),
        filter: None,
        null_treatment: None,
        over: None,
        within_group: vec![],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str, rewrite: fn(&mut Statement)) -> String {
        let mut statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .expect("parses")
            .remove(0);
        rewrite(&mut statement);
        statement.to_string().replace(WIRE_NAME_END, "|")
    }

    #[test]
    fn formatted_relation_names_cast_to_regclass_are_looked_up() {
        assert_eq!(
            rewritten(
                "SELECT col_description(CAST(CAST(format('%I.%I', c.s, c.t) AS regclass) AS oid), 1) FROM c",
                with_formatted_names_resolved
            ),
            "SELECT col_description(CAST((SELECT max(named_relation.oid) \
             FROM pg_catalog.pg_class named_relation JOIN pg_catalog.pg_namespace named_schema \
             ON named_relation.relnamespace = named_schema.oid \
             WHERE named_schema.nspname = c.s AND named_relation.relname = c.t) AS oid), 1) FROM c"
        );
        // Other operands are left as written.
        let other = "SELECT CAST(format('%s', c.t) AS REGCLASS) FROM c";
        assert_eq!(rewritten(other, with_formatted_names_resolved), other);
    }

    #[test]
    fn repeated_output_names_get_unique_aliases() {
        assert_eq!(
            rewritten(
                "SELECT 1, 1, a, t.a, count(*), count(*) FROM t",
                with_unique_output_names
            ),
            "SELECT 1 AS \"?column?|1\", 1 AS \"?column?|2\", a, t.a AS \"a|4\", \
             count(*) AS \"count|5\", count(*) AS \"count|6\" FROM t"
        );
        assert_eq!(
            rewritten("SELECT NULL AS x, NULL AS X", with_unique_output_names),
            "SELECT NULL AS x, NULL AS \"x|2\""
        );
        let unique = "SELECT 1, a, b AS c FROM t";
        assert_eq!(rewritten(unique, with_unique_output_names), unique);
    }

    #[test]
    fn correlated_subqueries_aggregate_and_hoist_outer_conditions() {
        assert_eq!(
            rewritten(
                "SELECT (SELECT d.adbin FROM pg_attrdef d WHERE a.atthasdef AND d.adrelid = a.attrelid) FROM pg_attribute a",
                with_aggregated_scalar_subqueries
            ),
            "SELECT CASE WHEN a.atthasdef THEN (SELECT max(d.adbin) FROM pg_attrdef d \
             WHERE d.adrelid = a.attrelid) END FROM pg_attribute a"
        );
        assert_eq!(
            rewritten(
                "SELECT (SELECT s.seqstart FROM pg_sequence s WHERE s.seqrelid = a.attrelid) FROM pg_attribute a",
                with_aggregated_scalar_subqueries
            ),
            "SELECT NULL FROM pg_attribute a"
        );
        let aggregated =
            "SELECT (SELECT count(*) FROM pg_index i WHERE i.indrelid = c.oid) FROM pg_class c";
        assert_eq!(
            rewritten(aggregated, with_aggregated_scalar_subqueries),
            aggregated
        );
    }

    #[test]
    fn functions_in_from_name_their_column_after_the_alias() {
        let from_items = |s: &mut Statement| {
            let _ = s.visit(&mut FunctionsInFrom);
        };
        assert_eq!(
            rewritten(
                "SELECT s[i] FROM generate_series(1, 2) AS i, string_to_array('a,b', ',') s",
                from_items
            ),
            "SELECT s[i] FROM (SELECT value AS i FROM generate_series(1, 2)) AS i, \
             (SELECT string_to_array('a,b', ',') AS s) s"
        );
        let untouched = "SELECT * FROM generate_series(1, 2) AS g (n), person p";
        assert_eq!(rewritten(untouched, from_items), untouched);
    }

    #[test]
    fn in_subqueries_in_select_lists_read_an_array() {
        let in_select_lists = |s: &mut Statement| {
            let _ = s.visit(&mut InSubqueriesInSelectLists);
        };
        assert_eq!(
            rewritten(
                "SELECT a IN (SELECT b FROM t) FROM u WHERE a IN (SELECT b FROM t) \
                 ORDER BY a NOT IN (SELECT b FROM t)",
                in_select_lists
            ),
            "SELECT coalesce(array_has((SELECT array_agg(b) FROM t), a), false) FROM u \
             WHERE a IN (SELECT b FROM t) ORDER BY a NOT IN (SELECT b FROM t)"
        );
    }
}
