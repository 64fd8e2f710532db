//! `COPY (SELECT ...) TO STDOUT` and `COPY table TO STDOUT`, in text, CSV or binary
//! format. Rows are encoded as a result's rows are (text, or binary for `FORMAT binary`)
//! and re-framed as COPY lines or PGCOPY tuples, batch by batch.

use bytes::{BufMut, Bytes, BytesMut};
use datafusion::sql::sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopyTarget, Statement,
};
use omnigraph_sql::statement::Copy;
use omnigraph_sql::{ErrorKind, ParsedStatement, SqlError, StatementKind};
use pgwire::messages::data::DataRow;

/// A `COPY ... TO STDOUT`: the query whose rows are copied, and how lines are written.
#[derive(Debug, Clone)]
pub struct CopyOut {
    pub query: ParsedStatement,
    pub format: CopyFormat,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CopyFormat {
    Text {
        delimiter: char,
        null: String,
    },
    Csv {
        delimiter: char,
        null: String,
        header: bool,
    },
    /// PGCOPY: a signature and header, then each row as its field count followed by its
    /// values in binary send format (the layout of a binary data row), then a -1 trailer
    /// (pgwire's [`pgwire::api::results::CopyResponse`] appends it).
    Binary,
}

fn unsupported(what: &str) -> SqlError {
    SqlError::new(ErrorKind::NotSupported, what.to_string())
}

/// The copy to the client a `COPY` statement asks for; `None` when `statement` is not a
/// `COPY` in PostgreSQL's grammar (DataFusion's `COPY ... TO 'file'` is planned by the
/// session, which lets only an admin write the server's files). Rows are not read from
/// the client yet.
pub fn copy_out(statement: &ParsedStatement) -> Option<Result<CopyOut, SqlError>> {
    match &statement.kind {
        StatementKind::Copy(copy) if omnigraph_sql::copy_from::CopyFrom::of(copy).is_none() => {
            Some(client_copy(copy))
        }
        _ => None,
    }
}

fn client_copy(copy: &Copy) -> Result<CopyOut, SqlError> {
    let Statement::Copy {
        to,
        target,
        options,
        legacy_options,
        ..
    } = &copy.statement
    else {
        return Err(SqlError::new(ErrorKind::Syntax, "expected COPY"));
    };
    if !to {
        return Err(unsupported(
            "COPY ... FROM a file on the server: send the rows with COPY ... FROM STDIN (psql's \\copy), or load the file with CALL load(path)",
        ));
    }
    if !matches!(target, CopyTarget::Stdout) {
        return Err(unsupported(
            "COPY ... TO PROGRAM: the server runs no programs; use COPY ... TO 'file' or TO STDOUT",
        ));
    }
    let Some(query) = &copy.query else {
        return Err(SqlError::new(ErrorKind::Syntax, "COPY TO needs a source"));
    };
    let mut csv = false;
    let mut binary = false;
    let mut header = false;
    let mut delimiter = None;
    let mut null = None;
    for option in options {
        match option {
            CopyOption::Format(f) if f.value.eq_ignore_ascii_case("csv") => {
                (csv, binary) = (true, false)
            }
            CopyOption::Format(f) if f.value.eq_ignore_ascii_case("text") => {
                (csv, binary) = (false, false)
            }
            CopyOption::Format(f) if f.value.eq_ignore_ascii_case("binary") => {
                (csv, binary) = (false, true)
            }
            CopyOption::Format(f) => {
                return Err(unsupported(&format!("COPY format {}", f.value)));
            }
            CopyOption::Header(h) => header = *h,
            CopyOption::Delimiter(d) => delimiter = Some(*d),
            CopyOption::Null(n) => null = Some(n.clone()),
            other => return Err(unsupported(&format!("COPY option {other}"))),
        }
    }
    for option in legacy_options {
        match option {
            CopyLegacyOption::Binary => binary = true,
            CopyLegacyOption::Csv(csv_options) => {
                csv = true;
                for o in csv_options {
                    match o {
                        CopyLegacyCsvOption::Header => header = true,
                        other => return Err(unsupported(&format!("COPY option {other}"))),
                    }
                }
            }
            CopyLegacyOption::Delimiter(d) => delimiter = Some(*d),
            CopyLegacyOption::Null(n) => null = Some(n.clone()),
            other => return Err(unsupported(&format!("COPY option {other}"))),
        }
    }
    let format = if binary {
        let refused = [
            ("HEADER", header),
            ("DELIMITER", delimiter.is_some()),
            ("NULL", null.is_some()),
        ];
        if let Some((option, _)) = refused.iter().find(|(_, given)| *given) {
            return Err(SqlError::new(
                ErrorKind::Syntax,
                format!("cannot specify {option} in BINARY mode"),
            ));
        }
        CopyFormat::Binary
    } else if csv {
        CopyFormat::Csv {
            delimiter: delimiter.unwrap_or(','),
            null: null.unwrap_or_default(),
            header,
        }
    } else {
        if header {
            return Err(unsupported("COPY HEADER is only available in CSV mode"));
        }
        CopyFormat::Text {
            delimiter: delimiter.unwrap_or('\t'),
            null: null.unwrap_or_else(|| "\\N".to_string()),
        }
    };
    let query = ParsedStatement::new(query.clone())?;
    Ok(CopyOut { query, format })
}

/// The fields of a text-format data row (`None` for NULL).
fn fields(row: &DataRow) -> Vec<Option<&[u8]>> {
    let mut out = Vec::with_capacity(row.field_count.max(0) as usize);
    let mut data: &[u8] = &row.data;
    for _ in 0..row.field_count {
        if data.len() < 4 {
            break;
        }
        let len = i32::from_be_bytes([data[0], data[1], data[2], data[3]]);
        data = &data[4..];
        if len < 0 {
            out.push(None);
        } else {
            let len = (len as usize).min(data.len());
            out.push(Some(&data[..len]));
            data = &data[len..];
        }
    }
    out
}

/// The signature, flags (no OIDs) and header extension length (none) of PGCOPY.
const PGCOPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";

impl CopyFormat {
    /// Whether values are sent in binary format (a PGCOPY stream).
    pub fn is_binary(&self) -> bool {
        matches!(self, CopyFormat::Binary)
    }

