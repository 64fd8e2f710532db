//! `COPY ... TO STDOUT`: the copied query runs in the SQL session (so the role it needs
//! is checked from its plan like any query's), and its rows stream out as COPY lines.
//! `COPY ... FROM STDIN`: the table and columns are checked, then the client's rows are
//! awaited ([`crate::copy_in`]); their insert is planned and checked as a write.

use std::sync::Arc;

use arrow::datatypes::Schema;
use async_trait::async_trait;
use datafusion::scalar::ScalarValue;
use datafusion_omnigraph::Role;
use omnigraph_sql::{
    Description, ErrorKind, ParsedStatement, SqlError, StatementKind, StatementOutput,
};

use super::StatementHook;
use crate::connection::Connection;
use crate::copy::copy_out;
use crate::copy_in::PendingCopy;
use crate::execution;
use crate::outcome::Outcome;
use omnigraph_sql::copy_from::{CopyFrom, CopyFromSource, CopyInFormat};

pub struct CopyToClient;

pub struct CopyFromClient;

#[async_trait]
impl StatementHook for CopyFromClient {
    fn describe(
        &self,
        _connection: &Connection,
        statement: &ParsedStatement,
    ) -> Option<Description> {
        copy_from(statement).map(|_| (vec![], Arc::new(Schema::empty())))
    }

    async fn run(
        &self,
        connection: &Connection,
        statement: &ParsedStatement,
        _params: &[ScalarValue],
    ) -> Option<Result<Outcome, SqlError>> {
        let copy = copy_from(statement)?;
        Some(
            async {
                let copy = copy?;
                let session = connection.session()?;
                let pending = PendingCopy::start(&copy, session).await?;
                let outcome = Outcome::CopyIn {
                    columns: pending.columns(),
                    binary: copy.format == CopyInFormat::Binary,
                };
                connection.start_copy_in(pending);
                Ok(outcome)
            }
            .await,
        )
    }
}

/// A `COPY ... FROM STDIN` (a `COPY ... FROM 'file'` is the session's).
fn copy_from(statement: &ParsedStatement) -> Option<Result<CopyFrom, SqlError>> {
    match &statement.kind {
        StatementKind::Copy(copy) => CopyFrom::of(copy).filter(|from| {
            from.as_ref()
                .map_or(true, |f| f.source == CopyFromSource::Client)
        }),
        _ => None,
    }
}

#[async_trait]
impl StatementHook for CopyToClient {
    fn describe(
        &self,
        _connection: &Connection,
        statement: &ParsedStatement,
    ) -> Option<Description> {
        copy_out(statement).map(|_| (vec![], Arc::new(Schema::empty())))
    }

    async fn run(
        &self,
        connection: &Connection,
        statement: &ParsedStatement,
        _params: &[ScalarValue],
    ) -> Option<Result<Outcome, SqlError>> {
        let copy = copy_out(statement)?;
        Some(
            async {
                // Reading the server's files is an admin's, as PostgreSQL's
                // pg_read_server_files, and is refused before anything else.
                if let StatementKind::Copy(parsed) = &statement.kind
                    && parsed.touches_server_files()
                {
                    connection.session()?.require_role(Role::Admin)?;
                }
                run(connection, copy?).await
            }
            .await,
        )
    }
}

async fn run(connection: &Connection, copy: crate::copy::CopyOut) -> Result<Outcome, SqlError> {
    let session = connection.session()?.clone();
    let mut stop = connection.stop();
    let query = copy.query.clone();
    let output = tokio::select! {
        output = execution::run_statement(session, query, vec![]) => output?,
        reason = stop.wait() => return Err(reason),
    };
    match output {
        StatementOutput::Rows(rows) => Ok(Outcome::Copy(Box::new(copy), rows.schema, rows.stream)),
        StatementOutput::Done(_) => Err(SqlError::new(
            ErrorKind::NotSupported,
            "COPY takes a query that returns rows",
        )),
    }
}
