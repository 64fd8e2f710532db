//! A SQL session on one graph: one DataFusion context plus the session's state, and the
//! statement pipeline. A statement is parsed once ([`crate::statement`]), routed once by
//! its kind (transactions, `omnigraph.*` settings, or DataFusion), planned on a copy of
//! the session's state that carries the statement's own context
//! ([`StatementContext`]), checked for the role it needs from its plan, and run.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::dataframe::DataFrame;
use datafusion::execution::{SessionState, SessionStateBuilder, TaskContext};
use datafusion::logical_expr::LogicalPlan;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::prelude::{SessionConfig, SessionContext};
use datafusion::scalar::ScalarValue;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion_omnigraph::{GraphContext, Role, SessionSettings, StatementContext};
use futures::TryStreamExt;
use omnigraph_engine::Graph;

use crate::binding::{bind_call_arguments, bind_table_function_arguments, check_row_counts};
use crate::error::{ErrorKind, Result, SqlError};
use crate::output_names::with_postgres_names;
use crate::plan_cache::{
    BoundPlan, CachedPlan, GenericPlan, KeptPlan, PlanCache, is_rerunnable, is_reusable,
};
use crate::result::{CommandTag, RowStream, StatementOutput, StatementResult, command_tag};
use crate::returning::{Returning, returning_plan, take_returning};
use crate::settings::is_graph_setting;
use crate::statement::{self, ParsedStatement, Setting, StatementKind};

/// How often an autocommit `INSERT`/`UPDATE`/`DELETE` runs again after losing a commit
/// race to another writer before it reports 40001.
const AUTOCOMMIT_RETRIES: u32 = 8;

/// A SQL session. Both the shell and the Postgres server use it, so behaviour is the same.
pub struct Session {
    ctx: SessionContext,
    graph: Arc<GraphContext>,
    plans: PlanCache,
    /// What the session's statements may hold in memory (`omnigraph.statement_memory_limit`).
    memory: Arc<crate::memory::SessionPool>,
    /// What the connected user may do (embedded sessions may do everything).
    role: Mutex<Role>,
    /// `default_transaction_read_only`: transactions start read-only.
    default_read_only: AtomicBool,
    cursors: crate::cursor::Cursors,
}

/// A statement ready to run: its syntax for DataFusion, and its own context.
struct Prepared {
    ast: DFStatement,
    context: StatementContext,
    tag: Option<&'static str>,
    returning: Option<Returning>,
}

impl Session {
    /// Opens (or creates) the graph at `path` and starts a session on `main`.
    pub async fn open(path: &str) -> Result<Session> {
        let graph = Graph::open_or_create(path).await?;
        Session::new(graph).await
    }

