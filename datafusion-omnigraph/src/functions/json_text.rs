//! The text of `json` and `jsonb` values: input checked as PostgreSQL's `json_in` checks
//! it (22P02 otherwise); `json` keeps the text as written, `jsonb` is written as
//! PostgreSQL's `jsonb_out` writes it (keys sorted by length then bytes, the last of a
//! duplicate key kept, `", "` and `": "` between items, numbers as `numeric` shows them).

use std::fmt::Write;

use super::json::quote;

/// A parsed JSON value; numbers keep their text.
#[derive(Debug, PartialEq)]
enum Json {
    Null,
    Bool(bool),
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Whether `text` is one JSON value.
pub fn is_json(text: &str) -> bool {
    parse(text).is_some()
}

/// `text` as `jsonb` shows it, if it is JSON.
pub fn jsonb_text(text: &str) -> Option<String> {
    let mut out = String::new();
    write_jsonb(&mut out, parse(text)?);
    Some(out)
}

fn parse(text: &str) -> Option<Json> {
    let mut parser = Parser {
        bytes: text.as_bytes(),
        text,
        pos: 0,
    };
    let value = parser.value(0)?;
    parser.blank();
    (parser.pos == parser.bytes.len()).then_some(value)
}

/// PostgreSQL's limit on nesting (its stack depth check), well before ours runs out.
const MAX_DEPTH: usize = 6400;

struct Parser<'a> {
    bytes: &'a [u8],
    text: &'a str,
    pos: usize,
}

impl Parser<'_> {
    fn blank(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.pos) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, byte: u8) -> bool {
        self.blank();
        let found = self.bytes.get(self.pos) == Some(&byte);
        if found {
            self.pos += 1;
        }
        found
    }

    fn keyword(&mut self, word: &str, value: Json) -> Option<Json> {
        let end = self.pos + word.len();
        (self.text.get(self.pos..end) == Some(word)).then(|| {
            self.pos = end;
            value
        })
    }

    fn value(&mut self, depth: usize) -> Option<Json> {
        if depth > MAX_DEPTH {
            return None;
        }
        self.blank();
        match self.bytes.get(self.pos)? {
            b'n' => self.keyword("null", Json::Null),
            b't' => self.keyword("true", Json::Bool(true)),
            b'f' => self.keyword("false", Json::Bool(false)),
            b'"' => self.string().map(Json::String),
            b'[' => {
                self.pos += 1;
                let mut items = vec![];
                if self.eat(b']') {
                    return Some(Json::Array(items));
                }
                loop {
                    items.push(self.value(depth + 1)?);
                    if self.eat(b']') {
                        return Some(Json::Array(items));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            b'{' => {
                self.pos += 1;
                let mut members = vec![];
                if self.eat(b'}') {
                    return Some(Json::Object(members));
                }
                loop {
                    self.blank();
                    let key = self.string()?;
                    if !self.eat(b':') {
                        return None;
                    }
                    members.push((key, self.value(depth + 1)?));
                    if self.eat(b'}') {
                        return Some(Json::Object(members));
                    }
                    if !self.eat(b',') {
                        return None;
                    }
                }
            }
            _ => self.number().map(Json::Number),
        }
    }

    fn digits(&mut self) -> usize {
        let start = self.pos;
        while self.bytes.get(self.pos).is_some_and(u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - start
    }

    fn number(&mut self) -> Option<String> {
        let start = self.pos;
        if self.bytes.get(self.pos) == Some(&b'-') {
            self.pos += 1;
        }
        let first = *self.bytes.get(self.pos)?;
        let whole = self.digits();
        if whole == 0 || (first == b'0' && whole > 1) {
            return None;
        }
        if self.bytes.get(self.pos) == Some(&b'.') {
            self.pos += 1;
            if self.digits() == 0 {
                return None;
            }
        }
        if let Some(b'e' | b'E') = self.bytes.get(self.pos) {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.bytes.get(self.pos) {
                self.pos += 1;
            }
            if self.digits() == 0 {
                return None;
            }
        }
        Some(self.text[start..self.pos].to_string())
    }

    fn hex4(&mut self) -> Option<u32> {
        let digits = self.text.get(self.pos..self.pos + 4)?;
        let code = u32::from_str_radix(digits, 16).ok()?;
        self.pos += 4;
        Some(code)
    }

    fn string(&mut self) -> Option<String> {
        if self.bytes.get(self.pos) != Some(&b'"') {
            return None;
        }
        self.pos += 1;
        let mut out = String::new();
        loop {
            let c = self.text.get(self.pos..)?.chars().next()?;
            self.pos += c.len_utf8();
            match c {
                '"' => return Some(out),
                '\\' => {
                    let escape = *self.bytes.get(self.pos)?;
                    self.pos += 1;
                    match escape {
                        b'"' => out.push('"'),
                        b'\\' => out.push('\\'),
                        b'/' => out.push('/'),
                        b'b' => out.push('\u{08}'),
                        b'f' => out.push('\u{0C}'),
                        b'n' => out.push('\n'),
                        b'r' => out.push('\r'),
                        b't' => out.push('\t'),
                        b'u' => out.push(self.unicode_escape()?),
                        _ => return None,
                    }
                }
                c if (c as u32) < 0x20 => return None,
                c => out.push(c),
            }
        }
    }

    fn unicode_escape(&mut self) -> Option<char> {
        let code = self.hex4()?;
        match code {
            // jsonb cannot hold a NUL (PostgreSQL refuses it too).
            0 => None,
            0xD800..=0xDBFF => {
                if self.text.get(self.pos..self.pos + 2) != Some("\\u") {
                    return None;
                }
                self.pos += 2;
                let low = self.hex4()?;
                if !(0xDC00..=0xDFFF).contains(&low) {
                    return None;
                }
                char::from_u32(0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00))
            }
            _ => char::from_u32(code),
        }
    }
}

fn write_jsonb(out: &mut String, value: Json) {
    match value {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if b { "true" } else { "false" }),
        Json::Number(n) => out.push_str(&numeric_text(&n)),
        Json::String(s) => quote(out, &s),
        Json::Array(items) => {
            out.push('[');
            for (i, item) in items.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_jsonb(out, item);
            }
            out.push(']');
        }
        Json::Object(members) => {
            let mut unique: Vec<(String, Json)> = vec![];
            for (key, value) in members {
                match unique.iter_mut().find(|(k, _)| *k == key) {
                    Some(member) => member.1 = value,
                    None => unique.push((key, value)),
                }
            }
            unique.sort_by(|(a, _), (b, _)| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
            out.push('{');
            for (i, (key, value)) in unique.into_iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                quote(out, &key);
                out.push_str(": ");
                write_jsonb(out, value);
            }
            out.push('}');
        }
    }
}

