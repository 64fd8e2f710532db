//! The query handlers of one connection, for the simple and the extended protocol. A
//! statement is parsed once (at Parse, or when a simple query arrives); both protocols
//! end in [`QueryHandler::run`]: the server's hooks (Postgres settings, `COPY`,
//! transaction control), then the connection's SQL session, which checks the role the
//! statement's plan needs. Query rows stream to the client batch by batch, and cancel
//! requests and `statement_timeout` stop a statement while it plans, runs or streams.

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Instant;

use arrow::array::RecordBatch;
use async_trait::async_trait;
use datafusion::scalar::ScalarValue;
use futures::{Sink, SinkExt, StreamExt};
use pgwire::api::portal::PortalExecutionState;
use pgwire::api::portal::{Format, Portal};
use pgwire::api::query::{ExtendedQueryHandler, SimpleQueryHandler};
use pgwire::api::query::{
    send_describe_response, send_execution_response, send_query_response, send_ready_for_query,
};
use pgwire::api::results::{
    DescribePortalResponse, DescribeResponse, DescribeStatementResponse, Response,
};
use pgwire::api::stmt::StoredStatement;
use pgwire::api::store::PortalStore;
use pgwire::api::{ClientInfo, ClientPortalStore, DEFAULT_NAME, PgWireConnectionState};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::extendedquery::{
    Describe, Execute, Parse, ParseComplete, TARGET_TYPE_BYTE_STATEMENT,
};
use pgwire::messages::response::{EmptyQueryResponse, TransactionStatus};
use pgwire::messages::simplequery::Query;

use omnigraph_sql::{ErrorKind, ParsedStatement, Session, SqlError, StatementOutput};

