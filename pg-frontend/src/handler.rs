//! The query handlers of one connection, for the simple and the extended protocol. Both
//! end in [`QueryHandler::run`]: role check, the server's own statements (Postgres
//! settings, `COPY ... TO STDOUT`), then the connection's SQL session; query rows stream
//! to the client batch by batch, and cancel requests and `statement_timeout` stop a
//! statement while it plans, runs or streams.

use std::fmt::Debug;
use std::sync::Arc;

use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use async_trait::async_trait;
use datafusion::execution::SendableRecordBatchStream;
use datafusion::scalar::ScalarValue;
use datafusion::sql::parser::{ResetStatement, Statement as DFStatement};
use datafusion::sql::sqlparser::ast::{Expr as SqlExpr, Set, Statement, Value};
use futures::{Sink, SinkExt, Stream, StreamExt, stream};
use pgwire::api::copy::send_copy_out_response;
use pgwire::api::portal::PortalExecutionState;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::query::{send_describe_response, send_execution_response, send_query_response};
use pgwire::api::results::{
    CopyResponse, DescribePortalResponse, DescribeResponse, DescribeStatementResponse, FieldInfo,
    QueryResponse, Response, Tag,
};
use pgwire::api::stmt::{QueryParser, StoredStatement};
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, DEFAULT_NAME, PgWireConnectionState, Type};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::CopyData;
use pgwire::messages::data::DataRow;
use pgwire::messages::extendedquery::{Describe, Execute, TARGET_TYPE_BYTE_STATEMENT};
use pgwire::messages::response::EmptyQueryResponse;
use pgwire::messages::response::{NoticeResponse, TransactionStatus};
use pgwire::messages::simplequery::Query;
use pgwire::messages::startup::ParameterStatus;
use tokio::sync::watch;

use omnigraph_sql::{ErrorKind, Session, SqlError, StatementOutput};

use crate::connection::{Connection, unknown};
use crate::copy::{self, CopyOut};
use crate::encode;
use crate::errors::{canceled, statement_error};
use crate::{execution, params, privilege, rewrite};

pub struct QueryHandler {
    connection: Arc<Connection>,
    parser: Arc<StatementParser>,
}

impl QueryHandler {
    pub fn new(connection: Arc<Connection>) -> QueryHandler {
        QueryHandler {
            parser: Arc::new(StatementParser {
                connection: connection.clone(),
            }),
            connection,
        }
    }
}

/// What one statement gives back before encoding.
enum Outcome {
    Rows {
        schema: SchemaRef,
        stream: SendableRecordBatchStream,
        tag: Option<String>,
    },
    Batches {
        schema: SchemaRef,
        batches: Vec<RecordBatch>,
        tag: String,
    },
    Command(String),
    TransactionStart,
    TransactionEnd(String),
    Copy(CopyOut, SchemaRef, SendableRecordBatchStream),
}

/// How a running statement may be stopped.
struct Stop {
    cancel: watch::Receiver<u64>,
    deadline: Option<tokio::time::Instant>,
}

impl Stop {
    /// Resolves when the statement must stop, with the reason.
    async fn wait(&mut self) -> SqlError {
        let timeout = async {
            match self.deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = self.cancel.changed() => canceled("canceling statement due to user request"),
            _ = timeout => canceled("canceling statement due to statement timeout"),
        }
    }
}

/// Whether a statement only reads, so stopping it half-way loses nothing. Writes run to
/// completion once started: a cancel or timeout then applies to what follows.
fn stoppable(statement: &DFStatement) -> bool {
    match statement {
        DFStatement::Statement(s) => {
            matches!(
                s.as_ref(),
                Statement::Query(_) | Statement::ShowVariable { .. }
            ) && privilege::required_role(statement) == crate::users::Role::Read
        }
        DFStatement::Explain(e) => !e.analyze,
        _ => false,
    }
}

/// `SET`/`SHOW`/`RESET` of a Postgres parameter (not `omnigraph.*`, not `datafusion.*`).
enum SettingStatement {
    Set(String, String),
    Show(String),
    ShowAll,
    Reset(String),
    /// Accepted and without effect (`SET SESSION CHARACTERISTICS`, `SET NAMES` ...).
    Ignored,
}

