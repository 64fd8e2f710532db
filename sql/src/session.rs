//! A SQL session on one graph: one DataFusion context plus session state, and the
//! statement router (`CALL`, `SET/SHOW/RESET omnigraph.*`, `BEGIN/COMMIT/ROLLBACK`,
//! `INSERT ... ON CONFLICT` and `REPLACE INTO`; everything else → DataFusion).

use std::sync::Arc;

use datafusion::arrow::array::{RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::dataframe::DataFrame;
use datafusion::execution::{
    SendableRecordBatchStream, SessionState, SessionStateBuilder, TaskContext,
};
use datafusion::logical_expr::LogicalPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::sql::parser::{DFParser, ResetStatement, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, FunctionArguments, ObjectName, Set, Statement, Value,
};
use datafusion_omnigraph::{GraphContext, OmniGraphDialect, PROCEDURES, SessionSettings};
use futures::TryStreamExt;
use omnigraph_engine::{Graph, MAIN_BRANCH};

use crate::error::{ErrorKind, Result, SqlError};
use crate::plan_cache::{CachedPlan, PlanCache, is_rerunnable, is_reusable};
use crate::transaction::Transaction;

/// Settings under `omnigraph.` that `SET`, `SHOW` and `RESET` understand.
pub const SETTINGS: [&str; 4] = [
    "omnigraph.branch",
    "omnigraph.as_of",
    "omnigraph.commit_message",
    "omnigraph.max_write_rows",
];

/// The result of one statement.
#[derive(Debug, Clone)]
pub struct StatementResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    /// A PostgreSQL-style command tag: `SELECT 3`, `INSERT 0 2`, `SET`, `CALL`, ...
    pub tag: String,
    /// Notices for the client (for example the edges a node delete took along).
    pub notices: Vec<String>,
}

impl StatementResult {
    pub(crate) fn command(tag: &str) -> Self {
        StatementResult {
            schema: Arc::new(Schema::empty()),
            batches: vec![],
            tag: tag.to_string(),
            notices: vec![],
        }
    }

    pub fn row_count(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }

    /// Whether the statement returns rows (a query), as opposed to a command.
    pub fn has_columns(&self) -> bool {
        !self.schema.fields().is_empty()
    }
}

/// What a statement produced: rows still streaming from a query, or a finished command.
pub enum StatementOutput {
    Rows(RowStream),
    Done(StatementResult),
}

/// The rows of a query, produced batch by batch as the client reads them.
pub struct RowStream {
    pub schema: SchemaRef,
    pub stream: SendableRecordBatchStream,
}

impl StatementOutput {
    /// Runs the output to its end and holds every row in memory.
    pub async fn collect(self) -> Result<StatementResult> {
        match self {
            StatementOutput::Done(result) => Ok(result),
            StatementOutput::Rows(rows) => {
                let batches: Vec<RecordBatch> = rows.stream.try_collect().await?;
                let count: usize = batches.iter().map(|b| b.num_rows()).sum();
                Ok(StatementResult {
                    schema: rows.schema,
                    batches,
                    tag: format!("SELECT {count}"),
                    notices: vec![],
                })
            }
        }
    }
}

/// A SQL session. Both the shell and the Postgres server use it, so behaviour is the same.
pub struct Session {
    ctx: SessionContext,
    graph: Arc<GraphContext>,
    transaction: std::sync::Mutex<Option<Transaction>>,
    /// Values of `$n` placeholders for the statement being run (extended protocol).
    params: std::sync::Mutex<Option<Vec<datafusion::scalar::ScalarValue>>>,
    plans: PlanCache,
}

impl Session {
    /// Opens (or creates) the graph at `path` and starts a session on `main`.
    pub async fn open(path: &str) -> Result<Session> {
        let graph = Graph::open_or_create(path).await?;
        Session::new(graph).await
    }

    /// Starts a session on `graph`'s `main` branch.
    pub async fn new(graph: Graph) -> Result<Session> {
        let config = SessionConfig::new()
            .with_default_catalog_and_schema("omnigraph", datafusion_omnigraph::PUBLIC_SCHEMA)
            .with_create_default_catalog_and_schema(false)
            .with_information_schema(true);
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_default_features()
            .with_physical_optimizer_rule(Arc::new(crate::yielding::YieldingJoins))
            .build();
        let ctx = SessionContext::new_with_state(state);
        let graph_ctx = GraphContext::new(graph);
        graph_ctx.refresh_branches().await?;
        datafusion_omnigraph::register_context(&ctx, graph_ctx.clone())?;
        Ok(Session {
            ctx,
            graph: graph_ctx,
            transaction: std::sync::Mutex::new(None),
            params: std::sync::Mutex::new(None),
            plans: PlanCache::default(),
        })
    }

    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    pub fn graph_context(&self) -> &Arc<GraphContext> {
        &self.graph
    }

    /// The session's settings; inside a transaction `branch` is the transaction's branch.
    pub fn settings(&self) -> SessionSettings {
        let mut s = self.graph.settings();
        if let Some(tx) = self.transaction() {
            s.branch = tx.target;
        }
        s
    }

    /// Whether a transaction is open (`BEGIN` without `COMMIT`/`ROLLBACK` yet).
    pub fn in_transaction(&self) -> bool {
        self.transaction().is_some()
    }

    pub(crate) fn transaction(&self) -> Option<Transaction> {
        self.transaction
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    pub(crate) fn set_transaction(&self, tx: Option<Transaction>) {
        *self.transaction.lock().unwrap_or_else(|p| p.into_inner()) = tx;
    }

    pub(crate) fn update_transaction(&self, f: impl FnOnce(&mut Transaction)) {
        if let Some(tx) = self
            .transaction
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            f(tx);
        }
    }