use crate::connection::Connection;
use crate::errors::statement_error;
use crate::outcome::{Outcome, returns_rows};
use crate::prepared::{
    Prepared, StatementDescription, StatementParser, columns_changed, described_params,
    rolls_back_to_savepoint,
};
use crate::{encode, execution, hooks, params, pgvector, prepared};

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

    pub fn connection(&self) -> &Arc<Connection> {
        &self.connection
    }

    pub(crate) fn session(&self) -> Result<Arc<Session>, SqlError> {
        self.connection.session().cloned()
    }

    pub(crate) fn stop(&self) -> crate::stop::Stop {
        self.connection.stop()
    }

    /// Runs one statement.
    async fn run(
        &self,
        statement: ParsedStatement,
        params: Vec<ScalarValue>,
    ) -> Result<Outcome, SqlError> {
        if self.connection.identity().is_none() {
            return Err(crate::errors::protocol("startup not complete"));
        }
        if let Some(outcome) = hooks::run(&self.connection, &statement, &params).await {
            return outcome;
        }
        let session = self.session()?;
        let output = if statement.only_reads() {
            let mut stop = self.stop();
            let run = execution::run_statement(session, statement, params);
            tokio::select! {
                output = run => output?,
                reason = stop.wait() => return Err(reason),
            }
        } else {
            execution::run_statement(session, statement, params).await?
        };
        Ok(match output {
            StatementOutput::Rows(rows) => Outcome::Rows {
                schema: rows.schema,
                stream: rows.stream,
                tag: None,
            },
            StatementOutput::Done(result) if result.has_columns() && returns_rows(&result.tag) => {
                Outcome::Batches {
                    schema: result.schema,
                    batches: result.batches,
                    tag: result.tag,
                }
            }
            StatementOutput::Done(result) => {
                self.connection.push_notices(result.notices);
                Outcome::Command(result.tag)
            }
        })
    }

    async fn execute_prepared(&self, portal: &Portal<Prepared>) -> Result<Outcome, SqlError> {
        let prepared = &portal.statement.statement;
        let Some(statement) = prepared.statement.clone() else {
            return Err(SqlError::new(ErrorKind::Syntax, "empty query"));
        };
        let described = self.described(prepared).await?;
        let values = params::decode(portal, &described.params)?;
        let outcome = self.run(statement, values).await?;
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

    /// The responses of a simple query's statements, run in order; after a failure the
    /// rest do not run.
    async fn run_simple<C>(
        &self,
        client: &mut C,
        statements: Vec<ParsedStatement>,
    ) -> PgWireResult<Vec<Response>>
    where
        C: Sink<PgWireBackendMessage> + Unpin + Send,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let count = statements.len();
        if count == 0 {
            // Only comments (pgx's `-- ping`): PostgreSQL answers EmptyQueryResponse.
            return Ok(vec![Response::EmptyQuery]);
        }
        let mut responses = Vec::with_capacity(count);
        for (i, statement) in statements.into_iter().enumerate() {
            let last = i + 1 == count;
            let ran = self
                .run(statement, vec![])
                .await
                .and_then(|outcome| match outcome {
                    // Its rows would have to arrive before the statements after it run.
                    Outcome::CopyIn { .. } if !last => {
                        self.connection.take_copy_in();
                        Err(SqlError::new(
                            ErrorKind::NotSupported,
                            "COPY FROM STDIN must be the last statement of a query string",
                        ))
                    }
                    outcome => Ok(outcome),
                });
            let outcome = match ran {
                Ok(o) => o,
                Err(e) if i == 0 => return Err(statement_error(&e)),
                Err(e) => {
                    // Sent among the responses, not through the connection's error path,
                    // which logs the others.
                    self.connection
                        .log()
                        .error("ERROR", e.sqlstate(), &e.message);
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
                Outcome::Rows { schema, stream, .. } if !last => {
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

    /// Parses a simple query's text, failing the open transaction on a syntax error.
    fn parse_simple(&self, query: &str) -> PgWireResult<Vec<ParsedStatement>> {
        prepared::parse(query).map_err(|e| {
            self.connection.statement_failed();
            statement_error(&e)
        })
    }
}

/// Sends one statement's response and moves the transaction status as it says; a simple
/// query's rows come with their row description, a portal's were described before.
async fn send_response<C>(
    client: &mut C,
    response: Response,
    status: &mut TransactionStatus,
    with_row_description: bool,
) -> PgWireResult<()>
where
    C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    match response {
        Response::EmptyQuery => {
            client
                .feed(PgWireBackendMessage::EmptyQueryResponse(
                    EmptyQueryResponse::new(),
                ))
                .await?;
        }
        Response::Query(rows) => send_query_response(client, rows, with_row_description).await?,
        Response::Execution(tag) => send_execution_response(client, tag).await?,
        Response::TransactionStart(tag) => {
            send_execution_response(client, tag).await?;
            *status = status.to_in_transaction_state();
        }
        Response::TransactionEnd(tag) => {
            send_execution_response(client, tag).await?;
            *status = status.to_idle_state();
        }
        Response::Error(e) => {
            client
                .send(PgWireBackendMessage::ErrorResponse((*e).into()))
                .await?;
            *status = status.to_error_state();
        }
        Response::CopyOut(copy) => crate::copy_out::send_copy_out(client, copy).await?,
        // The client's rows follow as CopyData (see `crate::copy_in`).
        Response::CopyIn(copy) => {
            pgwire::api::copy::send_copy_in_response(client, copy).await?;
        }
        Response::CopyBoth(_) => {
            return Err(statement_error(&SqlError::new(
                ErrorKind::NotSupported,
                "COPY BOTH",
            )));
        }
    }
    Ok(())
}

#[async_trait]
impl SimpleQueryHandler for QueryHandler {
    /// Parses the query once and runs its statements. (pgwire's own path hands
    /// `do_query` the text, which would be parsed a second time.)
    async fn on_query<C>(&self, client: &mut C, query: Query) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        if !matches!(client.state(), PgWireConnectionState::ReadyForQuery) {
            return Err(PgWireError::NotReadyForQuery);
        }
        let started = Instant::now();
        let statements = self.parse_simple(&query.query)?;
        let mut status = client.transaction_status();
        // A failed `ROLLBACK TO` still ends in "failed" through its error response.
        if status == TransactionStatus::Error
            && statements.iter().any(|s| rolls_back_to_savepoint(Some(s)))
        {
            status = TransactionStatus::Transaction;
        }
        client.set_state(PgWireConnectionState::QueryInProgress);
        let responses = match self.run_simple(client, statements).await {
            Ok(responses) => responses,
            Err(e) => {
                client.set_state(PgWireConnectionState::ReadyForQuery);
                return Err(e);
            }
        };
        let mut copying = false;
        for response in responses {
            copying = matches!(response, Response::CopyIn(_));
            send_response(client, response, &mut status, true).await?;
        }
        client.set_transaction_status(status);
        if copying {
            // Ready for the next query once the client's rows are in.
            client.set_state(PgWireConnectionState::CopyInProgress(false));
            return Ok(());
        }
        client.set_state(PgWireConnectionState::ReadyForQuery);
        self.connection
            .statement_finished(started.elapsed(), || format!("statement: {}", query.query));
        send_ready_for_query(client, status).await
    }

    async fn do_query<C>(&self, client: &mut C, query: &str) -> PgWireResult<Vec<Response>>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let statements = self.parse_simple(query)?;
        self.run_simple(client, statements).await
    }
}

#[async_trait]
impl ExtendedQueryHandler for QueryHandler {
    type Statement = Prepared;
    type QueryParser = StatementParser;

    fn query_parser(&self) -> Arc<StatementParser> {
        self.parser.clone()
    }

    /// Stores the statement as pgwire does, keeping the parameters the client declared
    /// `vector` so (pgwire knows built-in OIDs only) so that their values are read as
    /// vectors, in text or binary.
    async fn on_parse<C>(&self, client: &mut C, message: Parse) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Self::Statement>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let mut statement = StoredStatement::parse(client, &message, self.query_parser()).await?;
        for (declared, oid) in statement.parameter_types.iter_mut().zip(&message.type_oids) {
            if *oid == pgvector::VECTOR_OID {
                *declared = Some(pgvector::vector_type());
            }
        }
        client.portal_store().put_statement(Arc::new(statement));
        client
            .send(PgWireBackendMessage::ParseComplete(ParseComplete::new()))
            .await?;
        Ok(())
    }

    /// Runs a portal; one that finishes is logged with its duration if the session's
    /// `log_min_duration_statement` asks for it.
    async fn on_execute<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
    where
        C: ClientInfo + ClientPortalStore + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::PortalStore: PortalStore<Statement = Prepared>,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        let started = Instant::now();
        let portal = message.name.as_deref().unwrap_or(DEFAULT_NAME);
        let portal = client.portal_store().get_portal(portal);
        self.execute_portal(client, message).await?;
        if let Some(portal) = portal {
            self.connection.statement_finished(started.elapsed(), || {
                let name = match portal.statement.id.as_str() {
                    DEFAULT_NAME => "<unnamed>",
                    name => name,
                };
                let statement = portal.statement.statement.statement.as_ref();
                let text = statement.map(|s| s.ast.to_string()).unwrap_or_default();
                format!("execute {name}: {text}")
            });
        }
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
            let name = message.name.as_deref().unwrap_or(DEFAULT_NAME);
            // A cursor is a portal in PostgreSQL: psycopg describes one it declared.
            if client.portal_store().get_portal(name).is_none()
                && let Some(columns) = self.session().ok().and_then(|s| s.cursor_columns(name))
            {
                let fields = encode::fields(&encode::wire_schema(&columns), &Format::UnifiedText)?;
                return send_describe_response(client, &DescribePortalResponse::new(fields)).await;
            }
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
        if portal.statement.statement.statement.is_none() {
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

impl QueryHandler {
    /// Runs a portal without a row limit as a stream straight to the client: pgwire's
    /// own path would hold every row of the portal in memory before sending the first.
    async fn execute_portal<C>(&self, client: &mut C, message: Execute) -> PgWireResult<()>
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
            && rolls_back_to_savepoint(portal.statement.statement.statement.as_ref())
        {
            status = TransactionStatus::Transaction;
        }
        client.set_state(PgWireConnectionState::QueryInProgress);
        let response = ExtendedQueryHandler::do_query(self, client, portal.as_ref(), 0).await?;
        match &response {
            Response::Query(_) => *portal.state().lock().await = PortalExecutionState::Finished,
            Response::TransactionEnd(_) => {
                client.portal_store().rm_portal(DEFAULT_NAME);
            }
            _ => {}
        }
        let copying = matches!(response, Response::CopyIn(_));
        send_response(client, response, &mut status, false).await?;
        client.set_transaction_status(status);
        // After a CopyIn, the client's rows, then CopyDone and Sync (pgwire's loop).
        client.set_state(match copying {
            true => PgWireConnectionState::CopyInProgress(true),
            false => PgWireConnectionState::ReadyForQuery,
        });
        Ok(())
    }
}
