//! Errors as the client sees them: an `ErrorResponse` with the statement's SQLSTATE.

use omnigraph_sql::{ErrorKind, SqlError};
use pgwire::error::{ErrorInfo, PgWireError};

fn info(severity: &str, err: &SqlError) -> ErrorInfo {
    let mut info = ErrorInfo::new(
        severity.to_string(),
        err.sqlstate().to_string(),
        without_nul(&err.message),
    );
    info.hint = err.hint.as_deref().map(without_nul);
    info.where_context = err.context.as_deref().map(without_nul);
    info
}

/// `text` fit for a message field, which ends at its first NUL: a message that quotes a
/// client's value (`invalid input syntax for type vector: "..."`) may hold one.
fn without_nul(text: &str) -> String {
    text.replace('\0', "\\0")
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_nul_in_a_message_is_written_out() {
        let err = SqlError::new(ErrorKind::InvalidValue, "bad value \"a\0b\"");
        let PgWireError::UserError(info) = statement_error(&err) else {
            panic!("a user error");
        };
        assert_eq!(info.message, "bad value \"a\\0b\"");
    }
}