    /// Starts a session on `graph`'s `main` branch.
    pub async fn new(graph: Graph) -> Result<Session> {
        let mut config = SessionConfig::new()
            .with_default_catalog_and_schema("omnigraph", datafusion_omnigraph::PUBLIC_SCHEMA)
            .with_create_default_catalog_and_schema(false)
            .with_information_schema(true);
        // `now()` and `timestamptz` values carry the session's zone, UTC.
        config.options_mut().execution.time_zone =
            Some(datafusion_omnigraph::functions::datetime::SESSION_ZONE.to_string());
        let memory = crate::memory::SessionPool::new();
        let runtime = datafusion::execution::runtime_env::RuntimeEnvBuilder::new()
            .with_memory_pool(memory.clone())
            .build_arc()?;
        let state = SessionStateBuilder::new()
            .with_config(config)
            .with_runtime_env(runtime)
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
            plans: PlanCache::default(),
            memory,
            role: Mutex::new(Role::Admin),
            default_read_only: AtomicBool::new(false),
            cursors: Default::default(),
        })
    }

    pub fn context(&self) -> &SessionContext {
        &self.ctx
    }

    /// The pool the session's operators reserve memory from.
    pub fn memory(&self) -> &Arc<crate::memory::SessionPool> {
        &self.memory
    }

    pub fn graph_context(&self) -> &Arc<GraphContext> {
        &self.graph
    }

    /// The session's settings (inside a transaction, `branch` is the transaction's target).
    pub fn settings(&self) -> SessionSettings {
        self.graph.settings()
    }

    /// Whether a transaction is open (`BEGIN` without `COMMIT`/`ROLLBACK` yet).
    pub fn in_transaction(&self) -> bool {
        self.graph.transaction().is_some()
    }

    /// Sets the actor recorded on this session's commits (the connected user).
    pub fn set_actor(&self, actor: &str) {
        self.graph.update_settings(|s| s.actor = actor.to_string());
    }

    /// Limits the session to what `role` may do; statements needing more fail with 42501.
    pub fn set_role(&self, role: Role) {
        *self.role.lock().unwrap_or_else(|p| p.into_inner()) = role;
    }

    pub fn role(&self) -> Role {
        *self.role.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn cursors(&self) -> &crate::cursor::Cursors {
        &self.cursors
    }

    /// Whether transactions start read-only (`default_transaction_read_only`).
    pub fn default_read_only(&self) -> bool {
        self.default_read_only.load(Ordering::Relaxed)
    }

    pub fn set_default_read_only(&self, read_only: bool) {
        self.default_read_only.store(read_only, Ordering::Relaxed);
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
        self.plans.clear();
        Ok(())
    }

    /// Parses `sql` (one or more statements); see [`crate::statement::parse`].
    pub fn parse(sql: &str) -> Result<Vec<ParsedStatement>> {
        statement::parse(sql)
    }

    /// Whether the session keeps a plan of `sql` (one statement) for its next execution;
    /// see [`crate::plan_cache`].
    pub fn keeps_plan(&self, sql: &str) -> bool {
        statement::parse_one(sql).is_ok_and(|s| self.plans.get(&s.ast.to_string()).is_some())
    }

    /// Runs every statement of `sql` in order, stopping at the first error.
    pub async fn execute(&self, sql: &str) -> Result<Vec<StatementResult>> {
        let mut out = Vec::new();
        for statement in statement::parse(sql)? {
            out.push(self.execute_statement(statement).await?);
        }
        Ok(out)
    }

    /// Runs `sql`, which must be one statement, and returns its rows.
    pub async fn query(&self, sql: &str) -> Result<Vec<datafusion::arrow::array::RecordBatch>> {
        let mut results = self.execute(sql).await?;
        match results.len() {
            1 => Ok(results.remove(0).batches),
            n => Err(SqlError::new(
                ErrorKind::Syntax,
                format!("expected one statement, got {n}"),
            )),
        }
    }

    /// Runs one statement with values for its `$1, $2, ...` placeholders.
    pub async fn execute_with_params(
        &self,
        sql: &str,
        params: Vec<ScalarValue>,
    ) -> Result<StatementResult> {
        let statement = statement::parse_one(sql)?;
        let result = self.run(statement, params).await?.collect().await;
        if result.is_err() {
            self.statement_failed();
        }
        result
    }

    /// Runs one parsed statement to its end.
    pub async fn execute_statement(&self, statement: ParsedStatement) -> Result<StatementResult> {
        let result = self.run(statement, vec![]).await?.collect().await;
        if result.is_err() {
            self.statement_failed();
        }
        result
    }

    /// Marks the open transaction failed after a query's rows could not be read (25P02
    /// for what follows, as in PostgreSQL).
    pub fn statement_failed(&self) {
        self.graph.update_transaction(|tx| tx.failed = true);
    }

    /// Runs one statement with values for its placeholders; a query's rows are not read
    /// yet but stream from the result, so memory stays bounded however many rows it has.
    /// If reading them fails, call [`Session::statement_failed`].
    pub async fn run(
        &self,
        statement: ParsedStatement,
        params: Vec<ScalarValue>,
    ) -> Result<StatementOutput> {
        if statement.may_change_plans() {
            self.plans.clear();
        }
        match &statement.kind {
            StatementKind::Transaction(control) => {
                return Box::pin(self.transaction_control(control))
                    .await
                    .map(StatementOutput::Done);
            }
            StatementKind::Copy(copy) => {
                if let Some(from) = crate::copy_from::CopyFrom::of(copy) {
                    let from = from?;
                    if let crate::copy_from::CopyFromSource::File(path) = &from.source {
                        return Box::pin(self.copy_from_file(&from, path))
                            .await
                            .map(StatementOutput::Done);
                    }
                }
                return Err(SqlError::new(
                    ErrorKind::NotSupported,
                    "COPY to or from the client needs a Postgres connection",
                ));
            }
            _ => {}
        }
        if self.graph.transaction().is_some_and(|tx| tx.failed) {
            return Err(transaction_aborted());
        }
        let text = statement.ast.to_string();
        let result = match &statement.kind {
            StatementKind::Cursor(command) => Box::pin(self.run_cursor(command, &params))
                .await
                .map(StatementOutput::Done),
            StatementKind::Setting(setting) => match self.graph_setting(setting).await {
                Some(done) => done.map(StatementOutput::Done),
                None => self.run_planned(&statement, &params, &text).await,
            },
            _ => self.run_planned(&statement, &params, &text).await,
        };
        match &result {
            Ok(_) => self.graph.update_transaction(|tx| tx.statements.push(text)),
            Err(_) => self.statement_failed(),
        }
        result.map(|output| match output {
            StatementOutput::Rows(rows) => StatementOutput::Rows(with_postgres_names(rows)),
            done => done,
        })
    }

    /// Runs a statement DataFusion plans; an autocommit write that loses a commit race
    /// runs again.
    async fn run_planned(
        &self,
        statement: &ParsedStatement,
        params: &[ScalarValue],
        text: &str,
    ) -> Result<StatementOutput> {
        let autocommit_write =
            matches!(statement.kind, StatementKind::Write) && !self.in_transaction();
        let result = self
            .write_alone(autocommit_write, AUTOCOMMIT_RETRIES, || {
                Box::pin(self.run_once(statement, params, text))
            })
            .await;
        let commits_alone = !self.in_transaction()
            && match &statement.kind {
                StatementKind::Write => true,
                StatementKind::Call(call) => {
                    call.procedure.effect == datafusion_omnigraph::Effect::WritesBranch
                }
                _ => false,
            };
        match result {
            Ok(output) if commits_alone => Ok(Box::pin(self.auto_optimize(output)).await),
            result => result,
        }
    }

    /// Runs `attempt` once, or, for a write on its own (`alone`: outside a transaction),
    /// as its own transaction: single-statement writers of this process take turns, so
    /// they never invalidate each other, and when a writer of another process committed
    /// first nothing of it was written, so it runs again on the new head (as PostgreSQL
    /// re-checks rows under READ COMMITTED).
    async fn write_alone<T, F, Fut>(&self, alone: bool, retries: u32, mut attempt: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let retries = if alone { retries } else { 0 };
        let _turn = match alone {
            true => Some(self.graph.graph().statement_turn().await),
            false => None,
        };
        let mut tried = 0;
        loop {
            match attempt().await {
                Err(e) if e.kind == ErrorKind::SerializationFailure && tried < retries => {
                    tried += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(1 << tried.min(6))).await;
                }
                result => return result,
            }
        }
    }

    /// Runs `plan`, a `COPY`'s insert (built, not parsed), as a parsed write runs: the
    /// role and access mode checked; alone, it is its own transaction (its turn among
    /// this process's writers) followed by automatic maintenance. Its rows stream from
    /// the client, so it runs once: a conflict with another process's commit is
    /// reported, not retried. A failure inside a transaction fails the transaction.
    pub(crate) async fn run_copy_plan(
        &self,
        plan: LogicalPlan,
        tag: CommandTag,
        text: &str,
    ) -> Result<StatementResult> {
        if self.graph.transaction().is_some_and(|tx| tx.failed) {
            return Err(transaction_aborted());
        }
        let result = async {
            self.check_role(&plan)?;
            self.check_access_mode(&plan, tag.verb())?;
            let alone = !self.in_transaction();
            let result = self
                .write_alone(alone, 0, || {
                    let context = StatementContext::new(Some(text.to_string()), None).bulk_copy();
                    let state = self.statement_state(Arc::new(context));
                    self.run_plan(state, plan.clone(), Some(tag))
                })
                .await;
            let done = StatementOutput::Done(result?);
            match alone {
                true => Box::pin(self.auto_optimize(done)).await.collect().await,
                false => done.collect().await,
            }
        }
        .await;
        if result.is_err() {
            self.statement_failed();
        }
        result
    }

    /// Automatic maintenance after a statement that committed on its own: compacts what
    /// reached `omnigraph.auto_optimize_fragments` (see [`omnigraph_engine::Graph::auto_optimize`]).
    /// The statement's commit stands whatever happens here; a failure is a warning.
    async fn auto_optimize(&self, mut output: StatementOutput) -> StatementOutput {
        let settings = self.settings();
        if !settings.auto_optimize || settings.as_of.is_some() {
            return output;
        }
        let opts = self.graph.write_options(None);
        let graph = self.graph.graph();
        let outcome = Box::pin(graph.auto_optimize(
            &settings.branch,
            settings.auto_optimize_fragments,
            &opts,
        ))
        .await;
        if let (Err(e), StatementOutput::Done(result)) = (outcome, &mut output) {
            result
                .notices
                .push(format!("automatic maintenance did not run: {e}"));
        }
        output
    }

    /// `SET`/`SHOW`/`RESET` of an `omnigraph.*` setting; `None` for other settings,
    /// which DataFusion answers.
    async fn graph_setting(&self, setting: &Setting) -> Option<Result<StatementResult>> {
        let name = setting.name().filter(|n| is_graph_setting(n))?;
        Some(match setting {
            Setting::Set { values, .. } => self.set_graph_setting(name, values).await,
            Setting::Show(_) => self.show_graph_setting(name),
            Setting::Reset(_) => self.reset_graph_setting(name),
            Setting::ShowAll | Setting::Ignored => return None,
        })
    }

    async fn run_once(
        &self,
        statement: &ParsedStatement,
        params: &[ScalarValue],
        text: &str,
    ) -> Result<StatementOutput> {
        if statement.is_query() {
            match self.plans.get(text) {
                Some(KeptPlan::Constant(cached)) if params.is_empty() => {
                    return cached_rows(cached);
                }
                Some(KeptPlan::Generic(generic)) => {
                    let context = StatementContext::new(Some(text.to_string()), None);
                    let state = self.statement_state(Arc::new(context));
                    if let Some(rows) = self
                        .run_generic(&state, statement, &generic, params, text)
                        .await
                    {
                        return Ok(rows);
                    }
                }
                _ => {}
            }
        }
        let prepared = self.prepare(statement, params, text).await?;
        let context = Arc::new(prepared.context);
        let (state, unbound) = self
            .plan_unbound(prepared.ast, params, context.clone())
            .await?;
        if matches!(statement.kind, StatementKind::Query)
            && let Some(generic) = generic_plan(&state, &unbound)
        {
            let generic = Arc::new(generic);
            self.plans
                .insert(text.to_string(), KeptPlan::Generic(generic.clone()));
            if let Some(rows) = self
                .run_generic(&state, statement, &generic, params, text)
                .await
            {
                return Ok(rows);
            }
        }
        let plan = bind(unbound, params)?;
        datafusion_omnigraph::plan_nested_statements(&state, &plan).await?;
        self.check_role(&plan)?;
        let tag = match prepared.tag {
            Some(fixed) => Some(CommandTag::Fixed(fixed)),
            None => command_tag(&plan),
        };
        self.check_access_mode(&plan, tag.as_ref().map_or("SELECT", CommandTag::verb))?;
        crate::ddl::refuse_graph_ddl(&plan)?;
        if let StatementKind::Explain(format) = statement.kind {
            let explained = plan.clone();
            let ran = self.run_plan(state.clone(), plan, tag).await?;
            let mut result =
                crate::explain::postgres_explain(&state, &explained, &ran.batches, format)?;
            result.notices = context.take_notices();
            return Ok(StatementOutput::Done(result));
        }
        let runs_itself = matches!(plan, LogicalPlan::Ddl(_) | LogicalPlan::Statement(_));
        if tag.is_none() && !runs_itself {
            let reusable = params.is_empty() && is_reusable(&plan);
            let (schema, physical) = physical_query(&state, plan).await?;
            let task_ctx = Arc::new(TaskContext::from(&state));
            if reusable && is_rerunnable(&physical) {
                let cached = CachedPlan {
                    schema: schema.clone(),
                    plan: physical.clone(),
                    task_ctx: task_ctx.clone(),
                };
                self.plans
                    .insert(text.to_string(), KeptPlan::Constant(cached));
            }
            let stream = datafusion::physical_plan::execute_stream(physical, task_ctx)?;
            return Ok(StatementOutput::Rows(RowStream { schema, stream }));
        }
        if tag.is_none() {
            // An EXECUTE's rows are its prepared statement's, known once it is looked up.
            let executes = matches!(
                plan,
                LogicalPlan::Statement(datafusion::logical_expr::Statement::Execute(_))
            );
            let schema = result_schema(&state, &plan);
            let df = self.dataframe(state, plan).await?;
            let schema = if executes {
                Arc::new(df.schema().as_arrow().clone())
            } else {
                schema
            };
            let stream = df.execute_stream().await?;
            return Ok(StatementOutput::Rows(RowStream { schema, stream }));
        }
        let returning = match prepared.returning {
            // Planned before the write, so a mistake in the list writes nothing.
            Some(returning) => {
                returning_plan(&state, &plan, &returning, vec![])?;
                Some((returning, state.clone(), plan.clone()))
            }
            None => None,
        };
        let mut result = self.run_plan(state, plan, tag).await?;
        if let StatementKind::Call(statement::Call {
            command: Some(command),
            ..
        }) = &statement.kind
        {
            // `CREATE INDEX` answers with its tag alone, as PostgreSQL does.
            result = StatementResult::command(command);
        }
        if let Some((returning, state, write)) = returning {
            let mut rows = returning_plan(&state, &write, &returning, context.take_returned())?;
            if !params.is_empty() {
                rows = rows.with_param_values(params.to_vec())?;
            }
            let rows = DataFrame::new(state, rows);
            result.schema = Arc::new(rows.schema().as_arrow().clone());
            result.batches = rows.collect().await?;
        }
        result.notices = context.take_notices();
        Ok(StatementOutput::Done(result))
    }

    /// The syntax DataFusion plans for `statement`, with its statement context.
    async fn prepare(
        &self,
        statement: &ParsedStatement,
        params: &[ScalarValue],
        text: &str,
    ) -> Result<Prepared> {
        let mut insert_mode = None;
        let mut tag = None;
        let ast = match &statement.kind {
            StatementKind::Call(call) => {
                tag = Some(call.command.unwrap_or("CALL"));
                let call = match params {
                    [] => call.clone(),
                    values => bind_call_arguments(call, values)?,
                };
                statement::call_as_query(&call)
            }
            StatementKind::Write => match crate::on_conflict::conflict_insert(&statement.ast) {
                Some(insert) => {
                    insert_mode = Some(crate::on_conflict::insert_mode(&self.graph, insert).await?);
                    crate::on_conflict::without_conflict_clause(insert)
                }
                None => statement.ast.clone(),
            },
            _ => statement.ast.clone(),
        };
        let mut ast = ast;
        let returning = take_returning(&mut ast);
        crate::syntax_passes::with_postgres_syntax(&mut ast);
        self.refresh_branches_for(&ast).await?;
        crate::vector_values::with_vector_casts(&self.graph, &mut ast).await;
        let mut context = StatementContext::new(Some(text.to_string()), insert_mode);
        if returning.is_some() {
            context = context.returning_rows();
        }
        Ok(Prepared {
            ast,
            context,
            tag,
            returning,
        })
    }

    /// Re-reads the branch list (the schemas besides `public`) when `statement` may name
    /// a branch's schema or list schemas. Listing branches reads storage, and a statement
    /// on the session's own branch (`SELECT 1`, a point lookup) does not need it.
    pub(crate) async fn refresh_branches_for(&self, statement: &DFStatement) -> Result<()> {
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

    /// Runs query `statement` from its kept generic plan on `state` (which carries the
    /// statement's context): its values bound, its scans planned on the versions this
    /// statement pins. `None` when the plan cannot serve
    /// this execution (a placeholder without a value, a table whose schema changed, any
    /// error before the query runs): the plan is forgotten and the statement planned
    /// afresh, which reports the error a fresh plan gives.
    async fn run_generic(
        &self,
        state: &SessionState,
        statement: &ParsedStatement,
        generic: &GenericPlan,
        params: &[ScalarValue],
        text: &str,
    ) -> Option<StatementOutput> {
        let started = async {
            let BoundPlan { plan, analyzed } = generic.bind(params)?;
            check_row_counts(&statement.ast, params)?;
            self.check_role(&plan)?;
            self.check_access_mode(&plan, "SELECT")?;
            let (schema, physical) = match analyzed {
                true => planned_query(state, plan).await?,
                false => physical_query(state, plan).await?,
            };
            let task_ctx = Arc::new(TaskContext::from(state));
            let stream = datafusion::physical_plan::execute_stream(physical, task_ctx)?;
            Ok::<_, SqlError>(StatementOutput::Rows(RowStream { schema, stream }))
        };
        match started.await {
            Ok(rows) => Some(rows),
            Err(_) => {
                self.plans.forget(text);
                None
            }
        }
    }

    /// The logical plan of `ast` with its placeholders (the arguments of table functions
    /// and procedures bound, as they are read while planning).
    async fn plan_unbound(
        &self,
        mut ast: DFStatement,
        params: &[ScalarValue],
        context: Arc<StatementContext>,
    ) -> Result<(SessionState, LogicalPlan)> {
        if !params.is_empty() {
            check_row_counts(&ast, params)?;
            bind_table_function_arguments(&mut ast, Some(params))?;
        }
        let state = self.statement_state(context);
        crate::query_rules::check(&ast, &state)?;
        let plan = crate::references::statement_to_plan(&state, ast).await?;
        Ok((state, plan))
    }

    /// A copy of the session's state for one statement, carrying its context.
    pub(crate) fn statement_state(&self, context: Arc<StatementContext>) -> SessionState {
        let mut state = self.ctx.state();
        state.config_mut().set_extension(context);
        state
    }

    /// Refuses `plan` unless the session's role may run what it does (42501, as
    /// PostgreSQL's permission errors).
    fn check_role(&self, plan: &LogicalPlan) -> Result<()> {
        if self.role() == Role::Admin {
            return Ok(());
        }
        self.require_role(datafusion_omnigraph::required_role(plan))
    }

    /// Refuses unless the session's role is at least `needed` (42501). For what is not
    /// planned by DataFusion, such as a `COPY` from a server file.
    pub fn require_role(&self, needed: Role) -> Result<()> {
        let role = self.role();
        if role >= needed {
            return Ok(());
        }
        Err(SqlError::new(
            ErrorKind::InsufficientPrivilege,
            format!(
                "permission denied: user \"{}\" has role {role}; this statement needs role {needed}",
                self.settings().actor
            ),
        ))
    }

    /// `plan` as a DataFrame on `state`; the commands DataFusion runs itself (DDL, its
    /// own `SET`) go through the context, which they change.
    pub(crate) async fn dataframe(
        &self,
        state: SessionState,
        plan: LogicalPlan,
    ) -> Result<DataFrame> {
        Ok(match plan {
            LogicalPlan::Ddl(_) | LogicalPlan::Statement(_) => {
                self.ctx.execute_logical_plan(plan).await?
            }
            plan => DataFrame::new(state, plan),
        })
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
        let batches: Vec<_> = stream.try_collect().await?;
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
            // A write's count is its tag; it returns no rows (unless `RETURNING`).
            Some(CommandTag::Counted(t)) => {
                return Ok(StatementResult::command(&format!("{t}{}", count())));
            }
            None => format!("SELECT {rows}"),
        };
        Ok(StatementResult {
            schema,
            batches,
            tag,
            notices: vec![],
        })
    }
}