    /// Sets the actor recorded on this session's commits (the connected user).
    pub fn set_actor(&self, actor: &str) {
        self.graph.update_settings(|s| s.actor = actor.to_string());
    }

    /// Switches the session to `branch`, which must exist.
    pub async fn set_branch(&self, branch: &str) -> Result<()> {
        if !self.graph.graph().branch_exists(branch).await? {
            return Err(SqlError::new(
                ErrorKind::UnknownBranch,
                format!("unknown branch '{branch}'"),
            ));
        }
        self.graph
            .update_settings(|s| s.branch = branch.to_string());
        Ok(())
    }

    /// Re-reads the branch list (the schemas besides `public`) when `statement` may name
    /// a branch's schema or list schemas. Listing branches reads storage, and a statement
    /// on the session's own branch (`SELECT 1`, a point lookup) does not need it.
    async fn refresh_branches_for(&self, statement: &DFStatement) -> Result<()> {
        // The session's parser options are the defaults (identifiers normalized); copying
        // the whole session state to ask it would cost more than the statement.
        let references = datafusion::sql::resolve::resolve_table_references(statement, true);
        let may_name_schemas = match references {
            Ok((references, _)) => references
                .iter()
                .any(|r| r.schema().is_some() || r.table().starts_with("pg_")),
            Err(_) => true,
        };
        if may_name_schemas {
            self.graph.refresh_branches().await?;
        }
        Ok(())
    }

    /// Parses `sql` (one or more statements) with the session's dialect.
    pub fn parse(sql: &str) -> Result<Vec<DFStatement>> {
        let statements = DFParser::parse_sql_with_dialect(sql, &OmniGraphDialect::default())
            .map_err(|e| SqlError::new(ErrorKind::Syntax, e.to_string()))?;
        Ok(statements.into_iter().collect())
    }

    /// Runs every statement of `sql` in order, stopping at the first error.
    pub async fn execute(&self, sql: &str) -> Result<Vec<StatementResult>> {
        if let Some(insert) = replace_into_as_insert(sql) {
            let mut statements = Session::parse(&insert)?;
            let is_insert = statements.len() == 1
                && matches!(&statements[0], DFStatement::Statement(s) if matches!(s.as_ref(), Statement::Insert(i) if i.on.is_none()));
            if !is_insert {
                return Err(SqlError::new(
                    ErrorKind::Syntax,
                    "REPLACE INTO takes one INSERT-shaped statement",
                ));
            }
            self.graph
                .set_insert_mode(Some(omnigraph_engine::InsertMode::Upsert));
            let result = self.execute_statement(statements.remove(0)).await;
            // Never left for a later INSERT, whatever happened.
            self.graph.set_insert_mode(None);
            return Ok(vec![result?]);
        }
        let mut out = Vec::new();
        for statement in Session::parse(sql)? {
            out.push(self.execute_statement(statement).await?);
        }
        Ok(out)
    }

    /// Runs one statement with values for its `$1, $2, ...` placeholders.
    pub async fn execute_with_params(
        &self,
        sql: &str,
        params: Vec<datafusion::scalar::ScalarValue>,
    ) -> Result<StatementResult> {
        self.execute_streaming(sql, params).await?.collect().await
    }

    /// Runs one statement with values for its placeholders; a query's rows are not read
    /// yet but stream from the result, so memory stays bounded however many rows it has.
    /// If reading them fails, call [`Session::statement_failed`].
    pub async fn execute_streaming(
        &self,
        sql: &str,
        params: Vec<datafusion::scalar::ScalarValue>,
    ) -> Result<StatementOutput> {
        let mut statements = Session::parse(sql)?;
        if statements.len() != 1 {
            return Err(SqlError::new(
                ErrorKind::Syntax,
                format!(
                    "a prepared statement must be one statement, got {}",
                    statements.len()
                ),
            ));
        }
        self.statement_output_with_params(statements.remove(0), params)
            .await
    }

    /// Runs one parsed statement with values for its placeholders; see
    /// [`Session::execute_streaming`].
    pub async fn statement_output_with_params(
        &self,
        statement: DFStatement,
        params: Vec<datafusion::scalar::ScalarValue>,
    ) -> Result<StatementOutput> {
        if !params.is_empty() {
            *self.params.lock().unwrap_or_else(|p| p.into_inner()) = Some(params);
        }
        let result = self.statement_output(statement).await;
        self.params.lock().unwrap_or_else(|p| p.into_inner()).take();
        result
    }

    /// Marks the open transaction failed after a query's rows could not be read (25P02
    /// for what follows, as in PostgreSQL).
    pub fn statement_failed(&self) {
        self.update_transaction(|tx| tx.failed = true);
    }

    /// The placeholder types and result columns of one statement, without running it
    /// (procedures only run when executed). Commands return no columns.
    pub async fn describe(&self, sql: &str) -> Result<(Vec<Option<DataType>>, SchemaRef)> {
        let mut statements = Session::parse(sql)?;
        let Some(statement) = statements.pop() else {
            return Ok((vec![], Arc::new(Schema::empty())));
        };
        if !statements.is_empty() {
            return Ok((vec![], Arc::new(Schema::empty())));
        }
        self.describe_statement(statement).await
    }