fn is_session_setting(name: &str) -> bool {
    name.starts_with("omnigraph.") || name.starts_with("datafusion.")
}

fn literal_text(expr: &SqlExpr) -> String {
    match expr {
        SqlExpr::Value(v) => match &v.value {
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        SqlExpr::Identifier(i) => i.value.clone(),
        other => other.to_string(),
    }
}

fn setting_statement(statement: &DFStatement) -> Option<SettingStatement> {
    let name_of = |parts: &[datafusion::sql::sqlparser::ast::Ident]| {
        parts
            .iter()
            .map(|i| i.value.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(".")
    };
    match statement {
        DFStatement::Statement(s) => match s.as_ref() {
            Statement::Set(set) => match set {
                Set::SingleAssignment {
                    variable, values, ..
                } => {
                    let name = variable.to_string().to_ascii_lowercase();
                    if is_session_setting(&name) {
                        return None;
                    }
                    let value = values
                        .iter()
                        .map(literal_text)
                        .collect::<Vec<_>>()
                        .join(", ");
                    Some(SettingStatement::Set(name, value))
                }
                Set::SetTimeZone { value, .. } => Some(SettingStatement::Set(
                    "timezone".to_string(),
                    literal_text(value),
                )),
                _ => Some(SettingStatement::Ignored),
            },
            Statement::ShowVariable { variable } => {
                let name = name_of(variable);
                match name.as_str() {
                    n if is_session_setting(n) => None,
                    "all" => Some(SettingStatement::ShowAll),
                    "transaction.isolation.level" => {
                        Some(SettingStatement::Show("transaction_isolation".to_string()))
                    }
                    "time.zone" => Some(SettingStatement::Show("timezone".to_string())),
                    _ => Some(SettingStatement::Show(name)),
                }
            }
            Statement::Discard { .. } | Statement::Deallocate { .. } => {
                Some(SettingStatement::Ignored)
            }
            _ => None,
        },
        DFStatement::Reset(ResetStatement::Variable(name)) => {
            let name = name.to_string().to_ascii_lowercase();
            (!is_session_setting(&name)).then_some(SettingStatement::Reset(name))
        }
        _ => None,
    }
}

/// Statements as the session runs them: psql's and BI tools' catalog queries go through
/// datafusion-pg-catalog's rewrites (`::regclass`, `OPERATOR(pg_catalog.~)`, ...); other
/// statements are left exactly as written.
fn parse_statements(sql: &str) -> Result<Vec<DFStatement>, SqlError> {
    let lower = sql.to_ascii_lowercase();
    let catalog_query = lower.contains("pg_")
        || lower.contains("information_schema")
        || lower.contains("::reg")
        || lower.contains("::oid");
    if catalog_query {
        let parser = datafusion_pg_catalog::sql::PostgresCompatibilityParser::new();
        // The compatibility parser stubs Grafana's search-path expansion out (to `''`, so
        // it matches no schema) from when `current_setting` was missing; we have it, so
        // such a query skips that parser's stubs and keeps its rewrites.
        let parsed = if lower.contains("string_to_array(current_setting('search_path')") {
            use datafusion::sql::sqlparser::{dialect::PostgreSqlDialect, parser::Parser};
            Parser::parse_sql(&PostgreSqlDialect {}, sql)
                .map(|statements| statements.into_iter().map(|s| parser.rewrite(s)).collect())
        } else {
            parser.parse(sql)
        };
        if let Ok(statements) = parsed {
            return Ok(statements
                .into_iter()
                .map(|mut s| {
                    rewrite::as_datafusion_catalog_query(&mut s);
                    rewrite::with_unique_output_names(&mut s);
                    DFStatement::Statement(Box::new(s))
                })
                .collect());
        }
    }
    let mut statements = Session::parse(sql)?;
    for statement in &mut statements {
        if let DFStatement::Statement(s) = statement {
            rewrite::with_unique_output_names(s);
        }
    }
    Ok(statements)
}

fn one_column(name: &str, values: Vec<String>) -> (SchemaRef, Vec<RecordBatch>) {
    let schema = Arc::new(Schema::new(vec![Field::new(name, DataType::Utf8, true)]));
    let batch = RecordBatch::try_new(schema.clone(), vec![Arc::new(StringArray::from(values))])
        .expect("one text column");
    (schema, vec![batch])
}

impl QueryHandler {
    fn session(&self) -> Result<Arc<Session>, SqlError> {
        self.connection.session().cloned()
    }

    fn stop(&self) -> Stop {
        Stop {
            cancel: self.connection.cancel_watch(),
            deadline: self
                .connection
                .settings()
                .statement_timeout()
                .map(|t| tokio::time::Instant::now() + t),
        }
    }

    fn check_role(&self, statement: &DFStatement) -> Result<(), SqlError> {
        match self.connection.identity() {
            Some(id) => privilege::check(statement, &id.user, id.role),
            None => Err(crate::errors::protocol("startup not complete")),
        }
    }

    fn settings_outcome(&self, statement: SettingStatement) -> Result<Outcome, SqlError> {
        let mut settings = self.connection.settings();
        match statement {
            SettingStatement::Set(name, value) => {
                settings.set(&name, &value)?;
                Ok(Outcome::Command("SET".to_string()))
            }
            SettingStatement::Reset(name) => {
                settings.reset(&name)?;
                Ok(Outcome::Command("RESET".to_string()))
            }
            SettingStatement::Ignored => Ok(Outcome::Command("SET".to_string())),
            SettingStatement::Show(name) => {
                let value = settings.get(&name).ok_or_else(|| unknown(&name))?;
                let (schema, batches) = one_column(&name, vec![value.to_string()]);
                Ok(Outcome::Batches {
                    schema,
                    batches,
                    tag: "SHOW".to_string(),
                })
            }
            SettingStatement::ShowAll => {
                let schema = Arc::new(Schema::new(vec![
                    Field::new("name", DataType::Utf8, false),
                    Field::new("setting", DataType::Utf8, false),
                ]));
                let (names, values): (Vec<String>, Vec<String>) =
                    settings.all().map(|(k, v)| (k.clone(), v.clone())).unzip();
                let batch = RecordBatch::try_new(
                    schema.clone(),
                    vec![
                        Arc::new(StringArray::from(names)),
                        Arc::new(StringArray::from(values)),
                    ],
                )
                .map_err(|e| SqlError::new(ErrorKind::Internal, e.to_string()))?;
                Ok(Outcome::Batches {
                    schema,
                    batches: vec![batch],
                    tag: "SHOW".to_string(),
                })
            }
        }
    }

    /// Runs one statement.
    async fn run(
        &self,
        statement: DFStatement,
        params: Vec<ScalarValue>,
    ) -> Result<Outcome, SqlError> {
        self.check_role(&statement)?;
        if let Some(setting) = setting_statement(&statement) {
            return self.settings_outcome(setting);
        }
        let session = self.session()?;
        let transaction = match &statement {
            DFStatement::Statement(s) => match s.as_ref() {
                Statement::StartTransaction { .. } => Some(true),
                Statement::Commit { .. }
                | Statement::Rollback {
                    savepoint: None, ..
                } => Some(false),
                _ => None,
            },
            _ => None,
        };
        let mut stop = self.stop();
        let output = if stoppable(&statement) {
            let run = execution::run_statement(session.clone(), statement, params);
            tokio::select! {
                output = run => output?,
                reason = stop.wait() => return Err(reason),
            }
        } else {
            execution::run_statement(session.clone(), statement, params).await?
        };
        Ok(match output {
            StatementOutput::Rows(rows) => Outcome::Rows {
                schema: rows.schema,
                stream: rows.stream,
                tag: None,
            },
            StatementOutput::Done(result) => match transaction {
                Some(true) => Outcome::TransactionStart,
                Some(false) => Outcome::TransactionEnd(result.tag),
                None if result.has_columns() && returns_rows(&result.tag) => Outcome::Batches {
                    schema: result.schema,
                    batches: result.batches,
                    tag: result.tag,
                },
                None => {
                    self.pending_notices(result.notices);
                    Outcome::Command(result.tag)
                }
            },
        })
    }

    fn pending_notices(&self, notices: Vec<String>) {
        self.connection.push_notices(notices);
    }

    async fn run_copy(&self, sql: &str) -> Result<Outcome, SqlError> {
        let copy = copy::parse(sql)?;
        let mut statements = Session::parse(&copy.query)?;
        let statement = statements.remove(0);
        self.check_role(&statement)?;
        let session = self.session()?;
        let mut stop = self.stop();
        let output = tokio::select! {
            output = execution::run_statement(session.clone(), statement, vec![]) => output?,
            reason = stop.wait() => return Err(reason),
        };
        match output {
            StatementOutput::Rows(rows) => Ok(Outcome::Copy(copy, rows.schema, rows.stream)),
            StatementOutput::Done(_) => Err(SqlError::new(
                ErrorKind::NotSupported,
                "COPY takes a query that returns rows",
            )),
        }
    }

    /// The response of one outcome; rows in `format`.
    fn response(&self, outcome: Outcome, format: &Format) -> PgWireResult<Response> {
        match outcome {
            Outcome::Command(tag) => Ok(Response::Execution(Tag::new(&tag))),
            Outcome::TransactionStart => Ok(Response::TransactionStart(Tag::new("BEGIN"))),
            Outcome::TransactionEnd(tag) => Ok(Response::TransactionEnd(Tag::new(&tag))),
            Outcome::Batches {
                schema,
                batches,
                tag,
            } => {
                let wire = encode::wire_schema(&schema);
                let fields = Arc::new(encode::fields(&wire, format)?);
                let mut rows = Vec::new();
                for batch in batches {
                    let batch = encode::to_wire(&batch, &wire)?;
                    rows.extend(encode::rows(fields.clone(), batch));
                }
                let mut response = QueryResponse::new(fields, stream::iter(rows));
                let name = tag.split(' ').next().unwrap_or("SELECT").to_string();
                response.set_command_tag(&name);
                Ok(Response::Query(response))
            }
            Outcome::Rows {
                schema,
                stream,
                tag,
            } => {
                let wire = encode::wire_schema(&schema);
                let fields = Arc::new(encode::fields(&wire, format)?);
                let rows = self.row_stream(stream, wire, fields.clone());
                let mut response = QueryResponse::new(fields, rows);
                if let Some(tag) = tag {
                    response.set_command_tag(&tag);
                }
                Ok(Response::Query(response))
            }
            Outcome::Copy(copy, schema, stream) => {
                let wire = encode::wire_schema(&schema);
                let fields = Arc::new(encode::fields(&wire, &Format::UnifiedText)?);
                let names: Vec<String> = wire.fields().iter().map(|f| f.name().clone()).collect();
                let header = copy.format.header(&names).map(|h| Ok(CopyData::new(h)));
                let format = copy.format.clone();
                let lines = self
                    .row_stream(stream, wire, fields)
                    .map(move |row| row.map(|r| CopyData::new(format.line(&r))));
                let data = stream::iter(header).chain(lines);
                Ok(Response::CopyOut(CopyResponse::new(0, names.len(), data)))
            }
        }
    }

    /// Rows encoded batch by batch as the client reads them; a cancel request or the
    /// statement timeout ends the stream with 57014.
    fn row_stream(
        &self,
        batches: SendableRecordBatchStream,
        wire: SchemaRef,
        fields: Arc<Vec<FieldInfo>>,
    ) -> impl Stream<Item = PgWireResult<DataRow>> + Send + 'static {
        let stop = self.stop();
        let session = self.connection.session().ok().cloned();
        let state = (Some(batches), stop);
        stream::unfold(state, move |(batches, mut stop)| {
            let wire = wire.clone();
            let fields = fields.clone();
            let session = session.clone();
            async move {
                let mut batches = batches?;
                let next = tokio::select! {
                    next = batches.next() => next.map(|b| b.map_err(SqlError::from)),
                    reason = stop.wait() => Some(Err(reason)),
                };
                let rows: Vec<PgWireResult<DataRow>> = match next {
                    None => return None,
                    Some(Ok(batch)) => match encode::to_wire(&batch, &wire) {
                        Ok(batch) => encode::rows(fields, batch).collect(),
                        Err(e) => return Some((vec![Err(e)], (None, stop))),
                    },
                    Some(Err(e)) => {
                        if let Some(s) = &session {
                            s.statement_failed();
                        }
                        return Some((vec![Err(statement_error(&e))], (None, stop)));
                    }
                };
                Some((rows, (Some(batches), stop)))
            }
        })
        .flat_map(stream::iter)
    }

    /// Notices the statement raised and new values of reported parameters, sent ahead
    /// of the statement's own response.
    async fn send_pending_messages<C>(&self, client: &mut C) -> PgWireResult<()>
    where
        C: Sink<PgWireBackendMessage> + Unpin + Send,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        for notice in self.connection.take_notices() {
            let info = ErrorInfo::new("NOTICE".to_string(), "00000".to_string(), notice);
            client
                .feed(PgWireBackendMessage::NoticeResponse(NoticeResponse::from(
                    info,
                )))
                .await?;
        }
        // A `SET` of a parameter PostgreSQL reports (application_name, TimeZone, ...) is
        // followed by its new value, as drivers expect to track it.
        let changed = self.connection.settings().take_changed();
        for (name, value) in changed {
            client
                .feed(PgWireBackendMessage::ParameterStatus(ParameterStatus::new(
                    name.to_string(),
                    value,
                )))
                .await?;
        }
        Ok(())
    }
}

