//! One client connection from TLS negotiation to its end. This is pgwire's
//! `process_socket`, built from the parts pgwire exports, with what it lacks: every frame
//! is checked before pgwire decodes it ([`StrictFrames`]), a malformed one is answered
//! with PostgreSQL's FATAL error, a client over the connection limit is refused, and a
//! FATAL error ends the connection rather than leaving it open for more messages.

use std::io;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use pgwire::api::copy::CopyHandler;
use pgwire::api::{ClientInfo, ErrorHandler, PgWireConnectionState, PgWireServerHandlers};
use pgwire::error::{ErrorInfo, PgWireError};
use pgwire::messages::response::ReadyForQuery;
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use pgwire::tokio::TlsAcceptor;
use pgwire::tokio::server::{
    MaybeTls, PgWireMessageServerCodec, negotiate_tls, process_error, process_message,
};
use tokio::net::TcpStream;
use tokio_util::codec::{Framed, FramedParts};

use super::admission::{Ticket, too_many_clients};
use super::frames::StrictFrames;
use super::send_stall::SendStall;
use super::violation::ProtocolViolation;
use crate::server_log::SessionLog;

type StrictConnection<S> = Framed<StrictFrames<SendStall<MaybeTls>>, PgWireMessageServerCodec<S>>;

/// How long an authenticated connection may wait for its next message, and the FATAL
/// error that ends it after that (PostgreSQL's idle timeouts).
pub struct IdleLimit {
    pub after: Duration,
    pub code: &'static str,
    pub message: &'static str,
}

/// What bounds a connection's waits for its client.
pub struct Deadlines<I: Fn() -> Option<IdleLimit>> {
    /// From connecting to being authenticated (PostgreSQL's `authentication_timeout`).
    pub authentication: Duration,
    /// Asked before each wait for a message once authenticated.
    pub idle: I,
    /// How long a write may wait for the client to take a byte (`None`: for ever).
    pub send: Option<Duration>,
}

/// Serves `socket` until the client leaves, breaks the protocol, stays idle past its
/// limit or fails for good. `ticket` says whether it was admitted under the connection
/// limit; it is held for as long as the connection is open. Its start, its end and the
/// errors sent to the client go to the server log (`log`).
pub async fn serve_socket<H: PgWireServerHandlers, I: Fn() -> Option<IdleLimit>>(
    socket: TcpStream,
    tls: Option<TlsAcceptor>,
    handlers: H,
    ticket: Ticket,
    deadlines: Deadlines<I>,
    log: &SessionLog,
) -> io::Result<()> {
    log.received();
    let served = serve(socket, tls, handlers, ticket, deadlines, log).await;
    log.ended();
    served
}