    /// [`Session::describe`] of a parsed statement.
    pub async fn describe_statement(
        &self,
        statement: DFStatement,
    ) -> Result<(Vec<Option<DataType>>, SchemaRef)> {
        let empty = || Arc::new(Schema::empty());
        let statement = match &statement {
            DFStatement::Statement(s) => match s.as_ref() {
                Statement::Call(function) => {
                    let count = call_placeholders(function);
                    if count == 0 {
                        Session::parse(&call_as_select(function)?)?.remove(0)
                    } else {
                        // Procedure arguments are read while planning, so placeholders
                        // stand in as text; the result columns do not depend on them.
                        let sample =
                            vec![
                                datafusion::scalar::ScalarValue::Utf8(Some("x".to_string()));
                                count
                            ];
                        let bound = bind_call_arguments(function, &sample)?;
                        let select = Session::parse(&call_as_select(&bound)?)?.remove(0);
                        let params = vec![Some(DataType::Utf8); count];
                        let schema = match self.ctx.state().statement_to_plan(select).await {
                            Ok(plan) => Arc::new(plan.schema().as_arrow().clone()),
                            Err(_) => empty(),
                        };
                        return Ok((params, schema));
                    }
                }
                Statement::ShowVariable { variable } => {
                    let name = variable_name(variable);
                    if name.starts_with("omnigraph.") {
                        let schema = Schema::new(vec![Field::new(&name, DataType::Utf8, true)]);
                        return Ok((vec![], Arc::new(schema)));
                    }
                    statement
                }
                Statement::StartTransaction { .. }
                | Statement::Commit { .. }
                | Statement::Rollback { .. }
                | Statement::Savepoint { .. }
                | Statement::ReleaseSavepoint { .. }
                | Statement::Set(_) => return Ok((vec![], empty())),
                _ => statement,
            },
            DFStatement::Reset(_) => return Ok((vec![], empty())),
            _ => statement,
        };
        if self.transaction().is_some_and(|tx| tx.failed) {
            return Err(transaction_aborted());
        }
        self.refresh_branches_for(&statement).await?;
        let mut statement = statement;
        let in_table_functions = bind_table_function_arguments(&mut statement, None)?;
        let plan = crate::references::statement_to_plan(&self.ctx.state(), statement).await?;
        let mut types = plan.get_parameter_types()?;
        for n in in_table_functions {
            types.insert(format!("${n}"), Some(DataType::Utf8));
        }
        let mut numbered: Vec<(usize, Option<DataType>)> = types
            .into_iter()
            .filter_map(|(name, ty)| {
                name.trim_start_matches('$')
                    .parse::<usize>()
                    .ok()
                    .map(|n| (n, ty))
            })
            .collect();
        numbered.sort_by_key(|(n, _)| *n);
        let count = numbered.last().map(|(n, _)| *n).unwrap_or(0);
        let mut params = vec![None; count];
        for (n, ty) in numbered {
            params[n - 1] = ty;
        }
        // `$1::int`: an untyped placeholder takes the type it is cast to, as in PostgreSQL.
        if params.iter().any(Option::is_none) {
            for (n, ty) in placeholder_casts(&plan) {
                if let Some(slot @ None) = n.checked_sub(1).and_then(|i| params.get_mut(i)) {
                    *slot = Some(ty);
                }
            }
        }
        let schema = match &plan {
            LogicalPlan::Dml(_) | LogicalPlan::Ddl(_) | LogicalPlan::Statement(_) => empty(),
            other => Arc::new(other.schema().as_arrow().clone()),
        };
        Ok((params, schema))
    }

    /// Runs `sql`, which must be one statement, and returns its rows.
    pub async fn query(&self, sql: &str) -> Result<Vec<RecordBatch>> {
        let mut results = self.execute(sql).await?;
        match results.len() {
            1 => Ok(results.remove(0).batches),
            n => Err(SqlError::new(
                ErrorKind::Syntax,
                format!("expected one statement, got {n}"),
            )),
        }
    }

    pub async fn execute_statement(&self, statement: DFStatement) -> Result<StatementResult> {
        let result = self.statement_output(statement).await?.collect().await;
        if result.is_err() {
            self.statement_failed();
        }
        result
    }