/// Whether a finished statement with this tag answers with rows (DML answers with its
/// count in the tag only, as in PostgreSQL).
fn returns_rows(tag: &str) -> bool {
    let verb = tag.split(' ').next().unwrap_or_default();
    matches!(verb, "SELECT" | "SHOW" | "CALL" | "EXPLAIN" | "VALUES")
}

/// Whether `sql` is `ROLLBACK TO [SAVEPOINT] name`, which makes a failed transaction usable
/// again: the protocol's transaction status must then leave "failed".
fn rolls_back_to_savepoint(sql: &str) -> bool {
    Session::parse(sql).is_ok_and(|statements| {
        statements.iter().any(|s| {
            matches!(s, DFStatement::Statement(s) if matches!(
                s.as_ref(),
                Statement::Rollback { savepoint: Some(_), .. }
            ))
        })
    })
}

#[async_trait]
impl SimpleQueryHandler for QueryHandler {
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        // pgwire derives the status after the query from the one before it; a failed
        // `ROLLBACK TO` still ends in "failed" through its error response.
        if client.transaction_status() == TransactionStatus::Error
            && rolls_back_to_savepoint(&query.query)
        {
            client.set_transaction_status(TransactionStatus::Transaction);
        }
        self._on_query(client, query).await
    }

    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if copy::is_copy(query) {
            let outcome = self
                .run_copy(query)
                .await
                .map_err(|e| statement_error(&e))?;
            return Ok(vec![self.response(outcome, &Format::UnifiedText)?]);
        }
        let statements = match parse_statements(query) {
            Ok(s) => s,
            // `REPLACE INTO` is not in the Postgres grammar; the session rewrites it.
            Err(e)
                if query
                    .trim_start()
                    .to_ascii_lowercase()
                    .starts_with("replace") =>
            {
                let session = self.session().map_err(|e| statement_error(&e))?;
                let _ = e;
                let mut results = session
                    .execute(query)
                    .await
                    .map_err(|e| statement_error(&e))?;
                let result = results.remove(0);
                self.pending_notices(result.notices);
                self.send_pending_messages(client).await?;
                return Ok(vec![Response::Execution(Tag::new(&result.tag))]);
            }
            Err(e) => {
                self.connection.statement_failed();
                return Err(statement_error(&e));
            }
        };
        let count = statements.len();
        if count == 0 {
            // Only comments (pgx's `-- ping`): PostgreSQL answers EmptyQueryResponse.
            return Ok(vec![Response::EmptyQuery]);
        }
        let mut responses = Vec::with_capacity(count);
        for (i, statement) in statements.into_iter().enumerate() {
            let outcome = match self.run(statement, vec![]).await {
                Ok(o) => o,
                Err(e) if i == 0 => return Err(statement_error(&e)),
                Err(e) => {
                    responses.push(Response::Error(Box::new(ErrorInfo::new(
                        "ERROR".to_string(),
                        e.sqlstate().to_string(),
                        e.message.clone(),
                    ))));
                    break;
                }
            };
            // Rows of all but the last statement are read now, before the next one runs.
            let outcome = match outcome {
                Outcome::Rows { schema, stream, .. } if i + 1 < count => {
                    let batches: Vec<RecordBatch> = stream
                        .map(|b| b.map_err(SqlError::from))
                        .collect::<Vec<_>>()
                        .await
                        .into_iter()
                        .collect::<Result<_, _>>()
                        .map_err(|e| statement_error(&e))?;
                    Outcome::Batches {
                        schema,
                        batches,
                        tag: "SELECT".to_string(),
                    }
                }
                other => other,
            };
            self.send_pending_messages(client).await?;
            responses.push(self.response(outcome, &Format::UnifiedText)?);
        }
        Ok(responses)
    }
}

