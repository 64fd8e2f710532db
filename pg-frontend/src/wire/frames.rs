//! The client's byte stream cut into whole, checked frames. pgwire's decoder reads from
//! whatever its buffer holds; behind this adapter that buffer only ever receives frames
//! that passed [`MessageFormat::check`], each once all of its bytes arrived, so the decoder
//! reads every message exactly and nothing else. At the first bad frame the stream stops:
//! the frames before it are still delivered (they are served in order, as PostgreSQL
//! serves them), then reading fails with the [`ProtocolViolation`], which the connection
//! loop answers with a FATAL error before it closes the connection.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use bytes::{Buf, BytesMut};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::message_format::{
    MAX_STARTUP_PACKET, MIN_STARTUP_PACKET, MessageFormat, check_startup_packet,
};
use super::violation::ProtocolViolation;

/// How much is read from the socket at a time (the size of PostgreSQL's receive buffer).
const READ_CHUNK: usize = 8192;
/// A message's type byte and length word.
const MESSAGE_HEADER: usize = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expecting {
    /// The first frame: untyped, a startup packet or a cancel request.
    StartupPacket,
    /// Every later frame: a type byte, then a length that counts itself.
    Message,
}

pub struct StrictFrames<IO> {
    io: IO,
    received: BytesMut,
    /// How many leading bytes of `received` are whole frames that passed their checks.
    checked: usize,
    expecting: Expecting,
    /// What is wrong with the frame after the checked ones: reported once those are read.
    violation: Option<ProtocolViolation>,
    eof: bool,
}

impl<IO> StrictFrames<IO> {
    /// `received`: what was already read from `io` (pgwire's TLS negotiation reads ahead),
    /// checked like everything after it.
    pub fn new(io: IO, received: BytesMut) -> Self {
        let mut frames = StrictFrames {
            io,
            received,
            checked: 0,
            expecting: Expecting::StartupPacket,
            violation: None,
            eof: false,
        };
        frames.check_frames();
        frames
    }

    /// A stream whose first read reports `violation`.
    pub fn refusing(io: IO, violation: ProtocolViolation) -> Self {
        StrictFrames {
            violation: Some(violation),
            ..StrictFrames::new(io, BytesMut::new())
        }
    }

    fn check_frames(&mut self) {
        while self.violation.is_none() {
            match next_frame(self.expecting, &self.received[self.checked..]) {
                Ok(Some(length)) => {
                    self.checked += length;
                    self.expecting = Expecting::Message;
                }
                Ok(None) => break,
                Err(violation) => self.violation = Some(violation),
            }
        }
    }
}

/// The length of the frame at the start of `bytes` if it is whole and well formed, `None`
/// while it is incomplete. A bad type byte or length is reported as soon as it arrives,
/// without waiting for the body it announces.
fn next_frame(expecting: Expecting, bytes: &[u8]) -> Result<Option<usize>, ProtocolViolation> {
    match expecting {
        Expecting::StartupPacket => {
            let Some(length) = length_word(bytes, 0) else {
                return Ok(None);
            };
            let length = usize::try_from(length)
                .ok()
                .filter(|l| (MIN_STARTUP_PACKET..=MAX_STARTUP_PACKET).contains(l))
                .ok_or(ProtocolViolation::StartupPacketLength)?;
            if bytes.len() < length {
                return Ok(None);
            }
            check_startup_packet(&bytes[4..length])?;
            Ok(Some(length))
        }
        Expecting::Message => {
            let Some(&message_type) = bytes.first() else {
                return Ok(None);
            };
            let format = MessageFormat::of(message_type)?;
            let Some(length) = length_word(bytes, 1) else {
                return Ok(None);
            };
            let body = usize::try_from(length)
                .ok()
                .and_then(|l| l.checked_sub(4))
                .ok_or(ProtocolViolation::MessageLength)?;
            if body > format.max_body {
                return Err(ProtocolViolation::MessageTooLong {
                    message_type,
                    length: body,
                    limit: format.max_body,
                });
            }
            let frame = MESSAGE_HEADER + body;
            if bytes.len() < frame {
                return Ok(None);
            }
            format.check(&bytes[MESSAGE_HEADER..frame])?;
            Ok(Some(frame))
        }
    }
}

fn length_word(bytes: &[u8], at: usize) -> Option<i32> {
    let word = bytes.get(at..at + 4)?;
    Some(i32::from_be_bytes(word.try_into().ok()?))
}