    /// Runs one statement; a query's rows are left to stream.
    pub async fn statement_output(&self, statement: DFStatement) -> Result<StatementOutput> {
        if let DFStatement::Statement(s) = &statement {
            let done = match s.as_ref() {
                Statement::StartTransaction { modes, .. } => {
                    Some(Box::pin(self.begin(modes)).await)
                }
                Statement::Commit { .. } => Some(Box::pin(self.commit()).await),
                Statement::Rollback {
                    savepoint: None, ..
                } => Some(Box::pin(self.rollback()).await),
                Statement::Rollback {
                    savepoint: Some(name),
                    ..
                } => Some(Box::pin(self.rollback_to_savepoint(&name.value)).await),
                Statement::Savepoint { name } => Some(Box::pin(self.savepoint(&name.value)).await),
                Statement::ReleaseSavepoint { name } => Some(self.release_savepoint(&name.value)),
                _ => None,
            };
            let savepoint_statement = matches!(
                s.as_ref(),
                Statement::Savepoint { .. }
                    | Statement::ReleaseSavepoint { .. }
                    | Statement::Rollback {
                        savepoint: Some(_),
                        ..
                    }
            );
            if savepoint_statement && matches!(done, Some(Err(_))) {
                self.update_transaction(|tx| tx.failed = true);
            }
            if let Some(result) = done {
                return result.map(StatementOutput::Done);
            }
        }
        let text = statement.to_string();
        if self.transaction().is_some_and(|tx| tx.failed) {
            return Err(transaction_aborted());
        }
        let retries = if self.transaction().is_none() && is_dml(&statement) {
            AUTOCOMMIT_RETRIES
        } else {
            0
        };
        // Single-statement writers of this process take turns, so they never invalidate
        // each other; the retries cover writers of other processes.
        let _turn = match retries {
            0 => None,
            _ => Some(self.graph.graph().statement_turn().await),
        };
        let mut attempt = 0;
        if !is_query(&statement) {
            self.plans.clear();
        }
        let result = loop {
            let result = Box::pin(self.run_statement(statement.clone(), &text)).await;
            match &result {
                // A statement on its own is its own transaction: when another writer
                // committed first, nothing of it was written, so it runs again on the
                // new head (as PostgreSQL re-checks rows under READ COMMITTED).
                Err(e) if e.kind == ErrorKind::SerializationFailure && attempt < retries => {
                    attempt += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(1 << attempt.min(6))).await;
                }
                _ => break result,
            }
        };
        match &result {
            Ok(_) => self.update_transaction(|tx| tx.statements.push(text)),
            Err(_) => self.update_transaction(|tx| tx.failed = true),
        }
        result
    }

    async fn run_statement(&self, statement: DFStatement, text: &str) -> Result<StatementOutput> {
        if let Some(rows) = self.cached_rows(text)? {
            return Ok(rows);
        }
        self.refresh_branches_for(&statement).await?;
        self.graph.set_statement_text(Some(text.to_string()));
        self.graph.take_notices();
        let result = self.route(statement, text).await;
        self.graph.set_statement_text(None);
        self.graph.set_insert_mode(None);
        match result? {
            StatementOutput::Done(mut result) => {
                result.notices = self.graph.take_notices();
                Ok(StatementOutput::Done(result))
            }
            rows => Ok(rows),
        }
    }

    /// The rows of a query planned before, when its plan could be kept; see
    /// [`crate::plan_cache`].
    fn cached_rows(&self, text: &str) -> Result<Option<StatementOutput>> {
        if self.has_params() {
            return Ok(None);
        }
        let Some(cached) = self.plans.get(text) else {
            return Ok(None);
        };
        let stream = datafusion::physical_plan::execute_stream(cached.plan, cached.task_ctx)?;
        Ok(Some(StatementOutput::Rows(RowStream {
            schema: cached.schema,
            stream,
        })))
    }

    fn has_params(&self) -> bool {
        self.params
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_some()
    }

    async fn route(&self, statement: DFStatement, text: &str) -> Result<StatementOutput> {
        let done = |r: StatementResult| StatementOutput::Done(r);
        match &statement {
            DFStatement::Statement(s) => match s.as_ref() {
                Statement::Call(function) => return self.call(function).await.map(done),
                Statement::Insert(insert) if insert.on.is_some() => {
                    let mut insert = insert.clone();
                    let mode = self.on_conflict_mode(&insert).await?;
                    insert.on = None;
                    self.graph.set_insert_mode(Some(mode));
                    let plain = DFStatement::Statement(Box::new(Statement::Insert(insert)));
                    return self.run_datafusion(plain).await.map(done);
                }
                Statement::Set(set) => {
                    if let Some(result) = self.set(set).await? {
                        return Ok(done(result));
                    }
                }
                Statement::ShowVariable { variable } => {
                    let name = variable_name(variable);
                    if name.starts_with("omnigraph.") {
                        return self.show(&name).map(done);
                    }
                }
                _ => {}
            },
            DFStatement::Reset(ResetStatement::Variable(name)) => {
                let name = object_name(name);
                if name.starts_with("omnigraph.") {
                    return self.reset(&name).map(done);
                }
            }
            _ => {}
        }
        let (state, plan, tag) = self.plan(statement).await?;
        if tag.is_none() && !self.has_params() && is_reusable(&plan) {
            let schema: SchemaRef = Arc::new(plan.schema().as_arrow().clone());
            let physical = state.create_physical_plan(&plan).await?;
            let task_ctx = Arc::new(TaskContext::from(&state));
            if is_rerunnable(&physical) {
                let cached = CachedPlan {
                    schema: schema.clone(),
                    plan: physical.clone(),
                    task_ctx: task_ctx.clone(),
                };
                self.plans.insert(text.to_string(), cached);
            }
            let stream = datafusion::physical_plan::execute_stream(physical, task_ctx)?;
            return Ok(StatementOutput::Rows(RowStream { schema, stream }));
        }
        if tag.is_none() {
            let df = self.dataframe(state, plan).await?;
            let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
            let stream = df.execute_stream().await?;
            return Ok(StatementOutput::Rows(RowStream { schema, stream }));
        }
        self.run_plan(state, plan, tag).await.map(done)
    }

    /// The logical plan of `statement` with the placeholder values bound, its tag, and
    /// the session state it was planned with (run it on that: a copy is expensive).
    async fn plan(
        &self,
        statement: DFStatement,
    ) -> Result<(SessionState, LogicalPlan, Option<CommandTag>)> {
        let params = self
            .params
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut statement = statement;
        if let Some(values) = &params {
            bind_table_function_arguments(&mut statement, Some(values))?;
        }
        let state = self.ctx.state();
        let mut plan = crate::references::statement_to_plan(&state, statement).await?;
        if let Some(values) = params {
            plan = plan.with_param_values(values)?;
        }
        let tag = command_tag(&plan);
        Ok((state, plan, tag))
    }

    /// `plan` as a DataFrame on `state`; the commands DataFusion runs itself (DDL, its
    /// own `SET`) go through the context, which they change.
    async fn dataframe(&self, state: SessionState, plan: LogicalPlan) -> Result<DataFrame> {
        Ok(match plan {
            LogicalPlan::Ddl(_) | LogicalPlan::Statement(_) => {
                self.ctx.execute_logical_plan(plan).await?
            }
            plan => DataFrame::new(state, plan),
        })
    }

    async fn run_datafusion(&self, statement: DFStatement) -> Result<StatementResult> {
        let (state, plan, tag) = self.plan(statement).await?;
        self.run_plan(state, plan, tag).await
    }

    async fn run_plan(
        &self,
        state: SessionState,
        plan: LogicalPlan,
        tag: Option<CommandTag>,
    ) -> Result<StatementResult> {
        let df = self.dataframe(state, plan).await?;
        let schema: SchemaRef = Arc::new(df.schema().as_arrow().clone());
        let stream = df.execute_stream().await?;
        let batches: Vec<RecordBatch> = stream.try_collect().await?;
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        let count = || {
            batches
                .first()
                .and_then(|b| {
                    b.column(0)
                        .as_any()
                        .downcast_ref::<datafusion::arrow::array::UInt64Array>()
                        .map(|c| c.value(0))
                })
                .unwrap_or(0)
        };
        let tag = match tag {
            Some(CommandTag::Fixed(t)) => t.to_string(),
            Some(CommandTag::Counted(t)) => format!("{t}{}", count()),
            None => format!("SELECT {rows}"),
        };
        Ok(StatementResult {
            schema,
            batches,
            tag,
            notices: vec![],
        })
    }

    /// `CALL p(args)` is `SELECT * FROM p(args)`: procedures are table functions.
    async fn call(
        &self,
        function: &datafusion::sql::sqlparser::ast::Function,
    ) -> Result<StatementResult> {
        // Procedure arguments are read while the call is planned, before placeholders
        // are bound, so `CALL p($1)` takes its values as literals.
        let params = self
            .params
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let function = match params {
            Some(values) => bind_call_arguments(function, &values)?,
            None => function.clone(),
        };
        let sql = call_as_select(&function)?;
        let mut statements = Session::parse(&sql)?;
        let mut result = self.run_datafusion(statements.remove(0)).await?;
        result.tag = "CALL".to_string();
        Ok(result)
    }

    /// The insert mode an `ON CONFLICT` clause asks for. `DO UPDATE` must take every
    /// non-key property from the new row (`SET col = EXCLUDED.col`): the row is replaced.
    async fn on_conflict_mode(
        &self,
        insert: &datafusion::sql::sqlparser::ast::Insert,
    ) -> Result<omnigraph_engine::InsertMode> {
        use datafusion::sql::sqlparser::ast::{
            AssignmentTarget, ConflictTarget, OnConflictAction, OnInsert, TableObject,
        };
        let not_supported = |what: &str| SqlError::new(ErrorKind::NotSupported, what.to_string());
        let Some(OnInsert::OnConflict(on_conflict)) = &insert.on else {
            return Err(not_supported("ON DUPLICATE KEY UPDATE; use ON CONFLICT"));
        };
        let TableObject::TableName(name) = &insert.table else {
            return Err(not_supported("INSERT INTO a table function"));
        };
        let parts: Vec<String> = name
            .0
            .iter()
            .filter_map(|p| p.as_ident().map(normalized))
            .collect();
        let (branch, table) = match parts.as_slice() {
            [table] => (self.graph.settings().branch, table.clone()),
            [.., schema, table] if schema == datafusion_omnigraph::PUBLIC_SCHEMA => {
                (self.graph.settings().branch, table.clone())
            }
            [.., schema, table] => (schema.clone(), table.clone()),
            [] => return Err(not_supported("INSERT without a table")),
        };
        let branch = match self.graph.transaction_branches() {
            Some((target, private)) if branch == target => private,
            _ => branch,
        };
        let snapshot = self.graph.graph().snapshot(&branch).await?;
        let (def, _) = snapshot.table(&table)?;
        // The conflict target must be the key: only key conflicts are detected.
        let key_columns: Vec<String> = match def {
            omnigraph_engine::schema::TableDef::Edge(_) => {
                let mut k = vec!["src".to_string(), "dst".to_string()];
                k.extend(def.key().iter().cloned());
                k
            }
            _ => def.key().to_vec(),
        };
        match &on_conflict.conflict_target {
            None => {}
            Some(ConflictTarget::Columns(columns)) => {
                let mut named: Vec<String> = columns.iter().map(normalized).collect();
                let mut key = key_columns.clone();
                named.sort();
                key.sort();
                let is_key = named == key || (named == ["id"] && !key.is_empty());
                if !is_key {
                    return Err(not_supported(&format!(
                        "ON CONFLICT ({}): the conflict target must be the key of {} ({})",
                        named.join(", "),
                        def.table(),
                        key_columns.join(", ")
                    )));
                }
            }
            Some(ConflictTarget::OnConstraint(c)) => {
                return Err(not_supported(&format!("ON CONFLICT ON CONSTRAINT {c}")));
            }
        }
        if def.key().is_empty() {
            return Err(not_supported(&format!(
                "ON CONFLICT on {}: the type has no key, so rows never conflict",
                def.table()
            )));
        }
        match &on_conflict.action {
            OnConflictAction::DoNothing => Ok(omnigraph_engine::InsertMode::SkipExisting),
            OnConflictAction::DoUpdate(update) => {
                if update.selection.is_some() {
                    return Err(not_supported("ON CONFLICT DO UPDATE ... WHERE"));
                }
                let mut listed = Vec::new();
                for a in &update.assignments {
                    let AssignmentTarget::ColumnName(column) = &a.target else {
                        return Err(not_supported("ON CONFLICT DO UPDATE SET (a, b) = ..."));
                    };
                    let column = object_name(column);
                    let takes_new_value = match &a.value {
                        SqlExpr::CompoundIdentifier(parts) => {
                            parts.len() == 2
                                && parts[0].value.eq_ignore_ascii_case("excluded")
                                && parts[1].value.eq_ignore_ascii_case(&column)
                        }
                        _ => false,
                    };
                    if !takes_new_value {
                        return Err(not_supported(&format!(
                            "ON CONFLICT DO UPDATE SET {column} = {}: only SET {column} = EXCLUDED.{column} is supported",
                            a.value
                        )));
                    }
                    listed.push(column);
                }
                if let Some(unknown) = listed
                    .iter()
                    .find(|c| def.property(c).is_none() || def.key().contains(*c))
                {
                    return Err(not_supported(&format!(
                        "ON CONFLICT DO UPDATE SET {unknown}: not a non-key property of {}",
                        def.table()
                    )));
                }
                Ok(omnigraph_engine::InsertMode::UpsertColumns(listed))
            }
        }
    }

    async fn set(&self, set: &Set) -> Result<Option<StatementResult>> {
        let Set::SingleAssignment {
            variable, values, ..
        } = set
        else {
            return Ok(None);
        };
        let name = object_name(variable);
        if !name.starts_with("omnigraph.") {
            return Ok(None);
        }
        let value = match values.as_slice() {
            [v] => setting_value(v)?,
            _ => {
                return Err(SqlError::new(
                    ErrorKind::Syntax,
                    format!("SET {name} takes one value"),
                ));
            }
        };
        match name.as_str() {
            "omnigraph.branch" | "omnigraph.as_of" if self.in_transaction() => {
                return Err(SqlError::new(
                    ErrorKind::ActiveTransaction,
                    format!("{name} cannot change inside a transaction"),
                ));
            }
            "omnigraph.branch" => self.set_branch(&value).await?,
            "omnigraph.as_of" => {
                let branch = self.graph.settings().branch;
                self.graph.graph().snapshot_at_text(&branch, &value).await?;
                self.graph.update_settings(|s| s.as_of = Some(value));
            }
            "omnigraph.commit_message" => self
                .graph
                .update_settings(|s| s.commit_message = Some(value)),
            "omnigraph.max_write_rows" => {
                let rows: u64 = value
                    .trim()
                    .parse()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        SqlError::new(
                            ErrorKind::InvalidParameter,
                            format!(
                                "omnigraph.max_write_rows must be a positive integer, got '{value}'"
                            ),
                        )
                    })?;
                self.graph.update_settings(|s| s.max_write_rows = rows);
            }
            other => return Err(unknown_setting(other)),
        }
        Ok(Some(StatementResult::command("SET")))
    }

    fn show(&self, name: &str) -> Result<StatementResult> {
        let s = self.settings();
        let value = match name {
            "omnigraph.branch" => Some(s.branch),
            "omnigraph.as_of" => s.as_of,
            "omnigraph.commit_message" => s.commit_message,
            "omnigraph.max_write_rows" => Some(s.max_write_rows.to_string()),
            other => return Err(unknown_setting(other)),
        };
        let schema = Arc::new(Schema::new(vec![Field::new(name, DataType::Utf8, true)]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![Arc::new(StringArray::from(vec![value]))],
        )
        .map_err(|e| SqlError::new(ErrorKind::Internal, e.to_string()))?;
        Ok(StatementResult {
            schema,
            batches: vec![batch],
            tag: "SHOW".to_string(),
            notices: vec![],
        })
    }

    fn reset(&self, name: &str) -> Result<StatementResult> {
        if self.in_transaction() && matches!(name, "omnigraph.branch" | "omnigraph.as_of") {
            return Err(SqlError::new(
                ErrorKind::ActiveTransaction,
                format!("{name} cannot change inside a transaction"),
            ));
        }
        match name {
            "omnigraph.branch" => self
                .graph
                .update_settings(|s| s.branch = MAIN_BRANCH.to_string()),
            "omnigraph.as_of" => self.graph.update_settings(|s| s.as_of = None),
            "omnigraph.commit_message" => self.graph.update_settings(|s| s.commit_message = None),
            "omnigraph.max_write_rows" => self.graph.update_settings(|s| {
                s.max_write_rows = datafusion_omnigraph::context::DEFAULT_MAX_WRITE_ROWS
            }),
            other => return Err(unknown_setting(other)),
        }
        Ok(StatementResult::command("RESET"))
    }
}

