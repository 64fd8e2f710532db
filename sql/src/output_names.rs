//! Result columns under the names PostgreSQL gives them, for the shell, embedders and the
//! server alike: a query's unaliased output columns are aliased with PostgreSQL's name
//! for them ([`column_name`]: `count`, `max`, `?column?`, `version`, ...) before
//! DataFusion plans it, instead of DataFusion's (`count(*)`, `Int64(1)`), and the result
//! schema may repeat a name, as PostgreSQL's may (`SELECT 1, 2` is `?column?`,
//! `?column?`).

use std::collections::HashSet;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::sql::parser::Statement as DFStatement;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Ident, Query, Select, SelectItem, SetExpr, Statement, VisitMut, VisitorMut,
};
use futures::StreamExt;

use crate::column_name::column_name;
use crate::names::normalized;
use crate::result::RowStream;

/// Ends the planned name of an output column whose name an earlier column has already
/// (DataFusion refuses repeated names); the column's name is what comes before it.
const UNIQUE_NAME_END: char = '\u{1}';

/// Aliases the unaliased output columns of `statement`'s outermost select (the first of
/// a set operation's, which names its columns) with the names PostgreSQL gives them;
/// columns whose name an earlier column has get a unique alias that
/// [`postgres_schema`] reads back.
pub fn with_output_names(statement: &mut DFStatement) {
    let DFStatement::Statement(statement) = statement else {
        return;
    };
    let _ = statement.visit(&mut InnerQueries { depth: 0 });
    let Statement::Query(query) = statement.as_mut() else {
        return;
    };
    let Some(select) = first_select(&mut query.body) else {
        return;
    };
    let mut seen = HashSet::new();
    for (position, item) in select.projection.iter_mut().enumerate() {
        let Some(name) = output_name(item) else {
            continue;
        };
        let repeated = !seen.insert(name.clone());
        let alias = |name: &str| match repeated {
            true => Ident::with_quote('"', format!("{name}{UNIQUE_NAME_END}{}", position + 1)),
            false => Ident::with_quote('"', name),
        };
        match item {
            // A column is already named as PostgreSQL names it (by its last part).
            SelectItem::UnnamedExpr(Expr::Identifier(_) | Expr::CompoundIdentifier(_))
                if !repeated => {}
            SelectItem::UnnamedExpr(expr) => {
                *item = SelectItem::ExprWithAlias {
                    expr: expr.clone(),
                    alias: alias(&name),
                };
            }
            SelectItem::ExprWithAlias { alias: given, .. } if repeated => *given = alias(&name),
            _ => {}
        }
    }
}

/// The queries inside a statement (CTEs, derived tables, subqueries), whose unaliased
/// columns other queries read by PostgreSQL's names (`SELECT w.count FROM (SELECT
/// count(*) FROM t) w`): each is aliased with its name where no other column of its
/// select has that name (DataFusion refuses repeated names; those keep DataFusion's).
struct InnerQueries {
    depth: usize,
}

impl VisitorMut for InnerQueries {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        self.depth += 1;
        if self.depth > 1
            && let Some(select) = first_select(&mut query.body)
        {
            name_unique_columns(select);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
        self.depth -= 1;
        ControlFlow::Continue(())
    }
}

fn name_unique_columns(select: &mut Select) {
    let names: Vec<Option<String>> = select.projection.iter().map(output_name).collect();
    for (item, name) in select.projection.iter_mut().zip(&names) {
        let Some(name) = name else {
            continue;
        };
        let unique = names.iter().filter(|n| n.as_ref() == Some(name)).count() == 1;
        if let SelectItem::UnnamedExpr(expr) = item
            && unique
            && !matches!(
                expr,
                Expr::Identifier(_) | Expr::CompoundIdentifier(_) | Expr::Wildcard(_)
            )
        {
            *item = SelectItem::ExprWithAlias {
                expr: expr.clone(),
                alias: Ident::with_quote('"', name),
            };
        }
    }
}