/// A prepared statement: its text, and what it was described as when prepared. It is
/// planned again at every execution, so it never reads a stale schema or branch.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub sql: String,
    /// The placeholder types and result columns when it was prepared (`None` if it could
    /// not be described then). Clients encode parameters and decode rows by these, so
    /// parameters are read with these types, and if a schema change alters the columns
    /// the statement fails (0A000, as PostgreSQL's "cached plan must not change result
    /// type") instead of sending rows the client misreads.
    pub described: Option<Described>,
}

#[derive(Debug, Clone)]
pub struct Described {
    pub params: Vec<Option<DataType>>,
    pub columns: SchemaRef,
}

/// A statement's Describe answer; unlike pgwire's, a statement with parameters and no
/// result columns answers NoData, as PostgreSQL does.
struct StatementDescription(DescribeStatementResponse);

impl DescribeResponse for StatementDescription {
    fn parameters(&self) -> Option<&[Type]> {
        Some(&self.0.parameters)
    }

    fn fields(&self) -> &[FieldInfo] {
        &self.0.fields
    }

    fn no_data() -> Self {
        StatementDescription(DescribeStatementResponse::no_data())
    }

    fn is_no_data(&self) -> bool {
        self.0.fields.is_empty()
    }
}

pub struct StatementParser {
    connection: Arc<Connection>,
}

