//! `COPY ... FROM STDIN` on the wire. The statement's hook checks the table and columns
//! and leaves a [`PendingCopy`] on the connection; the server answers CopyInResponse;
//! the client's CopyData messages are gathered here; at CopyDone the rows are read and
//! inserted by the session as one write (`COPY n`), and at CopyFail nothing is written.
//! Over the simple and the extended query protocol alike (the connection's loop ends
//! the copy at CopyDone, see `wire::serve_socket`).

use std::fmt::Debug;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::execution::memory_pool::{MemoryConsumer, MemoryPool, MemoryReservation};
use futures::Sink;
use omnigraph_sql::copy_from::{CopyFrom, read_rows};
use omnigraph_sql::{ErrorKind, Session, SqlError};
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
    copy: CopyFrom,
    /// The columns read, in the client's order.
    columns: Vec<String>,
    /// What the client sent so far, held against the session's memory limits.
    data: Vec<u8>,
    reservation: MemoryReservation,
    /// Why the data was dropped (past a memory limit), reported at CopyDone.
    refused: Option<SqlError>,
}

impl PendingCopy {
    pub fn new(copy: CopyFrom, columns: Vec<String>, session: &Session) -> PendingCopy {
        let pool: Arc<dyn MemoryPool> = session.memory().clone();
        PendingCopy {
            copy,
            columns,
            data: Vec::new(),
            reservation: MemoryConsumer::new("COPY FROM STDIN").register(&pool),
            refused: None,
        }
    }

    pub fn columns(&self) -> usize {
        self.columns.len()
    }

    /// Adds `bytes` the client sent; past the session's memory limit (or the server's)
    /// the data is dropped and the `COPY` fails at its end with 53200.
    pub fn add(&mut self, bytes: &[u8]) {
        if self.refused.is_some() {
            return;
        }
        match self.reservation.try_grow(bytes.len()) {
            Ok(()) => self.data.extend_from_slice(bytes),
            Err(e) => {
                self.refused = Some(SqlError::from(e));
                self.data = Vec::new();
                self.reservation.free();
            }
        }
    }
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
        if let Some(refused) = pending.refused {
            session.statement_failed();
            return Err(refused);
        }
        let rows = read_rows(
            &pending.copy.format,
            &pending.data,
            pending.copy.table.table(),
            &pending.columns,
        )
        .inspect_err(|_| session.statement_failed())?;
        drop((pending.data, pending.reservation));
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
