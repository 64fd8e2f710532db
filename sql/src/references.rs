//! Planning with the names a statement references looked up by what they are.
//!
//! DataFusion reports an unknown table or function only as planning text. When planning
//! fails that way, the tables, table functions and functions the statement names are
//! looked up in the session's catalogs and function registries, resolved as DataFusion's
//! planner resolves them, and a missing one fails with PostgreSQL's SQLSTATE (42P01
//! `undefined_table`, 42883 `undefined_function`): the kind comes from what the
//! statement references, never from what a message says.

use std::ops::ControlFlow;

use datafusion::common::TableReference;
use datafusion::error::DataFusionError;
use datafusion::execution::SessionState;
use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::parser::{CopyToSource, Statement as DFStatement};
use datafusion::sql::planner::{IdentNormalizer, object_name_to_table_reference};
use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArguments, Ident, ObjectName, Query, Statement, TableFactor, TableObject, Visit,
    Visitor,
};

use crate::error::{ErrorKind, Result, SqlError};

/// Functions DataFusion's SQL planner handles itself, before or instead of looking them
/// up in the session's registries.
const PLANNER_FUNCTIONS: [&str; 3] = ["unnest", "make_map", "map"];

/// `state.statement_to_plan(statement)`, failing with 42P01 or 42883 when the statement
/// names a table, table function or function the session does not have.
///
/// The names are collected before planning (one walk of the syntax tree) but looked up
/// only when planning failed with planning text: looking a graph table up reads the
/// branch's head, which a statement that plans should not pay for.
pub async fn statement_to_plan(
    state: &SessionState,
    statement: DFStatement,
) -> Result<LogicalPlan> {
    let normalize = state
        .config()
        .options()
        .sql_parser
        .enable_ident_normalization;
    let names = Names::of(&statement, normalize);
    match state.statement_to_plan(statement).await {
        Ok(plan) => Ok(plan),
        Err(err) if is_planning_text(&err) => {
            names.check(state).await?;
            Err(err.into())
        }
        Err(err) => Err(err.into()),
    }
}

/// An error DataFusion raised as text (`Plan`), as it does for unknown names. Typed
/// errors (an engine error such as an unknown branch, a schema error) keep their kind.
fn is_planning_text(err: &DataFusionError) -> bool {
    match err {
        DataFusionError::Plan(_) => true,
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => {
            is_planning_text(inner)
        }
        DataFusionError::Shared(inner) => is_planning_text(inner),
        _ => false,
    }
}

/// The names a statement looks up while it is planned, in DataFusion's normal form.
#[derive(Debug, Default, PartialEq)]
struct Names {
    /// Tables read or written, without references to the statement's CTEs.
    tables: Vec<TableReference>,
    table_functions: Vec<String>,
    functions: Vec<String>,
}

impl Names {
    /// The names in `statement` when DataFusion plans it; other statements (DDL on
    /// names it creates or drops, `SET`, ...) name nothing to look up.
    fn of(statement: &DFStatement, normalize: bool) -> Names {
        let mut collector = NameCollector {
            normalize,
            ctes_in_scope: Vec::new(),
            names: Names::default(),
        };
        collector.statement(statement);
        collector.names
    }

    /// Fails on the first name the session does not have: tables first, then table
    /// functions, then functions, the order DataFusion mostly meets them in.
    async fn check(&self, state: &SessionState) -> Result<()> {
        for table in &self.tables {
            check_table(state, table).await?;
        }
        if let Some(unknown) = self
            .table_functions
            .iter()
            .find(|name| !state.table_functions().contains_key(name.as_str()))
        {
            return Err(undefined_function(unknown));
        }
        if let Some(unknown) = self.functions.iter().find(|name| !is_function(state, name)) {
            return Err(undefined_function(unknown));
        }
        Ok(())
    }
}

async fn check_table(state: &SessionState, table: &TableReference) -> Result<()> {
    let Ok(schema) = state.schema_for_ref(table.clone()) else {
        return Err(undefined_table(table));
    };
    if schema.table_exist(table.table()) {
        return Ok(());
    }
    // `table_exist` cannot say why a schema has no such table (a branch that does not
    // exist fails with its own error) and misses names a schema resolves only on
    // lookup; the lookup, dearer, settles it.
    match schema.table(table.table()).await? {
        Some(_) => Ok(()),
        None => Err(undefined_table(table)),
    }
}

