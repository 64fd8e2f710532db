//! Sending a `COPY ... TO STDOUT` to the client. pgwire's sender counts every data
//! message as a row, so a CSV header made `COPY 201` of 200 rows; here the messages
//! before [`end_of_header`] are not counted, nor a binary copy's trailer, and the tag
//! counts rows, as PostgreSQL's.

use std::fmt::Debug;

use bytes::Bytes;
use futures::{Sink, SinkExt, StreamExt};
use pgwire::api::results::{CopyResponse, Tag};
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::PgWireBackendMessage;
use pgwire::messages::copy::{CopyData, CopyDone, CopyFail, CopyOutResponse};

/// The empty message that follows a header in a copy's data stream; it is not sent.
pub fn end_of_header() -> CopyData {
    CopyData::new(Bytes::new())
}

/// Sends `copy`'s data, then `COPY n` with `n` its rows.
pub async fn send_copy_out<C>(client: &mut C, copy: CopyResponse) -> PgWireResult<()>
where
    C: Sink<PgWireBackendMessage> + Unpin,
    C::Error: Debug,
    PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
{
    let column_formats = copy.column_formats();
    // A binary copy ends with a message holding its trailer (and the header, without rows).
    let trailer_message = copy.format == 1;
    let CopyResponse {
        format,
        columns,
        mut data_stream,
        ..
    } = copy;
    client
        .send(PgWireBackendMessage::CopyOutResponse(CopyOutResponse::new(
            format,
            columns as i16,
            column_formats,
        )))
        .await?;
    let mut messages: usize = 0;
    while let Some(data) = data_stream.next().await {
        match data {
            Ok(data) if data.data.is_empty() => messages = 0,
            Ok(data) => {
                messages += 1;
                client.feed(PgWireBackendMessage::CopyData(data)).await?;
            }
            Err(e) => {
                client
                    .send(PgWireBackendMessage::CopyFail(CopyFail::new(e.to_string())))
                    .await?;
                return Err(e);
            }
        }
    }
    client
        .send(PgWireBackendMessage::CopyDone(CopyDone::new()))
        .await?;
    if trailer_message {
        messages = messages.saturating_sub(1);
    }
    let tag = Tag::new("COPY").with_rows(messages);
    client
        .send(PgWireBackendMessage::CommandComplete(tag.into()))
        .await?;
    Ok(())
}
