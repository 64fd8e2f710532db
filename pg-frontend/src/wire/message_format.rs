//! The layout of each frontend message, checked on the raw frame before pgwire decodes it.
//! pgwire's decoders read from the whole receive buffer rather than from within the
//! frame's declared length, do not check that a body is used up, and take counts and
//! lengths on trust (its `get_u16` past the end of the buffer panics). So one frame could
//! hide a second message that would then run, and a short one could kill the connection's
//! task. A body that passes these checks is one pgwire's decoder reads exactly to its end.

use super::body_reader::BodyReader;
use super::violation::ProtocolViolation;

/// The longest startup packet, its length word included (PostgreSQL's
/// MAX_STARTUP_PACKET_LENGTH, and pgwire's own limit).
pub const MAX_STARTUP_PACKET: usize = 10_000;
/// The shortest startup packet: its length word and protocol version (or request code).
pub const MIN_STARTUP_PACKET: usize = 8;
/// The request code of a CancelRequest, in place of a startup packet's protocol version.
pub const CANCEL_REQUEST_CODE: i32 = 80_877_102;
/// A cancel request's secret key: 4 bytes, up to 256 since protocol 3.2.
const CANCEL_KEY_LENGTHS: std::ops::RangeInclusive<usize> = 4..=256;

/// The largest body of Query, Parse, Bind and CopyData, the messages that carry statements
/// and values. PostgreSQL allows 1 GB; a quarter of that is far above any statement or
/// value a client sends in one message (drivers send COPY data in small chunks), and it
/// bounds what one connection can make the server hold: a frame is buffered whole, here
/// and again in pgwire's decoder.
pub const MAX_LARGE_BODY: usize = 256 << 20;
/// The largest body of every other message, which holds a few names and numbers
/// (PostgreSQL's PQ_SMALL_MESSAGE_LIMIT, and pgwire's limit for authentication messages).
pub const MAX_SMALL_BODY: usize = 10_000;

/// One frontend message type: its type byte, its largest body and its layout.
pub struct MessageFormat {
    pub message_type: u8,
    pub max_body: usize,
    /// Reads the body's fields; what is left afterwards is a violation.
    fields: fn(&mut BodyReader) -> Result<(), ProtocolViolation>,
}

/// Every message type pgwire decodes on a started connection; any other type byte ends
/// the connection, as in PostgreSQL.
pub const FRONTEND_MESSAGES: &[MessageFormat] = &[
    large(b'Q', cstring),
    large(b'P', parse),
    large(b'B', bind),
    large(b'd', anything),
    small(b'E', execute),
    small(b'D', describe),
    small(b'C', close),
    small(b'S', nothing),
    small(b'H', nothing),
    small(b'X', nothing),
    small(b'c', nothing),
    small(b'f', cstring),
    // Password, SASLInitialResponse and SASLResponse: which one it is depends on the
    // authentication's state, so their contents are for the authentication code to read
    // (pgwire cuts them out of the frame by its length).
    small(b'p', anything),
];

const fn large(
    message_type: u8,
    fields: fn(&mut BodyReader) -> Result<(), ProtocolViolation>,
) -> MessageFormat {
    MessageFormat {
        message_type,
        max_body: MAX_LARGE_BODY,
        fields,
    }
}

const fn small(
    message_type: u8,
    fields: fn(&mut BodyReader) -> Result<(), ProtocolViolation>,
) -> MessageFormat {
    MessageFormat {
        message_type,
        max_body: MAX_SMALL_BODY,
        fields,
    }
}

impl MessageFormat {
    pub fn of(message_type: u8) -> Result<&'static MessageFormat, ProtocolViolation> {
        FRONTEND_MESSAGES
            .iter()
            .find(|f| f.message_type == message_type)
            .ok_or(ProtocolViolation::MessageType(message_type))
    }

    /// `body` holds exactly one message of this type.
    pub fn check(&self, body: &[u8]) -> Result<(), ProtocolViolation> {
        let mut reader = BodyReader::new(body);
        (self.fields)(&mut reader)?;
        reader.end()
    }
}