fn is_function(state: &SessionState, name: &str) -> bool {
    PLANNER_FUNCTIONS.contains(&name)
        || state.scalar_functions().contains_key(name)
        || state.aggregate_functions().contains_key(name)
        || state.window_functions().contains_key(name)
        || state.higher_order_functions().contains_key(name)
}

fn undefined_table(table: &TableReference) -> SqlError {
    SqlError::new(
        ErrorKind::UndefinedTable,
        format!("relation \"{table}\" does not exist"),
    )
}

fn undefined_function(name: &str) -> SqlError {
    SqlError::new(
        ErrorKind::UndefinedFunction,
        format!("function {name}(...) does not exist"),
    )
}

struct NameCollector {
    normalize: bool,
    ctes_in_scope: Vec<TableReference>,
    names: Names,
}

impl NameCollector {
    fn statement(&mut self, statement: &DFStatement) {
        match statement {
            DFStatement::Statement(s) if is_planned(s) => {
                let _ = s.as_ref().visit(self);
            }
            DFStatement::Explain(explain) => self.statement(&explain.statement),
            DFStatement::CopyTo(copy) => match &copy.source {
                CopyToSource::Relation(name) => self.table(name),
                CopyToSource::Query(query) => {
                    let _ = query.visit(self);
                }
            },
            _ => {}
        }
    }

    /// A name DataFusion resolves in the catalog (unless a CTE in scope has it). Names
    /// it cannot take as a table reference fail in planning with DataFusion's own error.
    fn table(&mut self, name: &ObjectName) {
        if let Ok(table) = object_name_to_table_reference(name.clone(), self.normalize)
            && !self.ctes_in_scope.contains(&table)
            && !self.names.tables.contains(&table)
        {
            self.names.tables.push(table);
        }
    }

    fn cte_name(&self, alias: &Ident) -> Option<TableReference> {
        object_name_to_table_reference(ObjectName::from(vec![alias.clone()]), self.normalize).ok()
    }
}

/// Statements DataFusion plans with every table and function they name.
fn is_planned(statement: &Statement) -> bool {
    matches!(
        statement,
        Statement::Query(_)
            | Statement::Insert(_)
            | Statement::Update(_)
            | Statement::Delete(_)
            | Statement::CreateView(_)
            | Statement::CreateTable(_)
            | Statement::Explain { .. }
            | Statement::ExplainTable { .. }
            | Statement::Prepare { .. }
            | Statement::Execute { .. }
    )
}

fn push_unique(names: &mut Vec<String>, name: String) {
    if !names.contains(&name) {
        names.push(name);
    }
}

impl Visitor for NameCollector {
    type Break = ();