#[async_trait]
impl QueryParser for StatementParser {
    type Statement = Prepared;

    async fn parse_sql<C>(
        &self,
        _client: &C,
        sql: &str,
        types: &[Option<Type>],
    ) -> PgWireResult<Prepared>
    where
        C: ClientInfo + Unpin + Send + Sync,
    {
        if copy::is_copy(sql) {
            return Ok(Prepared {
                sql: sql.to_string(),
                described: None,
            });
        }
        if let Err(e) = parse_statements(sql) {
            self.connection.statement_failed();
            return Err(statement_error(&e));
        }
        let typed = params::with_declared_types(sql, types);
        let sql = typed.as_deref().unwrap_or(sql);
        let described = describe(&self.connection, sql)
            .await
            .ok()
            .map(|(params, schema)| Described {
                params,
                columns: encode::wire_schema(&schema),
            });
        Ok(Prepared {
            sql: sql.to_string(),
            described,
        })
    }

    fn get_parameter_types(&self, _stmt: &Prepared) -> PgWireResult<Vec<Type>> {
        Ok(vec![])
    }

    fn get_result_schema(
        &self,
        _stmt: &Prepared,
        _format: Option<&Format>,
    ) -> PgWireResult<Vec<FieldInfo>> {
        Ok(vec![])
    }
}