pub(crate) fn first_select(body: &mut SetExpr) -> Option<&mut Select> {
    match body {
        SetExpr::Select(select) => Some(select),
        SetExpr::Query(query) => first_select(&mut query.body),
        SetExpr::SetOperation { left, .. } => first_select(left),
        _ => None,
    }
}

/// The name PostgreSQL gives an output column; none for `*`, whose columns are its
/// tables'.
fn output_name(item: &SelectItem) -> Option<String> {
    match item {
        SelectItem::UnnamedExpr(expr) => Some(column_name(expr)),
        SelectItem::ExprWithAlias { alias, .. } => Some(normalized(alias)),
        _ => None,
    }
}

/// `schema` with each column under its PostgreSQL name (the unique aliases of
/// [`with_output_names`] read back).
pub fn postgres_schema(schema: &Schema) -> SchemaRef {
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| match f.name().split_once(UNIQUE_NAME_END) {
            Some((name, _)) => f.as_ref().clone().with_name(name),
            None => f.as_ref().clone(),
        })
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// `rows` with its schema and batches under [`postgres_schema`]'s names.
pub fn with_postgres_names(rows: RowStream) -> RowStream {
    let schema = postgres_schema(&rows.schema);
    if schema == rows.schema {
        return rows;
    }
    // The values decide which columns hold nulls: the planned schema may call a column
    // non-null that is not (DataFusion declares `x IN (subquery)` never null).
    let fields: Vec<Field> = schema
        .fields()
        .iter()
        .map(|f| f.as_ref().clone().with_nullable(true))
        .collect();
    let schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    let renamed = schema.clone();
    let batches = rows.stream.map(move |batch| {
        let batch = batch?;
        Ok(RecordBatch::try_new(
            renamed.clone(),
            batch.columns().to_vec(),
        )?)
    });
    RowStream {
        schema: schema.clone(),
        stream: Box::pin(RecordBatchStreamAdapter::new(schema, batches)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(sql: &str) -> String {
        let mut parsed = crate::statement::parse_one(sql).expect("parses");
        with_output_names(&mut parsed.ast);
        parsed.ast.to_string().replace(UNIQUE_NAME_END, "|")
    }

    #[test]
    fn inner_queries_name_their_columns_as_postgresql_does() {
        assert_eq!(
            named(
                "WITH w AS (SELECT word, count(*) FROM t GROUP BY word) \
                   SELECT w.count FROM (SELECT max(a), max(a) FROM t) x, w"
            ),
            "WITH w AS (SELECT word, count(*) AS \"count\" FROM t GROUP BY word) \
             SELECT w.count FROM (SELECT max(a), max(a) FROM t) x, w"
        );
    }

    #[test]
    fn output_columns_get_postgresql_names_and_repeats_unique_aliases() {
        assert_eq!(
            named("SELECT 1, 1, a, t.a, count(*), count(*), max(b) AS m FROM t"),
            "SELECT 1 AS \"?column?\", 1 AS \"?column?|2\", a, t.a AS \"a|4\", \
             count(*) AS \"count\", count(*) AS \"count|6\", max(b) AS m FROM t"
        );
        assert_eq!(
            named("SELECT NULL AS x, NULL AS X"),
            "SELECT NULL AS x, NULL AS \"x|2\""
        );
        assert_eq!(
            named("SELECT version() UNION SELECT 'x'"),
            "SELECT version() AS \"version\" UNION SELECT 'x'"
        );
        let named_already = "SELECT a, b AS c FROM t";
        assert_eq!(named(named_already), named_already);
    }

    #[test]
    fn repeated_names_are_read_back() {
        let schema = Schema::new(vec![
            Field::new(
                "?column?",
                datafusion::arrow::datatypes::DataType::Int64,
                false,
            ),
            Field::new(
                format!("?column?{UNIQUE_NAME_END}2"),
                datafusion::arrow::datatypes::DataType::Int64,
                false,
            ),
        ]);
        let names: Vec<String> = postgres_schema(&schema)
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        assert_eq!(names, ["?column?", "?column?"]);
    }
}