/// A JSON number as PostgreSQL's `numeric` shows it: no exponent, the scale it was
/// written with less the exponent, no negative zero.
fn numeric_text(number: &str) -> String {
    let (negative, unsigned) = match number.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, number),
    };
    let (mantissa, exponent) = match unsigned.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i64>().unwrap_or(0)),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{whole}{fraction}");
    let point = whole.len() as i64 + exponent;
    let (mut int_part, frac_part) = if point <= 0 {
        ("0".to_string(), "0".repeat((-point) as usize) + &digits)
    } else if point as usize >= digits.len() {
        (
            digits.clone() + &"0".repeat(point as usize - digits.len()),
            String::new(),
        )
    } else {
        (
            digits[..point as usize].to_string(),
            digits[point as usize..].to_string(),
        )
    };
    let trimmed = int_part.trim_start_matches('0');
    int_part = if trimmed.is_empty() {
        "0".into()
    } else {
        trimmed.into()
    };
    let zero = int_part == "0" && frac_part.bytes().all(|b| b == b'0');
    let mut out = String::new();
    if negative && !zero {
        out.push('-');
    }
    out.push_str(&int_part);
    if !frac_part.is_empty() {
        let _ = write!(out, ".{frac_part}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jsonb_is_written_as_postgresql_writes_it() {
        assert_eq!(
            jsonb_text(r#"{"b": 1, "a": 2, "aa": [1,2.50,{}], "a": 3}"#).unwrap(),
            r#"{"a": 3, "b": 1, "aa": [1, 2.50, {}]}"#
        );
        assert_eq!(jsonb_text(" \"\\u00e9\\n\" ").unwrap(), "\"é\\n\"");
        assert_eq!(
            jsonb_text("[1e2, 1.5e-3, -0, 12.30e1]").unwrap(),
            "[100, 0.0015, 0, 123.0]"
        );
    }

    #[test]
    fn invalid_json_is_refused() {
        for text in [
            "",
            "{",
            "[1,]",
            "01",
            "1.",
            "tru",
            "{\"a\" 1}",
            "\"\\x\"",
            "1 2",
        ] {
            assert!(!is_json(text), "{text}");
        }
        assert!(is_json(
            r#"{"a": [true, false, null, -1.5E+3, "\ud83d\ude00"]}"#
        ));
    }
}
