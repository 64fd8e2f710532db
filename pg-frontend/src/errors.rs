//! Errors as the client sees them: an `ErrorResponse` with the statement's SQLSTATE.

use omnigraph_sql::{ErrorKind, SqlError};
use pgwire::error::{ErrorInfo, PgWireError};

fn info(severity: &str, err: &SqlError) -> ErrorInfo {
    let mut info = ErrorInfo::new(
        severity.to_string(),
        err.sqlstate().to_string(),
        err.message.clone(),
    );
    info.hint = err.hint.clone();
    info.where_context = err.context.clone();
    info
}

/// A statement's error: the statement fails, the connection stays.
pub fn statement_error(err: &SqlError) -> PgWireError {
    PgWireError::UserError(Box::new(info("ERROR", err)))
}

/// An error that ends the connection (at startup).
pub fn fatal(err: &SqlError) -> PgWireError {
    PgWireError::UserError(Box::new(info("FATAL", err)))
}

/// An error that ends the connection, with PostgreSQL's DETAIL line.
pub fn fatal_with_detail(err: &SqlError, detail: Option<String>) -> PgWireError {
    let mut info = info("FATAL", err);
    info.detail = detail;
    PgWireError::UserError(Box::new(info))
}

pub fn canceled(reason: &str) -> SqlError {
    SqlError::new(ErrorKind::QueryCanceled, reason.to_string())
}

pub fn protocol(message: impl Into<String>) -> SqlError {
    SqlError::new(ErrorKind::ProtocolViolation, message)
}