fn nothing(_: &mut BodyReader) -> Result<(), ProtocolViolation> {
    Ok(())
}

fn anything(body: &mut BodyReader) -> Result<(), ProtocolViolation> {
    body.skip_rest();
    Ok(())
}

fn cstring(body: &mut BodyReader) -> Result<(), ProtocolViolation> {
    body.cstring().map(|_| ())
}

fn parse(body: &mut BodyReader) -> Result<(), ProtocolViolation> {
    body.cstring()?; // statement name
    body.cstring()?; // query
    let parameter_types = body.count()?;
    body.skip(parameter_types * 4)
}

fn bind(body: &mut BodyReader) -> Result<(), ProtocolViolation> {
    body.cstring()?; // portal
    body.cstring()?; // statement
    let formats = body.count()?;
    body.skip(formats * 2)?;
    let parameters = body.count()?;
    for _ in 0..parameters {
        match body.i32()? {
            -1 => {} // NULL
            length if length < 0 => return Err(ProtocolViolation::ParameterLength(length)),
            length => body.skip(length as usize)?,
        }
    }
    let result_formats = body.count()?;
    body.skip(result_formats * 2)?;
    // No formats means all text and one means the same for all; otherwise pgwire looks up
    // each parameter's own, past the end of the list if it is short.
    if formats > 1 && formats != parameters {
        return Err(ProtocolViolation::BindFormatCount {
            formats,
            parameters,
        });
    }
    Ok(())
}

fn execute(body: &mut BodyReader) -> Result<(), ProtocolViolation> {
    body.cstring()?; // portal
    body.i32()?; // row limit
    Ok(())
}

fn describe(body: &mut BodyReader) -> Result<(), ProtocolViolation> {
    match body.byte()? {
        b'S' | b'P' => cstring(body),
        other => Err(ProtocolViolation::DescribeTarget(other)),
    }
}

fn close(body: &mut BodyReader) -> Result<(), ProtocolViolation> {
    match body.byte()? {
        b'S' | b'P' => cstring(body),
        other => Err(ProtocolViolation::CloseTarget(other)),
    }
}