fn unknown_setting(name: &str) -> SqlError {
    SqlError::new(
        ErrorKind::UndefinedObject,
        format!(
            "unrecognized configuration parameter \"{name}\" (known: {})",
            SETTINGS.join(", ")
        ),
    )
}

fn object_name(name: &ObjectName) -> String {
    name.0
        .iter()
        .map(|p| {
            p.as_ident()
                .map(|i| i.value.clone())
                .unwrap_or_else(|| p.to_string())
        })
        .collect::<Vec<_>>()
        .join(".")
        .to_ascii_lowercase()
}

/// The text of a `SET` value: a string or number literal, or a bare identifier.
fn setting_value(expr: &SqlExpr) -> Result<String> {
    match expr {
        SqlExpr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Ok(s.clone()),
            Value::Number(n, _) => Ok(n.clone()),
            other => Ok(other.to_string()),
        },
        SqlExpr::Identifier(i) => Ok(i.value.clone()),
        SqlExpr::CompoundIdentifier(parts) => Ok(parts
            .iter()
            .map(|i| i.value.clone())
            .collect::<Vec<_>>()
            .join(".")),
        other => Err(SqlError::new(
            ErrorKind::Syntax,
            format!("SET value must be a literal or a name, got {other}"),
        )),
    }
}

/// The command tag of a plan that is not a query.
/// The name of a `SHOW` variable (`omnigraph.branch`), lower-cased.
fn variable_name(parts: &[datafusion::sql::sqlparser::ast::Ident]) -> String {
    parts
        .iter()
        .map(|i| i.value.to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(".")
}

/// The error of any statement but `ROLLBACK`/`COMMIT` in a failed transaction (25P02).
pub(crate) fn transaction_aborted() -> SqlError {
    SqlError::new(
        ErrorKind::InFailedTransaction,
        "current transaction is aborted, commands ignored until end of transaction block",
    )
}

/// An identifier as SQL means it: unquoted ones fold to lower case.
fn normalized(ident: &datafusion::sql::sqlparser::ast::Ident) -> String {
    match ident.quote_style {
        Some(_) => ident.value.clone(),
        None => ident.value.to_ascii_lowercase(),
    }
}

/// `REPLACE INTO t ...` (MySQL's upsert, which the PostgreSQL grammar does not have) as the
/// `INSERT INTO t ...` it is run as, in upsert mode.
fn replace_into_as_insert(sql: &str) -> Option<String> {
    let text = sql.trim_start();
    let keyword = text.get(..7)?;
    if !keyword.eq_ignore_ascii_case("replace") {
        return None;
    }
    let rest = text[7..].trim_start();
    let into = rest.get(..4)?;
    if into.eq_ignore_ascii_case("into") && rest[4..].starts_with(char::is_whitespace) {
        Some(format!("INSERT {rest}"))
    } else {
        None
    }
}

/// The `SELECT * FROM p(args)` a `CALL p(args)` stands for.
fn call_as_select(function: &datafusion::sql::sqlparser::ast::Function) -> Result<String> {
    let name = object_name(&function.name);
    if !PROCEDURES.contains(&name.as_str()) {
        return Err(SqlError::new(
            ErrorKind::UndefinedFunction,
            format!(
                "procedure {name} does not exist (procedures: {})",
                PROCEDURES.join(", ")
            ),
        ));
    }
    let args = match &function.args {
        FunctionArguments::None => String::new(),
        FunctionArguments::List(list) => list
            .args
            .iter()
            .map(|a| a.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        FunctionArguments::Subquery(_) => {
            return Err(SqlError::new(
                ErrorKind::Syntax,
                "CALL takes literal arguments",
            ));
        }
    };
    Ok(format!("SELECT * FROM {name}({args})"))
}

/// Placeholders cast to a type somewhere in `plan`: `(n, type)` for `CAST($n AS type)`.
fn placeholder_casts(plan: &LogicalPlan) -> Vec<(usize, DataType)> {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::logical_expr::Expr;
    let mut found = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        node.apply_expressions(|expr| {
            expr.apply(|e| {
                let cast = match e {
                    Expr::Cast(c) => Some((&*c.expr, c.field.data_type())),
                    Expr::TryCast(c) => Some((&*c.expr, c.field.data_type())),
                    _ => None,
                };
                if let Some((Expr::Placeholder(p), ty)) = cast
                    && let Ok(n) = p.id.trim_start_matches('$').parse::<usize>()
                {
                    found.push((n, ty.clone()));
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    });
    found
}

/// How often an autocommit `INSERT`/`UPDATE`/`DELETE` runs again after losing a commit
/// race to another writer before it reports 40001.
const AUTOCOMMIT_RETRIES: u32 = 8;

fn is_query(statement: &DFStatement) -> bool {
    matches!(statement, DFStatement::Statement(s) if matches!(s.as_ref(), Statement::Query(_)))
}

fn is_dml(statement: &DFStatement) -> bool {
    matches!(
        statement,
        DFStatement::Statement(s) if matches!(
            s.as_ref(),
            Statement::Insert(_) | Statement::Update { .. } | Statement::Delete(_)
        )
    )
}

/// The highest `$n` among a call's arguments.
fn call_placeholders(function: &datafusion::sql::sqlparser::ast::Function) -> usize {
    let FunctionArguments::List(list) = &function.args else {
        return 0;
    };
    list.args
        .iter()
        .filter_map(|a| {
            let text = a.to_string();
            text.strip_prefix('$')?.parse::<usize>().ok()
        })
        .max()
        .unwrap_or(0)
}

/// The `$n` placeholders among function arguments, with their numbers.
fn placeholder_arguments(
    args: &mut [datafusion::sql::sqlparser::ast::FunctionArg],
) -> Vec<(usize, &mut SqlExpr)> {
    use datafusion::sql::sqlparser::ast::{FunctionArg, FunctionArgExpr};
    args.iter_mut()
        .filter_map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e))
            | FunctionArg::Named {
                arg: FunctionArgExpr::Expr(e),
                ..
            } => Some(e),
            _ => None,
        })
        .filter_map(|expr| {
            let SqlExpr::Value(v) = &*expr else {
                return None;
            };
            let Value::Placeholder(name) = &v.value else {
                return None;
            };
            let n = name.strip_prefix('$')?.parse::<usize>().ok()?;
            Some((n, expr))
        })
        .collect()
}

/// The value bound to placeholder `$n`.
fn bound_value(
    values: &[datafusion::scalar::ScalarValue],
    n: usize,
) -> Result<&datafusion::scalar::ScalarValue> {
    n.checked_sub(1).and_then(|i| values.get(i)).ok_or_else(|| {
        SqlError::new(
            ErrorKind::InvalidParameter,
            format!("no value bound for parameter ${n}"),
        )
    })
}

/// `function` with each `$n` argument replaced by the literal of its value.
fn bind_call_arguments(
    function: &datafusion::sql::sqlparser::ast::Function,
    values: &[datafusion::scalar::ScalarValue],
) -> Result<datafusion::sql::sqlparser::ast::Function> {
    let mut function = function.clone();
    if let FunctionArguments::List(list) = &mut function.args {
        for (n, expr) in placeholder_arguments(&mut list.args) {
            *expr = scalar_literal(bound_value(values, n)?);
        }
    }
    Ok(function)
}

/// Binds the placeholders among table functions' arguments (`neighbors('knows', $1)`):
/// a table function reads its arguments while the statement is planned, before
/// placeholder values are bound, so they become literals first. With `values` absent
/// (describing the statement) each stands in as `1`, which every argument kind reads
/// (an id or a name as text, a depth as a number), with the same result columns.
struct TableFunctionPlaceholders<'a> {
    values: Option<&'a [datafusion::scalar::ScalarValue]>,
    bound: Vec<usize>,
    error: Option<SqlError>,
}