async fn serve<H: PgWireServerHandlers, I: Fn() -> Option<IdleLimit>>(
    socket: TcpStream,
    tls: Option<TlsAcceptor>,
    handlers: H,
    ticket: Ticket,
    deadlines: Deadlines<I>,
    log: &SessionLog,
) -> io::Result<()> {
    let authentication_timeout = deadlines.authentication;
    // From connecting to being authenticated, as PostgreSQL's authentication_timeout: a
    // client that stops half-way must not hold its place for ever.
    let startup_deadline = tokio::time::sleep(authentication_timeout);
    tokio::pin!(startup_deadline);
    let negotiated = tokio::select! {
        _ = &mut startup_deadline => return Ok(()),
        negotiated = negotiate_tls(socket, tls) => negotiated?,
    };
    // A direct TLS handshake while no certificate is configured: nothing to answer with.
    let Some(negotiated) = negotiated else {
        return Ok(());
    };
    let mut socket = strict(negotiated, deadlines.send);

    let startup_handler = handlers.startup_handler();
    let simple_query_handler = handlers.simple_query_handler();
    let extended_query_handler = handlers.extended_query_handler();
    let copy_handler = handlers.copy_handler();
    let cancel_handler = handlers.cancel_handler();
    let error_handler = handlers.error_handler();
    loop {
        let authenticating = matches!(
            socket.state(),
            PgWireConnectionState::AwaitingStartup
                | PgWireConnectionState::AuthenticationInProgress
        );
        let next = if authenticating {
            tokio::select! {
                _ = &mut startup_deadline => return Ok(()),
                next = socket.next() => next,
            }
        } else if let Some(idle) = (deadlines.idle)() {
            tokio::select! {
                _ = tokio::time::sleep(idle.after) => {
                    let error = ErrorInfo::new(
                        "FATAL".to_string(),
                        idle.code.to_string(),
                        idle.message.to_string(),
                    );
                    return refuse(&mut socket, error, log).await;
                }
                next = socket.next() => next,
            }
        } else {
            socket.next().await
        };
        let message = match next {
            Some(Ok(message)) => message,
            Some(Err(error)) => {
                return match answer_to_read_error(&error) {
                    Some(answer) => refuse(&mut socket, answer, log).await,
                    None => Ok(()),
                };
            }
            None => return Ok(()),
        };
        let ends_connection = match &message {
            // The client is leaving; some (asyncpg) wait for the server to close first.
            PgWireFrontendMessage::Terminate(_) => return Ok(()),
            PgWireFrontendMessage::Startup(_) if !ticket.is_admitted() => {
                return refuse(&mut socket, too_many_clients(), log).await;
            }
            // A cancel request has a connection of its own, closed once it is carried out.
            PgWireFrontendMessage::CancelRequest(_) => true,
            _ => false,
        };
        // pgwire answers a simple query's CopyDone with ReadyForQuery "idle" even inside
        // a transaction, and after an extended one's leaves the connection deaf to the
        // Sync that follows; the copy ends here instead.
        let message = match (socket.state(), message) {
            (
                PgWireConnectionState::CopyInProgress(extended),
                PgWireFrontendMessage::CopyDone(done),
            ) => {
                let finished = copy_handler.on_copy_done(&mut socket, done).await;
                socket.set_state(PgWireConnectionState::ReadyForQuery);
                match finished {
                    // The extended protocol's Sync brings the ReadyForQuery.
                    Ok(()) if extended => {}
                    Ok(()) => {
                        let status = socket.transaction_status();
                        socket
                            .send(PgWireBackendMessage::ReadyForQuery(ReadyForQuery::new(
                                status,
                            )))
                            .await?;
                    }
                    Err(error) => {
                        let error = ErrorInfo::from(error);
                        log.error(&error.severity, &error.code, &error.message);
                        let error = PgWireError::UserError(Box::new(error));
                        process_error(&mut socket, error, extended).await?;
                    }
                }
                continue;
            }
            (_, message) => message,
        };
        let is_extended_query = match socket.state() {
            PgWireConnectionState::CopyInProgress(is_extended_query) => is_extended_query,
            _ => message.is_extended_query(),
        };
        if let Err(mut error) = process_message(
            message,
            &mut socket,
            startup_handler.clone(),
            simple_query_handler.clone(),
            extended_query_handler.clone(),
            copy_handler.clone(),
            cancel_handler.clone(),
        )
        .await
        {
            error_handler.on_error(&socket, &mut error);
            let error = ErrorInfo::from(error);
            log.error(&error.severity, &error.code, &error.message);
            let fatal = error.is_fatal();
            process_error(
                &mut socket,
                PgWireError::UserError(Box::new(error)),
                is_extended_query,
            )
            .await?;
            // pgwire closes only the sending side after a FATAL error and goes on
            // reading; after a failed authentication nothing more may be served.
            if fatal {
                return Ok(());
            }
        }
        if ends_connection {
            return Ok(());
        }
    }
}

/// The negotiated connection with its reader behind [`StrictFrames`]. What pgwire read
/// ahead while it looked for an SSL request moves into the checked stream, so no byte
/// reaches the decoder unchecked, except after a TLS handshake: bytes that arrived in the
/// clear behind an SSL request would pass as sent over TLS (CVE-2021-23214 in
/// PostgreSQL), so they end the connection.
fn strict<S>(
    negotiated: Framed<MaybeTls, PgWireMessageServerCodec<S>>,
    send_limit: Option<Duration>,
) -> StrictConnection<S> {
    let negotiated = negotiated.into_parts();
    let io = match (negotiated.io, negotiated.read_buf) {
        (io @ MaybeTls::Tls(_), read_ahead) if !read_ahead.is_empty() => StrictFrames::refusing(
            SendStall::new(io, send_limit),
            ProtocolViolation::UnencryptedDataAfterSslRequest,
        ),
        (io, read_ahead) => StrictFrames::new(SendStall::new(io, send_limit), read_ahead),
    };
    let mut parts = FramedParts::new(io, negotiated.codec);
    parts.write_buf = negotiated.write_buf;
    Framed::from_parts(parts)
}

/// What the client is told when reading its next message failed: a protocol violation's
/// FATAL error, or none if the connection itself failed (the client is gone).
fn answer_to_read_error(error: &PgWireError) -> Option<ErrorInfo> {
    match error {
        PgWireError::IoError(io_error) => {
            ProtocolViolation::of_io_error(io_error).map(ProtocolViolation::error_info)
        }
        // pgwire's decoder refused a frame that passed our checks.
        other => Some(ErrorInfo::new(
            "FATAL".to_string(),
            "08P01".to_string(),
            other.to_string(),
        )),
    }
}

/// Sends `error` and closes the connection.
async fn refuse<S>(
    socket: &mut StrictConnection<S>,
    error: ErrorInfo,
    log: &SessionLog,
) -> io::Result<()> {
    log.error(&error.severity, &error.code, &error.message);
    socket
        .send(PgWireBackendMessage::ErrorResponse(error.into()))
        .await?;
    socket.close().await
}