/// `body`: a startup packet or cancel request after its length word. A startup packet is
/// the protocol version and name/value pairs of strings ended by an empty name, which
/// must be its last byte (pgwire reads pairs until an empty name, wherever that is).
pub fn check_startup_packet(body: &[u8]) -> Result<(), ProtocolViolation> {
    let mut reader = BodyReader::new(body);
    let code = reader
        .i32()
        .map_err(|_| ProtocolViolation::StartupPacketLength)?;
    if code == CANCEL_REQUEST_CODE {
        // The process id, then the secret key: the rest.
        let key = body.len().saturating_sub(8);
        if body.len() < 8 || !CANCEL_KEY_LENGTHS.contains(&key) {
            return Err(ProtocolViolation::CancelRequestLength);
        }
        return Ok(());
    }
    let (major, minor) = ((code >> 16) as u16, code as u16);
    if major != 3 {
        return Err(ProtocolViolation::UnsupportedProtocol { major, minor });
    }
    let layout = |_| ProtocolViolation::StartupPacketLayout;
    loop {
        let name = reader.cstring().map_err(layout)?;
        if name.is_empty() {
            break;
        }
        reader.cstring().map_err(layout)?;
    }
    reader.end().map_err(layout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(message_type: u8, body: &[u8]) -> Result<(), ProtocolViolation> {
        MessageFormat::of(message_type)?.check(body)
    }

    #[test]
    fn well_formed_messages_pass() {
        assert_eq!(check(b'Q', b"SELECT 1\0"), Ok(()));
        assert_eq!(check(b'Q', b"\0"), Ok(()));
        assert_eq!(
            check(b'P', b"s\0SELECT $1\0\x00\x01\x00\x00\x00\x17"),
            Ok(())
        );
        let bind = b"\0s\0\x00\x01\x00\x01\x00\x02\x00\x00\x00\x01x\xff\xff\xff\xff\x00\x00";
        assert_eq!(check(b'B', bind), Ok(()));
        assert_eq!(check(b'E', b"\0\x00\x00\x00\x00"), Ok(()));
        assert_eq!(check(b'D', b"Ps\0"), Ok(()));
        assert_eq!(check(b'C', b"S\0"), Ok(()));
        assert_eq!(check(b'S', b""), Ok(()));
        assert_eq!(check(b'd', b"any\0thing"), Ok(()));
        assert_eq!(check(b'p', b"whatever"), Ok(()));
    }

    #[test]
    fn a_second_message_inside_a_query_is_refused() {
        assert_eq!(
            check(b'Q', b"SELECT 1\0Q\x00\x00\x00\x0dSELECT 2\0"),
            Err(ProtocolViolation::TrailingData)
        );
        assert_eq!(
            check(b'Q', b"SELECT 1"),
            Err(ProtocolViolation::InvalidString)
        );
    }

    #[test]
    fn counts_and_lengths_must_fit_the_body() {
        // Two parameter types declared, one sent.
        assert_eq!(
            check(b'P', b"\0SELECT $1\0\x00\x02\x00\x00\x00\x17"),
            Err(ProtocolViolation::InsufficientData)
        );
        assert_eq!(
            check(b'P', b"\0SELECT 1\0\xff\xff"),
            Err(ProtocolViolation::NegativeCount(-1))
        );
        // A parameter of 100 bytes with 1 sent.
        assert_eq!(
            check(b'B', b"\0\0\x00\x00\x00\x01\x00\x00\x00\x64x"),
            Err(ProtocolViolation::InsufficientData)
        );
        assert_eq!(
            check(b'B', b"\0\0\x00\x00\x00\x01\xff\xff\xff\xfe\x00\x00"),
            Err(ProtocolViolation::ParameterLength(-2))
        );
        assert_eq!(
            check(b'B', b"\0\0\x00\x02\x00\x00\x00\x01\x00\x00\x00\x00"),
            Err(ProtocolViolation::BindFormatCount {
                formats: 2,
                parameters: 0
            })
        );
        assert_eq!(
            check(b'E', b"\0\x00\x00"),
            Err(ProtocolViolation::InsufficientData)
        );
        assert_eq!(
            check(b'D', b"X\0"),
            Err(ProtocolViolation::DescribeTarget(b'X'))
        );
        assert_eq!(check(b'C', b""), Err(ProtocolViolation::InsufficientData));
        assert_eq!(check(b'S', b"x"), Err(ProtocolViolation::TrailingData));
        assert_eq!(check(b'F', b""), Err(ProtocolViolation::MessageType(b'F')));
    }

    #[test]
    fn startup_packets_end_with_their_terminator() {
        assert_eq!(
            check_startup_packet(b"\x00\x03\x00\x00user\0u\0database\0d\0\0"),
            Ok(())
        );
        assert_eq!(
            check_startup_packet(b"\x00\x03\x00\x00user\0u\0"),
            Err(ProtocolViolation::StartupPacketLayout)
        );
        assert_eq!(
            check_startup_packet(b"\x00\x03\x00\x00user\0u\0\0Q\x00\x00\x00\x04"),
            Err(ProtocolViolation::StartupPacketLayout)
        );
        assert_eq!(
            check_startup_packet(b"\x04\xd2\x16\x2f"),
            Err(ProtocolViolation::UnsupportedProtocol {
                major: 1234,
                minor: 5679
            })
        );
        let cancel = |key: usize| {
            let mut body = CANCEL_REQUEST_CODE.to_be_bytes().to_vec();
            body.extend([0, 0, 0, 7]);
            body.extend(vec![1; key]);
            check_startup_packet(&body)
        };
        assert_eq!(cancel(4), Ok(()));
        assert_eq!(cancel(256), Ok(()));
        assert_eq!(cancel(0), Err(ProtocolViolation::CancelRequestLength));
        assert_eq!(cancel(257), Err(ProtocolViolation::CancelRequestLength));
    }
}