/// The parameter types and result columns of a prepared statement.
async fn describe(
    connection: &Connection,
    sql: &str,
) -> Result<(Vec<Option<DataType>>, SchemaRef), SqlError> {
    let empty = || Arc::new(Schema::empty());
    if copy::is_copy(sql) {
        return Ok((vec![], empty()));
    }
    let mut statements = parse_statements(sql)?;
    if statements.len() != 1 {
        return Ok((vec![], empty()));
    }
    if let Some(setting) = setting_statement(&statements[0]) {
        return Ok(match setting {
            SettingStatement::Show(name) => (vec![], one_column(&name, vec![]).0),
            SettingStatement::ShowAll => (
                vec![],
                Arc::new(Schema::new(vec![
                    Field::new("name", DataType::Utf8, false),
                    Field::new("setting", DataType::Utf8, false),
                ])),
            ),
            _ => (vec![], empty()),
        });
    }
    let session = connection.session()?;
    session.describe_statement(statements.remove(0)).await
}

impl QueryHandler {
    /// What a prepared statement was described as, or a fresh description if it could
    /// not be described when prepared.
    async fn described(&self, prepared: &Prepared) -> Result<Described, SqlError> {
        match &prepared.described {
            Some(described) => Ok(described.clone()),
            None => describe(&self.connection, &prepared.sql)
                .await
                .map(|(params, schema)| Described {
                    params,
                    columns: encode::wire_schema(&schema),
                }),
        }
    }

