//! A cursor over one message body that never reads past the body's end: every field of a
//! frontend message is read through it when the message is checked.

use super::violation::ProtocolViolation;

pub struct BodyReader<'a> {
    rest: &'a [u8],
}

impl<'a> BodyReader<'a> {
    pub fn new(body: &'a [u8]) -> Self {
        BodyReader { rest: body }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], ProtocolViolation> {
        if n > self.rest.len() {
            return Err(ProtocolViolation::InsufficientData);
        }
        let (taken, rest) = self.rest.split_at(n);
        self.rest = rest;
        Ok(taken)
    }

    /// A NUL-terminated string, without its NUL.
    pub fn cstring(&mut self) -> Result<&'a [u8], ProtocolViolation> {
        let end = self
            .rest
            .iter()
            .position(|b| *b == 0)
            .ok_or(ProtocolViolation::InvalidString)?;
        let string = &self.rest[..end];
        self.rest = &self.rest[end + 1..];
        Ok(string)
    }

    pub fn byte(&mut self) -> Result<u8, ProtocolViolation> {
        Ok(self.take(1)?[0])
    }

    pub fn i16(&mut self) -> Result<i16, ProtocolViolation> {
        let bytes = self.take(2)?;
        Ok(i16::from_be_bytes([bytes[0], bytes[1]]))
    }

    pub fn i32(&mut self) -> Result<i32, ProtocolViolation> {
        let bytes = self.take(4)?;
        Ok(i32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]))
    }

    /// An Int16 count of the items that follow; pgwire reads counts unsigned, so a
    /// negative one would make it read far past the message.
    pub fn count(&mut self) -> Result<usize, ProtocolViolation> {
        let count = self.i16()?;
        usize::try_from(count).map_err(|_| ProtocolViolation::NegativeCount(count))
    }

    pub fn skip(&mut self, n: usize) -> Result<(), ProtocolViolation> {
        self.take(n).map(|_| ())
    }

    /// The bytes left, all of them.
    pub fn skip_rest(&mut self) {
        self.rest = &[];
    }

    /// The body must end here.
    pub fn end(&self) -> Result<(), ProtocolViolation> {
        if self.rest.is_empty() {
            Ok(())
        } else {
            Err(ProtocolViolation::TrailingData)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_fields_and_stops_at_the_end() {
        let mut body = BodyReader::new(b"ab\0\x00\x02\xff\xff\xff\xff");
        assert_eq!(body.cstring().unwrap(), b"ab");
        assert_eq!(body.count().unwrap(), 2);
        assert_eq!(body.i32().unwrap(), -1);
        assert!(body.end().is_ok());
        assert_eq!(body.byte(), Err(ProtocolViolation::InsufficientData));
    }

    #[test]
    fn rejects_what_does_not_fit() {
        assert_eq!(
            BodyReader::new(b"no nul").cstring(),
            Err(ProtocolViolation::InvalidString)
        );
        assert_eq!(
            BodyReader::new(b"\xff\xfe").count(),
            Err(ProtocolViolation::NegativeCount(-2))
        );
        assert_eq!(
            BodyReader::new(b"\x00").i16(),
            Err(ProtocolViolation::InsufficientData)
        );
        let mut body = BodyReader::new(b"x\0y");
        body.cstring().unwrap();
        assert_eq!(body.end(), Err(ProtocolViolation::TrailingData));
    }
}