/// The physical plan of query `plan` and the schema of its rows, analyzing the plan once
/// (as [`SessionState::create_physical_plan`] does, which would analyze it again after
/// [`result_schema`]: on a short query, a tenth of its time).
async fn physical_query(
    state: &SessionState,
    plan: LogicalPlan,
) -> Result<(SchemaRef, Arc<dyn ExecutionPlan>)> {
    planned_query(state, analyzed(state, plan)?).await
}

/// `plan` after the analyzer's rules (type coercion and the PostgreSQL rules).
fn analyzed(state: &SessionState, plan: LogicalPlan) -> Result<LogicalPlan> {
    Ok(state
        .analyzer()
        .execute_and_check(plan, state.config_options(), |_, _| {})?)
}

/// The physical plan of analyzed query `analyzed` and the schema of its rows.
async fn planned_query(
    state: &SessionState,
    analyzed: LogicalPlan,
) -> Result<(SchemaRef, Arc<dyn ExecutionPlan>)> {
    let schema = Arc::new(analyzed.schema().as_arrow().clone());
    let optimized = state.optimizer().optimize(analyzed, state, |_, _| {})?;
    let physical = state
        .query_planner()
        .create_physical_plan(&optimized, state)
        .await?;
    Ok((schema, physical))
}

/// The plan of query `unbound` to keep for later executions, when it can be kept; see
/// [`crate::plan_cache`].
fn generic_plan(state: &SessionState, unbound: &LogicalPlan) -> Option<GenericPlan> {
    if !GenericPlan::may_keep(unbound) {
        return None;
    }
    let has_placeholders = unbound
        .get_parameter_types()
        .map_or(true, |types| !types.is_empty());
    Some(match has_placeholders {
        true => GenericPlan::with_placeholders(unbound.clone()),
        false => GenericPlan::analyzed(analyzed(state, unbound.clone()).ok()?),
    })
}

