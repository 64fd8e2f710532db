//! What a statement gives back before encoding, and its encoding: a pgwire response,
//! rows encoded batch by batch as the client reads them, and the notices and parameter
//! changes sent ahead of it.

use std::fmt::Debug;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use datafusion::execution::SendableRecordBatchStream;
use futures::{Sink, SinkExt, Stream, StreamExt, stream};
use pgwire::api::portal::Format;
use pgwire::api::results::{CopyEncoder, CopyResponse, FieldInfo, QueryResponse, Response, Tag};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::CopyData;
use pgwire::messages::data::DataRow;
use pgwire::messages::response::NoticeResponse;
use pgwire::messages::startup::ParameterStatus;

use omnigraph_sql::SqlError;

use crate::copy::CopyOut;
use crate::encode;
use crate::errors::statement_error;
use crate::handler::QueryHandler;

/// What one statement gives back before encoding.
pub enum Outcome {
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
    Copy(Box<CopyOut>, SchemaRef, SendableRecordBatchStream),
    /// A `COPY ... FROM STDIN` of this many columns, in binary format or text,
    /// waiting for the client's rows.
    CopyIn {
        columns: usize,
        binary: bool,
    },
}

impl QueryHandler {
    /// The response of one outcome; rows in `format`.
    pub(crate) fn response(&self, outcome: Outcome, format: &Format) -> PgWireResult<Response> {
        match outcome {
            Outcome::Command(tag) => Ok(Response::Execution(Tag::new(&tag))),
            Outcome::TransactionStart => Ok(Response::TransactionStart(Tag::new("BEGIN"))),
            Outcome::TransactionEnd(tag) => Ok(Response::TransactionEnd(Tag::new(&tag))),
            Outcome::CopyIn { columns, binary } => Ok(Response::CopyIn(CopyResponse::new(
                i8::from(binary),
                columns,
                futures::stream::empty(),
            ))),
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
                response.set_command_tag(tag_without_count(&tag));
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
                let values = match copy.format.is_binary() {
                    true => Format::UnifiedBinary,
                    false => Format::UnifiedText,
                };
                let fields = Arc::new(encode::fields(&wire, &values)?);
                let names: Vec<String> = wire.fields().iter().map(|f| f.name().clone()).collect();
                let header = copy
                    .format
                    .header(&names)
                    .filter(|_| !copy.format.is_binary())
                    .into_iter()
                    .flat_map(|h| [Ok(CopyData::new(h)), Ok(crate::copy_out::end_of_header())]);
                let format = copy.format.clone();
                let lines = self
                    .row_stream(stream, wire, fields)
                    .map(move |row| row.map(|r| CopyData::new(format.line(&r))));
                if !copy.format.is_binary() {
                    let data = stream::iter(header).chain(lines);
                    return Ok(Response::CopyOut(CopyResponse::new(0, names.len(), data)));
                }
                // PostgreSQL sends the PGCOPY header in one message with the first row (or
                // the trailer), and clients (psycopg) read it so: a header alone is refused.
                let pending = Arc::new(std::sync::Mutex::new(copy.format.header(&names)));
                let rest = pending.clone();
                let rows = lines.map(move |line| {
                    line.map(|l| match take(&pending) {
                        Some(h) => CopyData::new([h, l.data].concat().into()),
                        None => l,
                    })
                });
                let trailer = stream::once(async move {
                    let end = CopyEncoder::finish_copy_binary().data;
                    Ok(CopyData::new(match take(&rest) {
                        Some(h) => [h, end].concat().into(),
                        None => end,
                    }))
                });
                let mut response = CopyResponse::new(1, names.len(), stream::empty());
                response.data_stream = Box::pin(rows.chain(trailer));
                Ok(Response::CopyOut(response))
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
        let session = self.connection().session().ok().cloned();
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
    pub(crate) async fn send_pending_messages<C>(&self, client: &mut C) -> PgWireResult<()>
    where
        C: Sink<PgWireBackendMessage> + Unpin + Send,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        for notice in self.connection().take_notices() {
            let info = ErrorInfo::new("NOTICE".to_string(), "00000".to_string(), notice);
            client
                .feed(PgWireBackendMessage::NoticeResponse(NoticeResponse::from(
                    info,
                )))
                .await?;
        }
        // A `SET` of a parameter PostgreSQL reports (application_name, TimeZone, ...) is
        // followed by its new value, as drivers expect to track it.
        let changed = self.connection().settings().take_changed();
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

/// The binary copy header not sent yet, taken once.
fn take(pending: &std::sync::Mutex<Option<bytes::Bytes>>) -> Option<bytes::Bytes> {
    pending.lock().map(|mut h| h.take()).unwrap_or(None)
}

/// Whether a finished statement with this tag answers with the rows it has: a write
/// has rows only with `RETURNING` (otherwise its count is in the tag only, as in
/// PostgreSQL).
pub(crate) fn returns_rows(tag: &str) -> bool {
    let verb = tag.split(' ').next().unwrap_or_default();
    matches!(
        verb,
        "SELECT"
            | "SHOW"
            | "CALL"
            | "EXPLAIN"
            | "VALUES"
            | "FETCH"
            | "INSERT"
            | "UPDATE"
            | "DELETE"
    )
}

/// A command tag without its row count, which the wire adds back from the rows sent
/// (`INSERT 0 2` is `INSERT 0`, `SELECT 3` is `SELECT`).
fn tag_without_count(tag: &str) -> &str {
    match tag.rsplit_once(' ') {
        Some((name, count)) if count.parse::<u64>().is_ok() => name,
        _ => tag,
    }
}