    pub fn header(&self, names: &[String]) -> Option<Bytes> {
        match self {
            CopyFormat::Binary => Some(Bytes::from_static(PGCOPY_HEADER)),
            CopyFormat::Csv {
                header: true,
                delimiter,
                ..
            } => {
                let mut out = BytesMut::new();
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        out.put_u8(*delimiter as u8);
                    }
                    csv_value(&mut out, name.as_bytes(), *delimiter, "");
                }
                out.put_u8(b'\n');
                Some(out.freeze())
            }
            _ => None,
        }
    }

    /// One COPY line for a data row (text-format, or binary-format for PGCOPY).
    pub fn line(&self, row: &DataRow) -> Bytes {
        let mut out = BytesMut::with_capacity(row.data.len() + 8);
        let (delimiter, null) = match self {
            CopyFormat::Text { delimiter, null }
            | CopyFormat::Csv {
                delimiter, null, ..
            } => (*delimiter, null.as_str()),
            CopyFormat::Binary => {
                out.put_i16(row.field_count);
                out.put_slice(&row.data);
                return out.freeze();
            }
        };
        for (i, value) in fields(row).into_iter().enumerate() {
            if i > 0 {
                out.put_u8(delimiter as u8);
            }
            match (self, value) {
                (_, None) => out.put_slice(null.as_bytes()),
                (CopyFormat::Text { .. }, Some(v)) => text_value(&mut out, v, delimiter),
                (CopyFormat::Csv { .. }, Some(v)) => csv_value(&mut out, v, delimiter, null),
                (CopyFormat::Binary, Some(_)) => unreachable!("binary rows are framed above"),
            }
        }
        out.put_u8(b'\n');
        out.freeze()
    }
}

