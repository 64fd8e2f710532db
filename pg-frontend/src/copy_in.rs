//! `COPY ... FROM STDIN` on the wire. The statement's hook checks the table and columns
//! and leaves a [`PendingCopy`] on the connection; the server answers CopyInResponse;
//! the client's CopyData messages are gathered here; at CopyDone the rows are read and
//! inserted by the session as one write (`COPY n`), and at CopyFail nothing is written.
//! Over the simple and the extended query protocol alike (the connection's loop ends
//! the copy at CopyDone, see `wire::serve_socket`).

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use futures::Sink;
use omnigraph_sql::copy_from::{CopyFrom, read_rows};
use omnigraph_sql::{ErrorKind, SqlError};
use pgwire::api::ClientInfo;
use pgwire::api::copy::CopyHandler;
use pgwire::api::query::send_execution_response;
use pgwire::api::results::Tag;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail};

use crate::connection::Connection;
use crate::errors::statement_error;

/// A `COPY ... FROM STDIN` waiting for the client's rows.
pub struct PendingCopy {
    pub copy: CopyFrom,
    /// The columns read, in the client's order.
    pub columns: Vec<String>,
    /// What the client sent so far.
    pub data: Vec<u8>,
}

/// The connection's handler of CopyData, CopyDone and CopyFail.
pub struct CopyInHandler {
    pub connection: Arc<Connection>,
}

impl CopyInHandler {
    async fn finish(&self) -> Result<String, SqlError> {
        let pending = self.connection.take_copy_in().ok_or_else(|| {
            SqlError::new(
                ErrorKind::ProtocolViolation,
                "CopyDone without a COPY in progress",
            )
        })?;
        let session = self.connection.session()?;
        let rows = read_rows(
            &pending.copy.format,
            &pending.data,
            pending.copy.table.table(),
            &pending.columns,
        )
        .inspect_err(|_| session.statement_failed())?;
        drop(pending.data);
        Ok(session.copy_from(&pending.copy, rows).await?.tag)
    }
}

#[async_trait]
impl CopyHandler for CopyInHandler {
    async fn on_copy_data<C>(&self, _client: &mut C, copy_data: CopyData) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.connection.copy_in_data(&copy_data.data);
        Ok(())
    }

    async fn on_copy_done<C>(&self, client: &mut C, _done: CopyDone) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match self.finish().await {
            Ok(tag) => send_execution_response(client, Tag::new(&tag)).await,
            Err(e) => Err(statement_error(&e)),
        }
    }

    async fn on_copy_fail<C>(&self, _client: &mut C, fail: CopyFail) -> PgWireError
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        self.connection.take_copy_in();
        self.connection.statement_failed();
        statement_error(&SqlError::new(
            ErrorKind::QueryCanceled,
            format!("COPY from stdin failed: {}", fail.message),
        ))
    }
}
