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
use omnigraph_sql::copy_from::{CopyFrom, CopyWriter};
use omnigraph_sql::{ErrorKind, Session, SqlError, StatementResult};
use pgwire::api::ClientInfo;
use pgwire::api::copy::CopyHandler;
use pgwire::api::query::send_execution_response;
use pgwire::api::results::Tag;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail};
use tokio::task::JoinHandle;

use crate::connection::Connection;
use crate::errors::statement_error;

/// A `COPY ... FROM STDIN` taking the client's rows: they stream into the copy's write,
/// which runs as its own task from the statement on and commits at CopyDone.
pub struct PendingCopy {
    writer: CopyWriter,
    write: JoinHandle<Result<StatementResult, SqlError>>,
    /// The part of a record still waiting for its end, held against the session's
    /// memory limits (a record is read whole before its rows move on).
    reservation: MemoryReservation,
}

impl PendingCopy {
    /// Starts `copy`'s write; fails as the `COPY` would for an unknown table or column.
    pub async fn start(copy: &CopyFrom, session: &Arc<Session>) -> Result<PendingCopy, SqlError> {
        let (writer, write) = session.start_copy(copy).await?;
        let pool: Arc<dyn MemoryPool> = session.memory().clone();
        let reservation = MemoryConsumer::new("COPY FROM STDIN").register(&pool);
        let session = session.clone();
        let write = tokio::spawn(async move { session.run_copy(write).await });
        Ok(PendingCopy {
            writer,
            write,
            reservation,
        })
    }

    pub fn columns(&self) -> usize {
        self.writer.columns()
    }

    /// Reads `bytes` the client sent; a record longer than the session's memory limit
    /// (or the server's) fails the `COPY` with 53200.
    pub async fn add(&mut self, bytes: &[u8]) {
        self.writer.write(bytes).await;
        if let Err(e) = self.reservation.try_resize(self.writer.pending_bytes()) {
            self.writer.abandon(SqlError::from(e)).await;
        }
    }

    /// Ends the data and waits for the write: `COPY n`, or why nothing was written.
    async fn finish(mut self) -> Result<String, SqlError> {
        self.writer.end().await;
        let written = match self.write.await {
            Ok(result) => result,
            Err(e) => Err(SqlError::new(
                ErrorKind::Internal,
                format!("the COPY's write stopped: {e}"),
            )),
        };
        Ok(self.writer.outcome(written)?.tag)
    }

    /// Stops the copy for `why`; nothing is written.
    async fn abandon(mut self, why: SqlError) {
        self.writer.abandon(why).await;
        let _ = self.write.await;
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
        pending.finish().await
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
        if let Some(mut pending) = self.connection.take_copy_in() {
            pending.add(&copy_data.data).await;
            self.connection.start_copy_in(pending);
        }
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
        let why = SqlError::new(
            ErrorKind::QueryCanceled,
            format!("COPY from stdin failed: {}", fail.message),
        );
        if let Some(pending) = self.connection.take_copy_in() {
            pending.abandon(why.clone()).await;
        }
        self.connection.statement_failed();
        statement_error(&why)
    }
}
