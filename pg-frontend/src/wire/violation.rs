//! Protocol violations: bytes no PostgreSQL frontend sends. Each one ends the connection
//! with a FATAL error, because once a frame does not hold what its type and length say,
//! nothing after it on the stream can be trusted to start where a message starts.

use std::io;

use pgwire::error::ErrorInfo;

/// PostgreSQL's SQLSTATE for malformed protocol traffic.
const PROTOCOL_VIOLATION: &str = "08P01";
/// PostgreSQL's SQLSTATE for a protocol version it does not speak.
const FEATURE_NOT_SUPPORTED: &str = "0A000";

/// What was wrong with a client's bytes; the texts are PostgreSQL's where it has one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolViolation {
    #[error("invalid length of startup packet")]
    StartupPacketLength,
    #[error("invalid startup packet layout: expected terminator as last byte")]
    StartupPacketLayout,
    #[error("unsupported frontend protocol {major}.{minor}: server supports 3.0 to 3.2")]
    UnsupportedProtocol { major: u16, minor: u16 },
    #[error("invalid length of cancel request")]
    CancelRequestLength,
    #[error("received unencrypted data after SSL request")]
    UnencryptedDataAfterSslRequest,
    #[error("invalid frontend message type {0}")]
    MessageType(u8),
    #[error("invalid message length")]
    MessageLength,
    #[error("message of type {message_type} is {length} bytes long, at most {limit} are allowed")]
    MessageTooLong {
        message_type: u8,
        length: usize,
        limit: usize,
    },
    #[error("insufficient data left in message")]
    InsufficientData,
    #[error("invalid string in message")]
    InvalidString,
    /// The body goes on after its format ended: the bytes a smuggled message would hide in.
    #[error("invalid message format")]
    TrailingData,
    #[error("invalid count {0} in message")]
    NegativeCount(i16),
    #[error("invalid parameter length {0} in Bind message")]
    ParameterLength(i32),
    #[error("invalid DESCRIBE message subtype {0}")]
    DescribeTarget(u8),
    #[error("invalid CLOSE message subtype {0}")]
    CloseTarget(u8),
    #[error("bind message has {formats} parameter formats but {parameters} parameters")]
    BindFormatCount { formats: usize, parameters: usize },
}

impl ProtocolViolation {
    pub fn sqlstate(&self) -> &'static str {
        match self {
            ProtocolViolation::UnsupportedProtocol { .. } => FEATURE_NOT_SUPPORTED,
            _ => PROTOCOL_VIOLATION,
        }
    }

    /// The FATAL error the client gets before the connection closes.
    pub fn error_info(&self) -> ErrorInfo {
        ErrorInfo::new(
            "FATAL".to_string(),
            self.sqlstate().to_string(),
            self.to_string(),
        )
    }

    /// The violation as the read error of the connection's byte stream, which is how it
    /// reaches the connection loop through pgwire's `Framed`.
    pub fn into_io_error(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }

    /// The violation a read error carries, if it is one.
    pub fn of_io_error(error: &io::Error) -> Option<&ProtocolViolation> {
        error.get_ref()?.downcast_ref::<ProtocolViolation>()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_violation_survives_the_trip_through_an_io_error() {
        let error = ProtocolViolation::TrailingData.into_io_error();
        assert_eq!(
            ProtocolViolation::of_io_error(&error),
            Some(&ProtocolViolation::TrailingData)
        );
        assert_eq!(
            ProtocolViolation::of_io_error(&io::Error::other("reset")),
            None
        );
    }

    #[test]
    fn violations_are_fatal_with_postgres_sqlstates() {
        let info = ProtocolViolation::TrailingData.error_info();
        assert_eq!(info.severity, "FATAL");
        assert_eq!(info.code, "08P01");
        assert_eq!(info.message, "invalid message format");
        let version = ProtocolViolation::UnsupportedProtocol {
            major: 1234,
            minor: 5679,
        };
        assert_eq!(version.sqlstate(), "0A000");
    }
}