/// `plan` with `params` in place of its placeholders.
fn bind(plan: LogicalPlan, params: &[ScalarValue]) -> Result<LogicalPlan> {
    Ok(match params {
        [] => plan,
        values => plan.with_param_values(values.to_vec())?,
    })
}

/// The rows of a constant query's kept physical plan; see [`crate::plan_cache`].
fn cached_rows(cached: CachedPlan) -> Result<StatementOutput> {
    let stream = datafusion::physical_plan::execute_stream(cached.plan, cached.task_ctx)?;
    Ok(StatementOutput::Rows(RowStream {
        schema: cached.schema,
        stream,
    }))
}

/// The schema of `plan`'s rows. The analyzer's rules retype expressions after planning
/// (integer literals become `integer`, casts to `varchar(n)` are tagged), so the schema
/// is the analyzed plan's; the plan itself is analyzed again when it runs. A plan the
/// analyzer refuses keeps its planned schema (running it reports the error).
pub(crate) fn result_schema(state: &SessionState, plan: &LogicalPlan) -> SchemaRef {
    let analyzed =
        state
            .analyzer()
            .execute_and_check(plan.clone(), state.config_options(), |_, _| {});
    match analyzed {
        Ok(analyzed) => Arc::new(analyzed.schema().as_arrow().clone()),
        Err(_) => Arc::new(plan.schema().as_arrow().clone()),
    }
}

/// The error of any statement but `ROLLBACK`/`COMMIT` in a failed transaction (25P02).
pub(crate) fn transaction_aborted() -> SqlError {
    SqlError::new(
        ErrorKind::InFailedTransaction,
        "current transaction is aborted, commands ignored until end of transaction block",
    )
}