impl<IO: AsyncRead + Unpin> StrictFrames<IO> {
    /// Reads the next chunk from the client and checks the frames it completes.
    fn poll_receive(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let start = self.received.len();
        self.received.resize(start + READ_CHUNK, 0);
        let mut chunk = ReadBuf::new(&mut self.received[start..]);
        let result = Pin::new(&mut self.io).poll_read(cx, &mut chunk);
        let filled = chunk.filled().len();
        self.received.truncate(start + filled);
        ready!(result)?;
        if filled == 0 {
            self.eof = true;
        } else {
            self.check_frames();
        }
        Poll::Ready(Ok(()))
    }
}

impl<IO: AsyncRead + Unpin> AsyncRead for StrictFrames<IO> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        loop {
            if this.checked > 0 {
                let n = this.checked.min(buf.remaining());
                buf.put_slice(&this.received[..n]);
                this.received.advance(n);
                this.checked -= n;
                return Poll::Ready(Ok(()));
            }
            if let Some(violation) = &this.violation {
                return Poll::Ready(Err(violation.clone().into_io_error()));
            }
            if this.eof {
                // The client left in the middle of a frame: none of it is served.
                return Poll::Ready(Ok(()));
            }
            ready!(this.poll_receive(cx))?;
        }
    }
}

impl<IO: AsyncWrite + Unpin> AsyncWrite for StrictFrames<IO> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    fn message(message_type: u8, body: &[u8]) -> Vec<u8> {
        let mut frame = vec![message_type];
        frame.extend((body.len() as i32 + 4).to_be_bytes());
        frame.extend(body);
        frame
    }

    fn startup() -> Vec<u8> {
        let body = b"\x00\x03\x00\x00user\0u\0\0";
        let mut packet = (body.len() as i32 + 4).to_be_bytes().to_vec();
        packet.extend(body);
        packet
    }

    /// Everything the stream delivers before it ends or fails.
    async fn read_all(input: Vec<u8>) -> (Vec<u8>, Option<ProtocolViolation>) {
        let mut frames = StrictFrames::new(&input[..], BytesMut::new());
        let mut delivered = Vec::new();
        let mut chunk = [0u8; 3];
        loop {
            match frames.read(&mut chunk).await {
                Ok(0) => return (delivered, None),
                Ok(n) => delivered.extend(&chunk[..n]),
                Err(e) => return (delivered, ProtocolViolation::of_io_error(&e).cloned()),
            }
        }
    }

    #[tokio::test]
    async fn frames_before_a_bad_one_are_delivered_then_the_violation() {
        let good = [startup(), message(b'Q', b"SELECT 1\0")].concat();
        let smuggling = message(
            b'Q',
            &[&b"SELECT 1\0"[..], &message(b'Q', b"SELECT 2\0")].concat(),
        );
        let (delivered, violation) = read_all([good.clone(), smuggling].concat()).await;
        assert_eq!(delivered, good);
        assert_eq!(violation, Some(ProtocolViolation::TrailingData));
    }

    #[tokio::test]
    async fn an_incomplete_frame_is_not_delivered() {
        let whole = [startup(), message(b'S', b"")].concat();
        let partial = message(b'Q', b"SELECT 1\0");
        let input = [whole.clone(), partial[..6].to_vec()].concat();
        assert_eq!(read_all(input).await, (whole, None));
    }

    #[tokio::test]
    async fn lengths_and_types_are_checked_before_the_body_arrives() {
        let bad_length = [startup(), vec![b'Q', 0, 0, 0, 3]].concat();
        assert_eq!(
            read_all(bad_length).await.1,
            Some(ProtocolViolation::MessageLength)
        );
        let too_long = [startup(), vec![b'S', 0, 1, 0, 0]].concat();
        assert!(matches!(
            read_all(too_long).await.1,
            Some(ProtocolViolation::MessageTooLong { .. })
        ));
        let unknown = [startup(), vec![b'F']].concat();
        assert_eq!(
            read_all(unknown).await.1,
            Some(ProtocolViolation::MessageType(b'F'))
        );
        assert_eq!(
            read_all(vec![0, 0, 0, 4]).await.1,
            Some(ProtocolViolation::StartupPacketLength)
        );
    }

    #[tokio::test]
    async fn bytes_read_ahead_are_checked_too() {
        let input = [startup(), message(b'S', b"x")].concat();
        let mut frames = StrictFrames::new(&b""[..], BytesMut::from(&input[..]));
        let mut delivered = Vec::new();
        let error = frames.read_to_end(&mut delivered).await.unwrap_err();
        assert_eq!(delivered, startup());
        assert_eq!(
            ProtocolViolation::of_io_error(&error),
            Some(&ProtocolViolation::TrailingData)
        );
    }
}