impl datafusion::sql::sqlparser::ast::VisitorMut for TableFunctionPlaceholders<'_> {
    type Break = ();

    fn pre_visit_table_factor(
        &mut self,
        table_factor: &mut datafusion::sql::sqlparser::ast::TableFactor,
    ) -> std::ops::ControlFlow<()> {
        use datafusion::sql::sqlparser::ast::TableFactor;
        let TableFactor::Table {
            args: Some(args), ..
        } = table_factor
        else {
            return std::ops::ControlFlow::Continue(());
        };
        for (n, expr) in placeholder_arguments(&mut args.args) {
            *expr = match self.values {
                None => SqlExpr::value(Value::Number("1".to_string(), false)),
                Some(values) => match bound_value(values, n) {
                    Ok(value) => table_function_literal(value),
                    Err(e) => {
                        self.error = Some(e);
                        return std::ops::ControlFlow::Break(());
                    }
                },
            };
            self.bound.push(n);
        }
        std::ops::ControlFlow::Continue(())
    }
}

fn bind_table_function_arguments(
    statement: &mut DFStatement,
    values: Option<&[datafusion::scalar::ScalarValue]>,
) -> Result<Vec<usize>> {
    use datafusion::sql::sqlparser::ast::VisitMut;
    let DFStatement::Statement(statement) = statement else {
        return Ok(vec![]);
    };
    let mut visitor = TableFunctionPlaceholders {
        values,
        bound: vec![],
        error: None,
    };
    let _ = statement.visit(&mut visitor);
    match visitor.error {
        Some(e) => Err(e),
        None => Ok(visitor.bound),
    }
}

