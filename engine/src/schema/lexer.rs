//! Tokens of the `.pg` schema language, with their positions for errors.

use crate::error::{Error, Result};

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    Ident(String),
    Int(u64),
    Punct(char),
    Arrow,
    DotDot,
    At,
    Eof,
}

#[derive(Debug, Clone)]
pub(super) struct Token {
    pub tok: Tok,
    pub line: usize,
    pub col: usize,
    /// Byte offsets of the token in the source (edits splice text at them).
    pub start: usize,
    pub end: usize,
}

pub(super) fn describe(tok: &Tok) -> String {
    match tok {
        Tok::Ident(s) => format!("'{s}'"),
        Tok::Int(n) => format!("'{n}'"),
        Tok::Punct(c) => format!("'{c}'"),
        Tok::Arrow => "'->'".to_string(),
        Tok::DotDot => "'..'".to_string(),
        Tok::At => "'@'".to_string(),
        Tok::Eof => "end of input".to_string(),
    }
}

pub(super) fn tokenize(src: &str) -> Result<Vec<Token>> {
    let chars: Vec<char> = src.chars().collect();
    let byte_at: Vec<usize> = src
        .char_indices()
        .map(|(b, _)| b)
        .chain([src.len()])
        .collect();
    let mut out = Vec::new();
    let (mut i, mut line, mut col) = (0usize, 1usize, 1usize);
    while i < chars.len() {
        let c = chars[i];
        let (start_line, start_col, token_start) = (line, col, i);
        let advance = |n: usize, i: &mut usize, col: &mut usize| {
            *i += n;
            *col += n;
        };
        if c == '\n' {
            i += 1;
            line += 1;
            col = 1;
            continue;
        }
        if c.is_whitespace() {
            advance(1, &mut i, &mut col);
            continue;
        }
        if c == '#' || (c == '/' && chars.get(i + 1) == Some(&'/')) {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        let tok = if c.is_ascii_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            col += i - start;
            Tok::Ident(chars[start..i].iter().collect())
        } else if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_digit() {
                i += 1;
            }
            col += i - start;
            let text: String = chars[start..i].iter().collect();
            let n = text.parse::<u64>().map_err(|_| Error::SchemaParse {
                line: start_line,
                column: start_col,
                message: format!("number '{text}' is out of range"),
            })?;
            Tok::Int(n)
        } else if c == '-' && chars.get(i + 1) == Some(&'>') {
            advance(2, &mut i, &mut col);
            Tok::Arrow
        } else if c == '.' && chars.get(i + 1) == Some(&'.') {
            advance(2, &mut i, &mut col);
            Tok::DotDot
        } else if c == '@' {
            advance(1, &mut i, &mut col);
            Tok::At
        } else if "{}()[]:,?;".contains(c) {
            advance(1, &mut i, &mut col);
            Tok::Punct(c)
        } else {
            return Err(Error::SchemaParse {
                line,
                column: col,
                message: format!("unexpected character '{c}'"),
            });
        };
        out.push(Token {
            tok,
            line: start_line,
            col: start_col,
            start: byte_at[token_start],
            end: byte_at[i],
        });
    }
    out.push(Token {
        tok: Tok::Eof,
        line,
        col,
        start: src.len(),
        end: src.len(),
    });
    Ok(out)
}