    /// CTE names are in scope as DataFusion's `resolve_table_references` has them: a
    /// non-recursive CTE's own body is visited before its name is in scope (its
    /// `FROM t` is the table `t`), a recursive one's after.
    fn pre_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                if !with.recursive {
                    cte.visit(self)?;
                }
                if let Some(name) = self.cte_name(&cte.alias.name) {
                    self.ctes_in_scope.push(name);
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &Query) -> ControlFlow<()> {
        if let Some(with) = &query.with {
            for cte in &with.cte_tables {
                if self.cte_name(&cte.alias.name).is_some() {
                    self.ctes_in_scope.pop();
                }
            }
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_statement(&mut self, statement: &Statement) -> ControlFlow<()> {
        match statement {
            Statement::Insert(insert) => {
                if let TableObject::TableName(name) = &insert.table {
                    self.table(name);
                }
            }
            Statement::ExplainTable { table_name, .. } => self.table(table_name),
            _ => {}
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        let TableFactor::Table {
            name,
            args,
            version,
            ..
        } = factor
        else {
            return ControlFlow::Continue(());
        };
        match (args, version) {
            // DataFusion looks a table function up by its first name part as written
            // (quotes kept, case not folded).
            (Some(_), _) => {
                if let Some(ident) = name.0.first().and_then(|part| part.as_ident())
                    && !ident.value.eq_ignore_ascii_case(
                        datafusion_omnigraph::graph_table::parser::GRAPH_TABLE,
                    )
                {
                    push_unique(&mut self.names.table_functions, ident.to_string());
                }
            }
            // A versioned table is resolved at its version by the time-travel planner.
            (None, Some(_)) => {}
            (None, None) => self.table(name),
        }
        ControlFlow::Continue(())
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        // Without an argument list the name may be a column (`current_date`); a
        // subquery argument is not planned as a call.
        if let Expr::Function(function) = expr
            && let FunctionArguments::List(_) = function.args
        {
            // DataFusion's planner folds a function name's case whatever the session's
            // identifier setting, and looks a compound name up as written.
            let name = match function.name.0.as_slice() {
                [part] => part
                    .as_ident()
                    .map(|ident| IdentNormalizer::default().normalize(ident.clone())),
                _ => Some(function.name.to_string()),
            };
            if let Some(name) = name {
                push_unique(&mut self.names.functions, name);
            }
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use datafusion::arrow::datatypes::{DataType, Field, Schema};
    use datafusion::catalog::{MemorySchemaProvider, SchemaProvider};
    use datafusion::datasource::MemTable;
    use tempfile::TempDir;

    use super::*;
    use crate::Session;

    async fn demo_session() -> (TempDir, Session) {
        let dir = TempDir::new().unwrap();
        let path = dir.path().join("demo");
        let graph = crate::demo::ensure_demo_graph(path.to_str().unwrap())
            .await
            .unwrap();
        (dir, Session::new(graph).await.unwrap())
    }

    fn parse(sql: &str) -> DFStatement {
        Session::parse(sql).unwrap().remove(0).ast
    }

    fn names(sql: &str) -> Names {
        Names::of(&parse(sql), true)
    }

    async fn plan_error(session: &Session, sql: &str) -> SqlError {
        match statement_to_plan(&session.context().state(), parse(sql)).await {
            Ok(_) => panic!("{sql}: expected planning to fail"),
            Err(e) => e,
        }
    }

    #[tokio::test]
    async fn unknown_tables_and_functions_have_their_sqlstates() {
        let (_dir, s) = demo_session().await;
        for (sql, state) in [
            ("SELECT * FROM robots", "42P01"),
            ("SELECT * FROM person JOIN robots ON true", "42P01"),
            ("SELECT * FROM (SELECT * FROM robots) r", "42P01"),
            ("SELECT 1 WHERE EXISTS (SELECT 1 FROM robots)", "42P01"),
            ("WITH r AS (SELECT * FROM robots) SELECT * FROM r", "42P01"),
            ("INSERT INTO robots VALUES (1)", "42P01"),
            ("UPDATE robots SET x = 1", "42P01"),
            ("DELETE FROM robots", "42P01"),
            ("EXPLAIN SELECT * FROM robots", "42P01"),
            ("SELECT * FROM omnigraph.robots", "42P01"),
            ("SELECT * FROM information_schema.robots", "42P01"),
            ("SELECT * FROM \"Bad Branch\".person", "42P01"),
            ("SELECT no_such_function(1)", "42883"),
            (
                "SELECT name FROM person WHERE no_such_function(name)",
                "42883",
            ),
            ("SELECT no_such_aggregate(name) FROM person", "42883"),
            ("SELECT no_such_window() OVER () FROM person", "42883"),
            ("SELECT * FROM no_such_table_function(1)", "42883"),
            (
                "SELECT * FROM as_of(no_such_function('person'), 'main')",
                "42883",
            ),
            // DataFusion looks table functions up as written.
            ("SELECT * FROM AS_OF('person', 'main')", "42883"),
            // A branch that does not exist is not a missing table.
            ("SELECT * FROM nosuch.person", "3F000"),
            // Errors of known names keep their own kinds.
            ("SELECT shoe_size FROM person", "42703"),
            ("SELECT * FROM as_of('person')", "22023"),
            ("SELECT * FROM person FOR SYSTEM_TIME AS OF 1 + 1", "22023"),
            (
                "SELECT * FROM omnigraph.branches FOR SYSTEM_TIME AS OF 'main'",
                "0A000",
            ),
        ] {
            assert_eq!(plan_error(&s, sql).await.sqlstate(), state, "{sql}");
        }
    }

    #[tokio::test]
    async fn messages_name_what_is_missing_as_postgresql_does() {
        let (_dir, s) = demo_session().await;
        let e = plan_error(&s, "SELECT * FROM robots").await;
        assert_eq!(e.message, "relation \"robots\" does not exist");
        let e = plan_error(&s, "SELECT * FROM omnigraph.robots").await;
        assert_eq!(e.message, "relation \"omnigraph.robots\" does not exist");
        let e = plan_error(&s, "SELECT Frobnicate(1)").await;
        assert_eq!(e.message, "function frobnicate(...) does not exist");
    }

    #[tokio::test]
    async fn known_names_resolve() {
        let (_dir, s) = demo_session().await;
        let pg_catalog = MemorySchemaProvider::new();
        let schema = Arc::new(Schema::new(vec![Field::new(
            "oid",
            DataType::UInt32,
            false,
        )]));
        pg_catalog
            .register_table(
                "pg_class".to_string(),
                Arc::new(MemTable::try_new(schema, vec![vec![]]).unwrap()),
            )
            .unwrap();
        s.context()
            .catalog("omnigraph")
            .unwrap()
            .register_schema("pg_catalog", Arc::new(pg_catalog))
            .unwrap();
        let state = s.context().state();
        for sql in [
            "SELECT 1",
            "SELECT * FROM person",
            "SELECT * FROM PERSON",
            "SELECT * FROM public.person",
            "SELECT * FROM main.person",
            "SELECT * FROM omnigraph.public.person",
            "SELECT * FROM omnigraph.branches",
            "SELECT * FROM omnigraph.commits",
            "SELECT * FROM pg_catalog.pg_class",
            "SELECT * FROM information_schema.tables",
            "WITH robots AS (SELECT 1 AS x) SELECT * FROM robots",
            "WITH a AS (SELECT 1 AS x), b AS (SELECT * FROM a) SELECT * FROM b",
            "WITH RECURSIVE n AS (SELECT 1 AS i UNION ALL SELECT i + 1 FROM n WHERE i < 3) \
             SELECT * FROM n",
            "SELECT * FROM (WITH robots AS (SELECT 1 AS x) SELECT * FROM robots) r",
            "SELECT * FROM as_of('person', 'main')",
            "SELECT UPPER(name), count(*), row_number() OVER () FROM person GROUP BY name",
            "SELECT current_date, unnest([1, 2])",
            "INSERT INTO person (name) VALUES (lower('X'))",
        ] {
            if let Err(e) = Names::of(&parse(sql), true).check(&state).await {
                panic!("{sql}: {e}");
            }
            if let Err(e) = statement_to_plan(&state, parse(sql)).await {
                panic!("{sql}: {e}");
            }
        }
        // Names only a version or the statement itself defines are not looked up.
        for sql in [
            "SELECT * FROM robots FOR SYSTEM_TIME AS OF 'main'",
            "CREATE VIEW robots AS SELECT 1 AS x",
            "DROP TABLE robots",
            "SET omnigraph.branch = 'main'",
        ] {
            assert_eq!(names(sql), Names::default(), "{sql}");
        }
    }

    #[test]
    fn cte_names_are_in_scope_where_datafusion_has_them() {
        let bare = |t: &str| TableReference::bare(t);
        // A non-recursive CTE's own `FROM t` is the table `t`.
        assert_eq!(
            names("WITH t AS (SELECT * FROM t) SELECT * FROM t").tables,
            [bare("t")]
        );
        assert_eq!(
            names("WITH t AS (SELECT 1) SELECT * FROM t, u").tables,
            [bare("u")]
        );
        // A CTE is out of scope after its query, and a qualified name is never a CTE.
        assert_eq!(
            names("SELECT * FROM (WITH t AS (SELECT 1) SELECT * FROM t) x, t").tables,
            [bare("t")]
        );
        assert_eq!(
            names("WITH t AS (SELECT 1) SELECT * FROM public.t").tables,
            [TableReference::partial("public", "t")]
        );
    }

    #[test]
    fn names_are_normalized_as_datafusion_does() {
        let n =
            names("SELECT Upper(a), \"Lower\"(b) FROM \"Person\" JOIN Knows ON true, Diff('x')");
        assert_eq!(
            n.tables,
            [
                TableReference::bare("Person"),
                TableReference::bare("knows")
            ]
        );
        assert_eq!(n.functions, ["upper", "Lower"]);
        assert_eq!(n.table_functions, ["Diff"]);
        assert!(names("SELECT 1").tables.is_empty());
    }
}