    async fn execute_prepared(&self, portal: &Portal<Prepared>) -> Result<Outcome, SqlError> {
        let prepared = &portal.statement.statement;
        let sql = prepared.sql.as_str();
        if copy::is_copy(sql) {
            return self.run_copy(sql).await;
        }
        let described = self.described(prepared).await?;
        let values = params::decode(portal, &described.params)?;
        let mut statements = parse_statements(sql)?;
        if statements.len() != 1 {
            return Err(SqlError::new(
                ErrorKind::Syntax,
                format!(
                    "cannot insert multiple commands into a prepared statement (got {})",
                    statements.len()
                ),
            ));
        }
        let outcome = self.run(statements.remove(0), values).await?;
        // Only a query is checked: its rows have not been read yet, so refusing it now
        // changes nothing.
        if let Outcome::Rows { schema, .. } = &outcome
            && columns_changed(&described.columns, &encode::wire_schema(schema))
        {
            return Err(SqlError::new(
                ErrorKind::NotSupported,
                "cached plan must not change result type: the statement's columns changed since it was prepared; prepare it again",
            ));
        }
        Ok(outcome)
    }
}

/// Whether a query's columns differ from those it was described with. A column described
/// without a type (`SELECT $1` before its parameter's type is known) was announced as
/// `unknown`, sent as text, so any type it gets later reads the same.
fn columns_changed(described: &SchemaRef, now: &SchemaRef) -> bool {
    if described.fields().is_empty() {
        return false;
    }
    described.fields().len() != now.fields().len()
        || described
            .fields()
            .iter()
            .zip(now.fields())
            .any(|(before, after)| {
                before.name() != after.name()
                    || (before.data_type() != &DataType::Null
                        && before.data_type() != after.data_type())
            })
}

fn described_params(declared: &[Option<Type>], inferred: &[Option<DataType>]) -> Vec<Type> {
    let n = declared.len().max(inferred.len());
    (0..n)
        .map(|i| {
            declared
                .get(i)
                .cloned()
                .flatten()
                .filter(|t| *t != Type::UNKNOWN)
                .unwrap_or_else(|| match inferred.get(i).cloned().flatten() {
                    Some(t) => params::pg_type(Some(&t)),
                    None => Type::TEXT,
                })
        })
        .collect()
}

#[async_trait]
impl ExtendedQueryHandler for QueryHandler {
    type Statement = Prepared;
    type QueryParser = StatementParser;

    fn query_parser(&self) -> Arc<StatementParser> {
        self.parser.clone()
    }