fn text_value(out: &mut BytesMut, value: &[u8], delimiter: char) {
    for &b in value {
        match b {
            b'\\' => out.put_slice(b"\\\\"),
            b'\n' => out.put_slice(b"\\n"),
            b'\r' => out.put_slice(b"\\r"),
            b'\t' if delimiter == '\t' => out.put_slice(b"\\t"),
            b if b == delimiter as u8 => {
                out.put_u8(b'\\');
                out.put_u8(b);
            }
            b => out.put_u8(b),
        }
    }
}

fn csv_value(out: &mut BytesMut, value: &[u8], delimiter: char, null: &str) {
    let needs_quotes = value.is_empty() && null.is_empty()
        || value == null.as_bytes()
        || value
            .iter()
            .any(|&b| b == delimiter as u8 || matches!(b, b'"' | b'\n' | b'\r'));
    if !needs_quotes {
        out.put_slice(value);
        return;
    }
    out.put_u8(b'"');
    for &b in value {
        if b == b'"' {
            out.put_u8(b'"');
        }
        out.put_u8(b);
    }
    out.put_u8(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(values: &[Option<&str>]) -> DataRow {
        let mut data = BytesMut::new();
        for v in values {
            match v {
                None => data.put_i32(-1),
                Some(s) => {
                    data.put_i32(s.len() as i32);
                    data.put_slice(s.as_bytes());
                }
            }
        }
        DataRow::new(data, values.len() as i16)
    }

    fn parse(sql: &str) -> Result<CopyOut, SqlError> {
        let statement = omnigraph_sql::statement::parse_one(sql)?;
        copy_out(&statement).expect("a COPY statement")
    }

    #[test]
    fn parses_query_and_table_forms() {
        let c = parse("COPY (SELECT name FROM person) TO STDOUT").unwrap();
        assert_eq!(c.query.ast.to_string(), "SELECT name FROM person");
        assert!(matches!(c.format, CopyFormat::Text { .. }));
        let c = parse("copy person (name, age) to stdout with (format csv, header)").unwrap();
        assert_eq!(c.query.ast.to_string(), "SELECT name, age FROM person");
        assert!(matches!(c.format, CopyFormat::Csv { header: true, .. }));
        // Rows from the client are `crate::copy_in`'s, rows from a file the session's.
        let from_client = omnigraph_sql::statement::parse_one("COPY person FROM STDIN").unwrap();
        assert!(copy_out(&from_client).is_none());
        let from_file =
            omnigraph_sql::statement::parse_one("COPY person FROM '/tmp/x.csv'").unwrap();
        assert!(copy_out(&from_file).is_none());
        assert_eq!(
            parse("COPY person TO PROGRAM 'rm -rf /'")
                .unwrap_err()
                .sqlstate(),
            "0A000"
        );
        let c = parse("COPY person TO STDOUT (FORMAT binary)").unwrap();
        assert!(c.format.is_binary());
        assert!(
            parse("COPY person TO STDOUT BINARY")
                .unwrap()
                .format
                .is_binary()
        );
        assert_eq!(
            parse("COPY person TO STDOUT (FORMAT binary, HEADER)")
                .unwrap_err()
                .sqlstate(),
            "42601"
        );
        // DataFusion's COPY to a server file is planned by the session.
        let to_file = omnigraph_sql::statement::parse_one("COPY person TO '/tmp/x'").unwrap();
        assert!(copy_out(&to_file).is_none());
    }

    #[test]
    fn lines_escape_like_postgres() {
        let text = CopyFormat::Text {
            delimiter: '\t',
            null: "\\N".into(),
        };
        assert_eq!(
            &text.line(&row(&[Some("a\tb"), None, Some("c\\d\n")]))[..],
            b"a\\tb\t\\N\tc\\\\d\\n\n"
        );
        let csv = CopyFormat::Csv {
            delimiter: ',',
            null: String::new(),
            header: true,
        };
        assert_eq!(
            &csv.line(&row(&[Some("a,b"), None, Some("say \"hi\""), Some("")]))[..],
            b"\"a,b\",,\"say \"\"hi\"\"\",\"\"\n"
        );
    }
}