/// A table function's argument from a parameter value. Parameters are described as text,
/// so a depth arrives as `'2'`: text that is exactly an integer becomes a number, which
/// table functions read as a number or, for ids and names, as the same text.
fn table_function_literal(value: &datafusion::scalar::ScalarValue) -> SqlExpr {
    use datafusion::scalar::ScalarValue;
    if let ScalarValue::Utf8(Some(text)) | ScalarValue::LargeUtf8(Some(text)) = value
        && text.parse::<i64>().is_ok_and(|n| n.to_string() == *text)
    {
        return SqlExpr::value(Value::Number(text.clone(), false));
    }
    scalar_literal(value)
}

/// A SQL literal holding `value`.
fn scalar_literal(value: &datafusion::scalar::ScalarValue) -> SqlExpr {
    if value.is_null() {
        return SqlExpr::value(Value::Null);
    }
    let text = value.to_string();
    match value.data_type() {
        DataType::Boolean => SqlExpr::value(Value::Boolean(text == "true")),
        t if t.is_numeric() => SqlExpr::value(Value::Number(text, false)),
        _ => SqlExpr::value(Value::SingleQuotedString(text)),
    }
}

/// The command tag of a plan: fixed, or a prefix followed by the affected row count.
enum CommandTag {
    Fixed(&'static str),
    Counted(&'static str),
}

fn command_tag(plan: &LogicalPlan) -> Option<CommandTag> {
    use datafusion::logical_expr::WriteOp;
    match plan {
        LogicalPlan::Ddl(_) => Some(CommandTag::Fixed("CREATE")),
        LogicalPlan::Statement(_) => Some(CommandTag::Fixed("SET")),
        LogicalPlan::Explain(_) | LogicalPlan::Analyze(_) => Some(CommandTag::Fixed("EXPLAIN")),
        LogicalPlan::Dml(dml) => Some(match dml.op {
            WriteOp::Insert(_) => CommandTag::Counted("INSERT 0 "),
            WriteOp::Delete => CommandTag::Counted("DELETE "),
            WriteOp::Update => CommandTag::Counted("UPDATE "),
            WriteOp::Truncate => CommandTag::Fixed("TRUNCATE TABLE"),
            WriteOp::Ctas => CommandTag::Counted("SELECT "),
        }),
        _ => None,
    }
}