    /// Runs a portal without a row limit as a stream straight to the client: pgwire's
    /// own path would hold every row of the portal in memory before sending the first.
    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if message.max_rows > 0 {
            return self._on_execute(client, message).await;
        }
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let Some(portal) = client.portal_store().get_portal(name) else {
            return Err(PgWireError::PortalNotFound(name.to_string()));
        };
        if !matches!(*portal.state().lock().await, PortalExecutionState::Initial) {
            return self._on_execute(client, message).await;
        }
        let mut status = client.transaction_status();
        if status == TransactionStatus::Error
            && rolls_back_to_savepoint(&portal.statement.statement.sql)
        {
            status = TransactionStatus::Transaction;
        }
        client.set_state(PgWireConnectionState::QueryInProgress);
        match ExtendedQueryHandler::do_query(self, client, portal.as_ref(), 0).await? {
            Response::Query(rows) => {
                *portal.state().lock().await = PortalExecutionState::Finished;
                send_query_response(client, rows, false).await?;
            }
            Response::EmptyQuery => {
                client
                    .feed(PgWireBackendMessage::EmptyQueryResponse(
                        EmptyQueryResponse::new(),
                    ))
                    .await?;
            }
            Response::Execution(tag) => send_execution_response(client, tag).await?,
            Response::TransactionStart(tag) => {
                send_execution_response(client, tag).await?;
                status = status.to_in_transaction_state();
            }
            Response::TransactionEnd(tag) => {
                send_execution_response(client, tag).await?;
                status = status.to_idle_state();
                client.portal_store().rm_portal(DEFAULT_NAME);
            }
            Response::Error(err) => {
                client
                    .send(PgWireBackendMessage::ErrorResponse((*err).into()))
                    .await?;
                status = status.to_error_state();
            }
            Response::CopyOut(copy) => send_copy_out_response(client, copy).await?,
            Response::CopyIn(_) | Response::CopyBoth(_) => {
                return Err(statement_error(&SqlError::new(
                    ErrorKind::NotSupported,
                    "COPY FROM STDIN",
                )));
            }
        }
        client.set_state(PgWireConnectionState::ReadyForQuery);
        client.set_transaction_status(status);
        Ok(())
    }

    async fn on_describe<C>(&self, client: &mut C, message: Describe) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if message.target_type != TARGET_TYPE_BYTE_STATEMENT {
            return self._on_describe(client, message).await;
        }
        let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let Some(statement) = client.portal_store().get_statement(name) else {
            return Err(PgWireError::StatementNotFound(name.to_string()));
        };
        let response = self.do_describe_statement(client, &statement).await?;
        send_describe_response(client, &StatementDescription(response)).await
    }

    async fn do_describe_statement<C>(
        &self,
        _client: &mut C,
        target: &StoredStatement<Prepared>,
    ) -> PgWireResult<DescribeStatementResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let described = self.described(&target.statement).await.map_err(|e| {
            self.connection.statement_failed();
            statement_error(&e)
        })?;
        let fields = encode::fields(&described.columns, &Format::UnifiedText)?;
        Ok(DescribeStatementResponse::new(
            described_params(&target.parameter_types, &described.params),
            fields,
        ))
    }

    async fn do_describe_portal<C>(
        &self,
        _client: &mut C,
        portal: &Portal<Prepared>,
    ) -> PgWireResult<DescribePortalResponse>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let described = self
            .described(&portal.statement.statement)
            .await
            .map_err(|e| {
                self.connection.statement_failed();
                statement_error(&e)
            })?;
        if described.columns.fields().is_empty() {
            return Ok(DescribePortalResponse::no_data());
        }
        let fields = encode::fields(&described.columns, &portal.result_column_format)?;
        Ok(DescribePortalResponse::new(fields))
    }

    async fn do_query<C>(
        &self,
        client: &mut C,
        portal: &Portal<Prepared>,
        _max_rows: usize,
    ) -> PgWireResult<Response>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let sql = portal.statement.statement.sql.clone();
        if sql.trim().trim_matches(';').trim().is_empty() {
            return Ok(Response::EmptyQuery);
        }
        let outcome = match self.execute_prepared(portal).await {
            Ok(outcome) => outcome,
            Err(e) => {
                self.connection.statement_failed();
                return Err(statement_error(&e));
            }
        };
        self.send_pending_messages(client).await?;
        self.response(outcome, &portal.result_column_format)
    }
}
