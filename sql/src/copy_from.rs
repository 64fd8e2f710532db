//! `COPY table [(columns)] FROM STDIN`: the statement's options, the rows the client
//! sends read in PostgreSQL's `text` and `csv` formats, and their insert as one write.
//!
//! Rows are read as text, one Arrow string column per copied column, and inserted
//! through the same plan as `INSERT ... SELECT`: each value is converted by the cast to
//! its column's type (PostgreSQL's input rules, 22P02 for a bad value), and the write
//! makes the same integrity checks and one commit (or joins the open transaction).

use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, RecordBatch, StringBuilder};
use datafusion::arrow::datatypes::{DataType, Field, Schema};
use datafusion::common::TableReference;
use datafusion::datasource::provider_as_source;
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{ExprSchemable, LogicalPlanBuilder, cast, col, lit};
use datafusion::sql::sqlparser::ast::{
    CopyLegacyCsvOption, CopyLegacyOption, CopyOption, CopySource, CopyTarget, Statement,
};

use crate::error::{ErrorKind, Result, SqlError};
use crate::names::normalized;
use crate::result::CommandTag;
use crate::session::Session;
use crate::statement::Copy;

/// How the client's bytes are read into rows.
#[derive(Debug, Clone, PartialEq)]
pub enum CopyInFormat {
    /// PostgreSQL's `text` format: one row a line, fields split by `delimiter`,
    /// backslash escapes, `null` (default `\N`) for NULL.
    Text { delimiter: u8, null: String },
    /// CSV: fields split by `delimiter`, quoted by `quote` (a quote inside written twice,
    /// or after `escape`), an unquoted `null` (default empty) for NULL; `force_null`
    /// columns read a quoted `null` as NULL too.
    Csv {
        delimiter: u8,
        null: String,
        header: bool,
        quote: u8,
        escape: u8,
        force_null: Vec<String>,
    },
    /// PostgreSQL's binary format (see [`crate::copy_binary`]).
    Binary,
}

/// Where a `COPY ... FROM` reads its rows.
#[derive(Debug, Clone, PartialEq)]
pub enum CopyFromSource {
    /// The client sends them (`FROM STDIN`).
    Client,
    /// A file on the server (`FROM 'path'`), which only an admin may read.
    File(std::path::PathBuf),
}

/// A `COPY ... FROM`, ready to read rows.
#[derive(Debug, Clone)]
pub struct CopyFrom {
    pub source: CopyFromSource,
    /// The table as named in the statement.
    pub table: TableReference,
    /// The copied columns in the client's order; empty: every column of the table.
    pub columns: Vec<String>,
    pub format: CopyInFormat,
    /// The statement as written, for the commit's message.
    pub text: String,
}

fn unsupported(what: impl Into<String>) -> SqlError {
    SqlError::new(ErrorKind::NotSupported, what)
}

fn single_byte(c: char, what: &str) -> Result<u8> {
    u8::try_from(c as u32)
        .ok()
        .filter(u8::is_ascii)
        .ok_or_else(|| {
            SqlError::new(
                ErrorKind::NotSupported,
                format!("COPY {what} must be a single one-byte character"),
            )
        })
}

impl CopyFrom {
    /// The copy into a table `copy` asks for; `None` when it copies out, or from a
    /// program.
    pub fn of(copy: &Copy) -> Option<Result<CopyFrom>> {
        let Statement::Copy {
            source,
            to: false,
            target,
            options,
            legacy_options,
            ..
        } = &copy.statement
        else {
            return None;
        };
        let from = match target {
            CopyTarget::Stdin => CopyFromSource::Client,
            CopyTarget::File { filename } => CopyFromSource::File(filename.into()),
            _ => return None,
        };
        let text = copy.statement.to_string();
        let read = Self::read(source, options, legacy_options, text);
        Some(read.map(|c| CopyFrom { source: from, ..c }))
    }

    fn read(
        source: &CopySource,
        options: &[CopyOption],
        legacy_options: &[CopyLegacyOption],
        text: String,
    ) -> Result<CopyFrom> {
        let CopySource::Table {
            table_name,
            columns,
        } = source
        else {
            return Err(SqlError::new(
                ErrorKind::Syntax,
                "COPY FROM needs a table, not a query",
            ));
        };
        let table = match crate::names::object_parts(table_name).as_slice() {
            [table] => TableReference::bare(table.as_str()),
            [schema, table] => TableReference::partial(schema.as_str(), table.as_str()),
            _ => {
                return Err(SqlError::new(
                    ErrorKind::Syntax,
                    format!("improper relation name: {table_name}"),
                ));
            }
        };
        let columns = columns.iter().map(normalized).collect();
        let (mut csv, mut header, mut binary) = (false, false, false);
        let (mut delimiter, mut null, mut quote, mut escape) = (None, None, None, None);
        let mut force_null = Vec::new();
        for option in options {
            match option {
                CopyOption::Format(f) if f.value.eq_ignore_ascii_case("csv") => {
                    (csv, binary) = (true, false)
                }
                CopyOption::Format(f) if f.value.eq_ignore_ascii_case("text") => {
                    (csv, binary) = (false, false)
                }
                CopyOption::Format(f) if f.value.eq_ignore_ascii_case("binary") => binary = true,
                CopyOption::Format(f) => {
                    return Err(SqlError::new(
                        ErrorKind::InvalidParameter,
                        format!("COPY format \"{}\" not recognized", f.value),
                    ));
                }
                CopyOption::Header(h) => header = *h,
                CopyOption::Delimiter(d) => delimiter = Some(single_byte(*d, "delimiter")?),
                CopyOption::Null(n) => null = Some(n.clone()),
                CopyOption::Quote(q) => quote = Some(single_byte(*q, "quote")?),
                CopyOption::Escape(e) => escape = Some(single_byte(*e, "escape")?),
                CopyOption::ForceNull(names) => force_null.extend(names.iter().map(normalized)),
                CopyOption::Encoding(e) if e.eq_ignore_ascii_case("utf8") => {}
                CopyOption::Encoding(e) if e.eq_ignore_ascii_case("utf-8") => {}
                CopyOption::Freeze(_) => {}
                other => return Err(unsupported(format!("COPY FROM option {other}"))),
            }
        }
        for option in legacy_options {
            match option {
                CopyLegacyOption::Csv(csv_options) => {
                    csv = true;
                    for o in csv_options {
                        match o {
                            CopyLegacyCsvOption::Header => header = true,
                            CopyLegacyCsvOption::Quote(q) => {
                                quote = Some(single_byte(*q, "quote")?)
                            }
                            CopyLegacyCsvOption::Escape(e) => {
                                escape = Some(single_byte(*e, "escape")?)
                            }
                            other => return Err(unsupported(format!("COPY FROM option {other}"))),
                        }
                    }
                }
                CopyLegacyOption::Delimiter(d) => delimiter = Some(single_byte(*d, "delimiter")?),
                CopyLegacyOption::Null(n) => null = Some(n.clone()),
                CopyLegacyOption::Binary => binary = true,
                other => return Err(unsupported(format!("COPY FROM option {other}"))),
            }
        }
        let csv_only = |what: &str| {
            SqlError::new(
                ErrorKind::NotSupported,
                format!("COPY {what} available only in CSV mode"),
            )
        };
        let in_binary = |what: &str| {
            SqlError::new(
                ErrorKind::Syntax,
                format!("cannot specify {what} in BINARY mode"),
            )
        };
        let format = if binary {
            if delimiter.is_some() {
                return Err(in_binary("DELIMITER"));
            }
            if null.is_some() {
                return Err(in_binary("NULL"));
            }
            if header {
                return Err(in_binary("HEADER"));
            }
            if quote.is_some() || escape.is_some() || !force_null.is_empty() {
                return Err(SqlError::new(
                    ErrorKind::NotSupported,
                    "COPY quote, escape and FORCE_NULL available only in CSV mode",
                ));
            }
            CopyInFormat::Binary
        } else if csv {
            let quote = quote.unwrap_or(b'"');
            CopyInFormat::Csv {
                delimiter: delimiter.unwrap_or(b','),
                null: null.unwrap_or_default(),
                header,
                quote,
                escape: escape.unwrap_or(quote),
                force_null,
            }
        } else {
            if header {
                return Err(csv_only("HEADER"));
            }
            if quote.is_some() {
                return Err(csv_only("quote"));
            }
            if escape.is_some() {
                return Err(csv_only("escape"));
            }
            if !force_null.is_empty() {
                return Err(csv_only("FORCE_NULL"));
            }
            CopyInFormat::Text {
                delimiter: delimiter.unwrap_or(b'\t'),
                null: null.unwrap_or_else(|| "\\N".to_string()),
            }
        };
        if let CopyInFormat::Csv {
            delimiter, quote, ..
        } = &format
            && delimiter == quote
        {
            return Err(SqlError::new(
                ErrorKind::InvalidParameter,
                "COPY delimiter and quote must be different",
            ));
        }
        Ok(CopyFrom {
            source: CopyFromSource::Client,
            table,
            columns,
            format,
            text,
        })
    }
}

/// A mistake in the copied data, at `line` (PostgreSQL's `CONTEXT: COPY t, line N`).
fn bad_data(kind: ErrorKind, message: String, table: &str, line: usize) -> SqlError {
    SqlError::new(kind, message).with_context(format!("COPY {table}, line {line}"))
}

/// Data shown in an error's context as PostgreSQL shows it: at most 100 bytes (then
/// `...`), bytes that are not UTF-8 replaced.
fn shown(raw: &[u8]) -> String {
    const SHOWN: usize = 100;
    let text = String::from_utf8_lossy(raw);
    if text.len() <= SHOWN {
        return text.into_owned();
    }
    let mut end = SHOWN;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}...", &text[..end])
}

/// The rows of a `COPY`: one string column per copied column (NULL for a NULL field),
/// and the line each row starts on.
pub struct CopyRows {
    pub batch: RecordBatch,
    pub lines: Vec<usize>,
}

/// Reads the client's data into rows as it arrives: whole records are read as soon as
/// their bytes are there (a CSV record may span lines and messages), the rest waits for
/// more.
pub struct RowReader {
    format: CopyInFormat,
    table: String,
    columns: Vec<String>,
    /// Per column: a quoted `null` is NULL too (CSV `FORCE_NULL`).
    forced: Vec<bool>,
    /// Bytes of records not yet complete.
    pending: Vec<u8>,
    /// The line the first pending byte is on.
    line: usize,
    /// A CSV header still to skip.
    header: bool,
    /// The end marker (`\.`) was read: the rest is ignored.
    ended: bool,
    builders: Vec<StringBuilder>,
    lines: Vec<usize>,
}

impl RowReader {
    pub fn new(format: &CopyInFormat, table: &str, columns: &[String]) -> RowReader {
        let (forced, header) = match format {
            CopyInFormat::Csv {
                force_null, header, ..
            } => (
                columns.iter().map(|c| force_null.contains(c)).collect(),
                *header,
            ),
            CopyInFormat::Text { .. } | CopyInFormat::Binary => (vec![false; columns.len()], false),
        };
        RowReader {
            format: format.clone(),
            table: table.to_string(),
            columns: columns.to_vec(),
            forced,
            pending: Vec::new(),
            line: 1,
            header,
            ended: false,
            builders: columns.iter().map(|_| StringBuilder::new()).collect(),
            lines: Vec::new(),
        }
    }

    /// Rows read and not yet taken.
    pub fn rows(&self) -> usize {
        self.lines.len()
    }

    /// Reads the whole records `bytes` completes.
    pub fn feed(&mut self, bytes: &[u8]) -> Result<()> {
        if self.ended {
            return Ok(());
        }
        self.pending.extend_from_slice(bytes);
        self.read(false)
    }

    /// Reads what is left: the data has ended (its last line may lack a newline).
    pub fn end(&mut self) -> Result<()> {
        if self.ended {
            return Ok(());
        }
        self.read(true)
    }

    /// The rows read so far, leaving none.
    pub fn take(&mut self) -> Result<CopyRows> {
        let fields: Vec<Field> = self
            .columns
            .iter()
            .map(|c| Field::new(c, DataType::Utf8, true))
            .collect();
        let arrays: Vec<ArrayRef> = self
            .builders
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
            .map_err(|e| SqlError::from(datafusion::error::DataFusionError::from(e)))?;
        Ok(CopyRows {
            batch,
            lines: std::mem::take(&mut self.lines),
        })
    }

    fn bad(&self, kind: ErrorKind, message: String, line: usize) -> SqlError {
        bad_data(kind, message, &self.table, line)
    }

    /// A row of `fields` read from `raw`, the line's bytes (PostgreSQL shows them in
    /// the CONTEXT of a line with too few or too many fields).
    fn push_row<'f>(
        &mut self,
        fields: impl ExactSizeIterator<Item = Option<&'f str>>,
        line: usize,
        raw: &[u8],
    ) -> Result<()> {
        let count = fields.len();
        let wrong_count = |message: String| {
            SqlError::new(ErrorKind::BadCopyFileFormat, message).with_context(format!(
                "COPY {}, line {line}: \"{}\"",
                self.table,
                shown(raw)
            ))
        };
        if count < self.columns.len() {
            return Err(wrong_count(format!(
                "missing data for column \"{}\"",
                self.columns[count]
            )));
        }
        if count > self.columns.len() {
            return Err(wrong_count(
                "extra data after last expected column".to_string(),
            ));
        }
        for (builder, field) in self.builders.iter_mut().zip(fields) {
            builder.append_option(field);
        }
        self.lines.push(line);
        Ok(())
    }

    fn read(&mut self, at_end: bool) -> Result<()> {
        let pending = std::mem::take(&mut self.pending);
        let consumed = match self.format.clone() {
            CopyInFormat::Text { delimiter, null } => {
                self.read_text(&pending, at_end, delimiter, &null)?
            }
            CopyInFormat::Csv {
                delimiter,
                null,
                quote,
                escape,
                ..
            } => self.read_csv(&pending, at_end, delimiter, &null, quote, escape)?,
            CopyInFormat::Binary => unreachable!("binary data is read by a BinaryReader"),
        };
        if !self.ended {
            self.pending = pending[consumed..].to_vec();
        }
        Ok(())
    }

    /// Reads the whole lines of `data` (all of it `at_end`); returns the bytes read.
    fn read_text(&mut self, data: &[u8], at_end: bool, delimiter: u8, null: &str) -> Result<usize> {
        let mut at = 0;
        while at < data.len() {
            let (line, next) = match data[at..].iter().position(|b| *b == b'\n') {
                Some(n) => (&data[at..at + n], at + n + 1),
                None if at_end => (&data[at..], data.len()),
                None => break,
            };
            let number = self.line;
            self.line += 1;
            at = next;
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line == b"\\." {
                self.ended = true;
                break;
            }
            let fields = text_fields(line, delimiter, null)
                .map_err(|(kind, m)| self.bad(kind, m, number))?;
            self.push_row(fields.iter().map(Option::as_deref), number, line)?;
        }
        Ok(at)
    }

    /// Reads the whole records of `data` (all of it `at_end`); returns the bytes read.
    fn read_csv(
        &mut self,
        data: &[u8],
        at_end: bool,
        delimiter: u8,
        null: &str,
        quote: u8,
        escape: u8,
    ) -> Result<usize> {
        let mut records = CsvRecords {
            data,
            at: 0,
            line: self.line,
            delimiter,
            quote,
            escape,
            at_end,
        };
        let mut consumed = 0;
        while let Some(record) = records.next_record() {
            let (line, fields) =
                record.map_err(|(line, m)| self.bad(ErrorKind::BadCopyFileFormat, m, line))?;
            let raw = &data[consumed..records.at];
            let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            consumed = records.at;
            self.line = records.line;
            if std::mem::take(&mut self.header) {
                continue;
            }
            if fields.len() == 1 && !fields[0].quoted && fields[0].bytes == b"\\." {
                self.ended = true;
                break;
            }
            let mut values = Vec::with_capacity(fields.len());
            for (i, field) in fields.iter().enumerate() {
                let is_null = field.bytes == null.as_bytes()
                    && (!field.quoted || self.forced.get(i).copied().unwrap_or(false));
                values.push(match is_null {
                    true => None,
                    false => Some(utf8(&field.bytes).map_err(|(kind, m)| self.bad(kind, m, line))?),
                });
            }
            self.push_row(values.into_iter(), line, raw)?;
        }
        Ok(consumed)
    }
}

type FieldError = (ErrorKind, String);

fn utf8(bytes: &[u8]) -> std::result::Result<&str, FieldError> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        let bad = &bytes[at..(at + 1).min(bytes.len())];
        (
            ErrorKind::CharacterNotInRepertoire,
            format!(
                "invalid byte sequence for encoding \"UTF8\": 0x{}",
                bad.iter().map(|b| format!("{b:02x}")).collect::<String>()
            ),
        )
    })
}

/// The fields of one line of the `text` format.
fn text_fields<'l>(
    line: &'l [u8],
    delimiter: u8,
    null: &str,
) -> std::result::Result<Vec<Option<std::borrow::Cow<'l, str>>>, FieldError> {
    use std::borrow::Cow;
    let mut fields = Vec::new();
    let mut start = 0;
    let mut i = 0;
    loop {
        if i == line.len() || line[i] == delimiter {
            let raw = &line[start..i];
            fields.push(match raw == null.as_bytes() {
                true => None,
                // Most fields have no escape: they are read in place.
                false if !raw.contains(&b'\\') => Some(Cow::Borrowed(utf8(raw)?)),
                false => Some(Cow::Owned(utf8(&unescape(raw))?.to_string())),
            });
            if i == line.len() {
                return Ok(fields);
            }
            start = i + 1;
        } else if line[i] == b'\\' && i + 1 < line.len() {
            i += 1;
        }
        i += 1;
    }
}

/// A `text` field with its backslash escapes resolved.
fn unescape(raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != b'\\' || i + 1 == raw.len() {
            out.push(b);
            i += 1;
            continue;
        }
        let next = raw[i + 1];
        i += 2;
        match next {
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'n' => out.push(b'\n'),
            b'r' => out.push(b'\r'),
            b't' => out.push(b'\t'),
            b'v' => out.push(11),
            b'0'..=b'7' => {
                let mut value = u32::from(next - b'0');
                for _ in 0..2 {
                    match raw.get(i) {
                        Some(d @ b'0'..=b'7') => {
                            value = value * 8 + u32::from(d - b'0');
                            i += 1;
                        }
                        _ => break,
                    }
                }
                out.push(value as u8);
            }
            b'x' if raw.get(i).is_some_and(u8::is_ascii_hexdigit) => {
                let mut value = 0u32;
                for _ in 0..2 {
                    match raw.get(i).and_then(|d| (*d as char).to_digit(16)) {
                        Some(d) => {
                            value = value * 16 + d;
                            i += 1;
                        }
                        None => break,
                    }
                }
                out.push(value as u8);
            }
            other => out.push(other),
        }
    }
    out
}

/// One CSV field: its bytes (quotes removed) and whether it was quoted.
struct CsvField {
    bytes: Vec<u8>,
    quoted: bool,
}

/// The records of CSV data; a quoted field may span lines.
struct CsvRecords<'a> {
    data: &'a [u8],
    at: usize,
    line: usize,
    delimiter: u8,
    quote: u8,
    escape: u8,
    /// The data ends here: a record cut short by its end is whole (or, in a quoted
    /// field, unterminated). Otherwise it waits for more data.
    at_end: bool,
}

type CsvRecord = std::result::Result<(usize, Vec<CsvField>), (usize, String)>;

impl CsvRecords<'_> {
    fn next_record(&mut self) -> Option<CsvRecord> {
        if self.at >= self.data.len() {
            return None;
        }
        let (first_line, first_byte) = (self.line, self.at);
        let mut fields = Vec::new();
        let mut field = CsvField {
            bytes: Vec::new(),
            quoted: false,
        };
        let data = self.data;
        loop {
            let Some(&b) = data.get(self.at) else {
                if !self.at_end {
                    (self.line, self.at) = (first_line, first_byte);
                    return None;
                }
                fields.push(field);
                return Some(Ok((first_line, fields)));
            };
            self.at += 1;
            if b == self.quote {
                field.quoted = true;
                loop {
                    let Some(&q) = data.get(self.at) else {
                        if !self.at_end {
                            (self.line, self.at) = (first_line, first_byte);
                            return None;
                        }
                        return Some(Err((first_line, "unterminated CSV quoted field".into())));
                    };
                    self.at += 1;
                    if q == self.escape && data.get(self.at) == Some(&self.quote) {
                        field.bytes.push(self.quote);
                        self.at += 1;
                    } else if q == self.quote {
                        break;
                    } else {
                        if q == b'\n' {
                            self.line += 1;
                        }
                        field.bytes.push(q);
                    }
                }
            } else if b == self.delimiter {
                fields.push(std::mem::replace(
                    &mut field,
                    CsvField {
                        bytes: Vec::new(),
                        quoted: false,
                    },
                ));
            } else if b == b'\n' {
                self.line += 1;
                fields.push(field);
                return Some(Ok((first_line, fields)));
            } else if b == b'\r' && data.get(self.at) == Some(&b'\n') {
                // The line ends at the `\n` that follows.
            } else {
                field.bytes.push(b);
            }
        }
    }
}

/// Rows read per batch handed to the write.
const BATCH_ROWS: usize = 8192;

/// Batches read and not yet written, at most; a client sending faster waits.
const BATCHES_IN_FLIGHT: usize = 2;

/// Batches kept after they are sent, to find the line of a value the write could not
/// convert (the write converts a batch shortly after it is sent).
const BATCHES_KEPT: usize = 4;

type Batches = futures::channel::mpsc::Sender<datafusion::error::Result<RecordBatch>>;

/// Reads the data of a copy's format into rows.
enum Decoder {
    Text(RowReader),
    Binary(crate::copy_binary::BinaryReader),
}

impl Decoder {
    fn feed(&mut self, bytes: &[u8]) -> Result<()> {
        match self {
            Decoder::Text(r) => r.feed(bytes),
            Decoder::Binary(r) => r.feed(bytes),
        }
    }

    fn end(&mut self) -> Result<()> {
        match self {
            Decoder::Text(r) => r.end(),
            Decoder::Binary(r) => r.end(),
        }
    }

    fn rows(&self) -> usize {
        match self {
            Decoder::Text(r) => r.rows(),
            Decoder::Binary(r) => r.rows(),
        }
    }

    fn columns(&self) -> usize {
        match self {
            Decoder::Text(r) => r.columns.len(),
            Decoder::Binary(r) => r.columns(),
        }
    }

    fn pending_bytes(&self) -> usize {
        match self {
            Decoder::Text(r) => r.pending.len(),
            Decoder::Binary(r) => r.pending_bytes(),
        }
    }

    fn take(&mut self) -> Result<CopyRows> {
        match self {
            Decoder::Text(r) => r.take(),
            Decoder::Binary(r) => {
                let (batch, lines) = r.take()?;
                Ok(CopyRows { batch, lines })
            }
        }
    }
}

/// A `COPY ... FROM` under way, the data's side: the data is read into rows as it
/// arrives and the rows stream into the copy's write ([`CopyWrite`], run by
/// [`Session::run_copy`] alongside), which commits once the data has ended
/// ([`CopyWriter::end`]). Memory holds a few batches, whatever the size of the data.
/// Dropped before its end, or abandoned, the write writes nothing.
pub struct CopyWriter {
    table: String,
    targets: Arc<Schema>,
    reader: Decoder,
    rows: Batches,
    /// Set once every row was sent: the write's input then ends instead of failing.
    complete: Arc<std::sync::atomic::AtomicBool>,
    /// The last batches sent, with their lines.
    sent: std::collections::VecDeque<CopyRows>,
    /// The first mistake in the data: the rest is ignored and the copy fails.
    failed: Option<SqlError>,
    /// The copy's line in `pg_stat_progress_copy`.
    progress: omnigraph_engine::CopyTracker,
}

/// A `COPY ... FROM` under way, the write's side: the insert of the rows its
/// [`CopyWriter`] sends.
pub struct CopyWrite {
    plan: datafusion::logical_expr::LogicalPlan,
    text: String,
}

impl CopyWriter {
    /// How many columns each row has.
    pub fn columns(&self) -> usize {
        self.reader.columns()
    }

    /// Bytes of a record that is not whole yet.
    pub fn pending_bytes(&self) -> usize {
        self.reader.pending_bytes()
    }

    /// Reads `bytes` of the data; the rows they complete go to the write.
    pub async fn write(&mut self, bytes: &[u8]) {
        if self.failed.is_some() {
            return;
        }
        self.progress.add_bytes(bytes.len() as u64);
        if let Err(e) = self.reader.feed(bytes) {
            return self.abandon(e).await;
        }
        while self.reader.rows() >= BATCH_ROWS {
            if let Err(e) = self.send().await {
                return self.abandon(e).await;
            }
        }
    }

    async fn send(&mut self) -> Result<()> {
        use futures::SinkExt;
        let rows = self.reader.take()?;
        if rows.lines.is_empty() {
            return Ok(());
        }
        if self.sent.len() == BATCHES_KEPT {
            self.sent.pop_front();
        }
        let batch = rows.batch.clone();
        self.progress.add_tuples(batch.num_rows() as u64);
        self.sent.push_back(rows);
        // A closed channel means the write stopped; its own error says why.
        let _ = self.rows.send(Ok(batch)).await;
        Ok(())
    }

    /// Ends the data: the last rows go to the write, which then commits.
    pub async fn end(&mut self) {
        if self.failed.is_some() {
            return;
        }
        if let Err(e) = self.reader.end() {
            return self.abandon(e).await;
        }
        if let Err(e) = self.send().await {
            return self.abandon(e).await;
        }
        self.complete
            .store(true, std::sync::atomic::Ordering::SeqCst);
        self.rows.close_channel();
    }

    /// Stops the copy for `why` (a mistake in the data, the client's CopyFail): the
    /// write ends without committing and the copy fails with `why`.
    pub async fn abandon(&mut self, why: SqlError) {
        use futures::SinkExt;
        if self.failed.is_some() {
            return;
        }
        let stop = datafusion::error::DataFusionError::External(Box::new(why.clone()));
        let _ = self.rows.send(Err(stop)).await;
        self.rows.close_channel();
        self.failed = Some(why);
    }

    /// The copy's outcome from its write's: the data's first mistake if it had one, or
    /// the write's result, a value it could not convert located in the data.
    pub fn outcome(
        mut self,
        written: Result<crate::StatementResult>,
    ) -> Result<crate::StatementResult> {
        if let Some(failed) = self.failed.take() {
            return Err(failed);
        }
        written.map_err(|e| self.located(e))
    }

    /// `error` with the line, column and value of the first value of the last batches
    /// that does not convert to its column's type, when it is such an error.
    fn located(&self, mut error: SqlError) -> SqlError {
        if !is_bad_value(error.kind) {
            return error;
        }
        for rows in &self.sent {
            if let Some((row, column, value)) = first_unconvertible(&rows.batch, &self.targets) {
                let line = rows.lines.get(row).copied().unwrap_or(row + 1);
                error.context = Some(format!(
                    "COPY {}, line {line}, column {column}: \"{value}\"",
                    self.table
                ));
                break;
            }
        }
        error
    }
}

impl Drop for CopyWriter {
    fn drop(&mut self) {
        // Unfinished (the client went away): the write's input ends in an error.
        self.rows.close_channel();
    }
}

/// The rows of a copy as a table the write's plan scans once.
#[derive(Debug)]
struct CopyInput {
    schema: Arc<Schema>,
    rows: std::sync::Mutex<
        Option<futures::channel::mpsc::Receiver<datafusion::error::Result<RecordBatch>>>,
    >,
    complete: Arc<std::sync::atomic::AtomicBool>,
}

impl datafusion::physical_plan::streaming::PartitionStream for CopyInput {
    fn schema(&self) -> &Arc<Schema> {
        &self.schema
    }

    fn execute(
        &self,
        _ctx: Arc<datafusion::execution::TaskContext>,
    ) -> datafusion::physical_plan::SendableRecordBatchStream {
        use futures::StreamExt;
        let rows = self.rows.lock().unwrap_or_else(|p| p.into_inner()).take();
        let complete = self.complete.clone();
        let cut_short = || {
            datafusion::error::DataFusionError::External(Box::new(SqlError::new(
                ErrorKind::QueryCanceled,
                "COPY from stdin failed: the data ended before its end",
            )))
        };
        let stream = match rows {
            Some(rows) => rows
                .map(Some)
                .chain(futures::stream::once(async move {
                    match complete.load(std::sync::atomic::Ordering::SeqCst) {
                        true => None,
                        false => Some(Err(cut_short())),
                    }
                }))
                .filter_map(futures::future::ready)
                .boxed(),
            None => futures::stream::once(async move { Err(cut_short()) }).boxed(),
        };
        Box::pin(
            datafusion::physical_plan::stream::RecordBatchStreamAdapter::new(
                self.schema.clone(),
                stream,
            ),
        )
    }
}

impl Session {
    /// Starts `copy`: the writer reads the data as it arrives, and the write, run by
    /// [`Session::run_copy`] at the same time, inserts its rows. Fails as the `COPY`
    /// would for an unknown table or column.
    pub async fn start_copy(&self, copy: &CopyFrom) -> Result<(CopyWriter, CopyWrite)> {
        let provider = self.copy_target(copy).await?;
        let table_schema = provider.schema();
        let columns = columns_of(copy, &table_schema)?;
        // Text is read as text and converted by the insert's casts; binary values are
        // read in their columns' own types.
        let mut fields = Vec::with_capacity(columns.len());
        for column in &columns {
            let ty = match copy.format {
                CopyInFormat::Binary => {
                    let ty = table_schema
                        .field_with_name(column)
                        .map_err(|e| SqlError::from(datafusion::error::DataFusionError::from(e)))?
                        .data_type()
                        .clone();
                    if !crate::copy_binary::reads(&ty) {
                        return Err(unsupported(format!(
                            "binary COPY of column \"{column}\" ({ty})"
                        )));
                    }
                    ty
                }
                _ => DataType::Utf8,
            };
            fields.push(Field::new(column, ty, true));
        }
        let rows_schema = Arc::new(Schema::new(fields));
        let decoded_schema = rows_schema.clone();
        let (sender, receiver) = futures::channel::mpsc::channel(BATCHES_IN_FLIGHT);
        let complete = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let input = CopyInput {
            schema: rows_schema.clone(),
            rows: std::sync::Mutex::new(Some(receiver)),
            complete: complete.clone(),
        };
        let source = datafusion::catalog::streaming::StreamingTable::try_new(
            rows_schema,
            vec![Arc::new(input)],
        )?;
        let scan =
            LogicalPlanBuilder::scan("copy_rows", provider_as_source(Arc::new(source)), None)?;
        let mut values = Vec::with_capacity(table_schema.fields().len());
        for field in table_schema.fields() {
            let value = match columns.iter().find(|c| *c == field.name()) {
                Some(name) => cast(col(format!("copy_rows.{name}")), field.data_type().clone()),
                None => match provider.get_column_default(field.name()) {
                    Some(default) => default.clone().cast_to(field.data_type(), scan.schema())?,
                    None => cast(
                        lit(datafusion::common::ScalarValue::Null),
                        field.data_type().clone(),
                    ),
                },
            };
            values.push(value.alias(field.name()));
        }
        let input = scan.project(values)?.build()?;
        let plan = LogicalPlanBuilder::insert_into(
            input,
            copy.table.clone(),
            provider_as_source(provider),
            InsertOp::Append,
        )?
        .build()?;
        let writer = CopyWriter {
            table: copy.table.table().to_string(),
            targets: Arc::new(table_schema.as_ref().clone()),
            reader: match copy.format {
                CopyInFormat::Binary => Decoder::Binary(crate::copy_binary::BinaryReader::new(
                    copy.table.table(),
                    decoded_schema,
                )),
                _ => Decoder::Text(RowReader::new(&copy.format, copy.table.table(), &columns)),
            },
            rows: sender,
            complete,
            sent: std::collections::VecDeque::new(),
            failed: None,
            progress: self.graph_context().graph().track_copy(
                copy.table.table(),
                match copy.source {
                    CopyFromSource::Client => omnigraph_engine::CopySource::Pipe,
                    CopyFromSource::File(_) => omnigraph_engine::CopySource::File,
                },
                0,
            ),
        };
        let write = CopyWrite {
            plan,
            text: copy.text.clone(),
        };
        Ok((writer, write))
    }

    /// Runs a copy's write: `COPY n` once its writer has ended, nothing written if the
    /// writer was abandoned or dropped first. Pass the result to [`CopyWriter::outcome`].
    pub async fn run_copy(&self, write: CopyWrite) -> Result<crate::StatementResult> {
        self.run_copy_plan(write.plan, CommandTag::Counted("COPY "), &write.text)
            .await
    }

    /// `COPY table FROM 'path'`: the rows of a file on the server, which only an admin
    /// may read (as PostgreSQL's `pg_read_server_files`), written as one write.
    pub async fn copy_from_file(
        &self,
        copy: &CopyFrom,
        path: &std::path::Path,
    ) -> Result<crate::StatementResult> {
        use tokio::io::AsyncReadExt;
        self.require_role(datafusion_omnigraph::Role::Admin)?;
        // The table and columns are checked before the file is opened, as PostgreSQL
        // does; a writer dropped unused writes nothing.
        let (mut writer, write) = self.start_copy(copy).await?;
        let mut file = tokio::fs::File::open(path).await.map_err(|e| {
            let kind = match e.kind() {
                std::io::ErrorKind::NotFound => ErrorKind::UndefinedFile,
                _ => ErrorKind::Io,
            };
            SqlError::new(
                kind,
                format!(
                    "could not open file \"{}\" for reading: {e}",
                    path.display()
                ),
            )
        })?;
        if let Ok(meta) = file.metadata().await {
            writer.progress.set_bytes_total(meta.len());
        }
        let read = async {
            let mut chunk = vec![0u8; 1 << 20];
            loop {
                match file.read(&mut chunk).await {
                    Ok(0) => break writer.end().await,
                    Ok(n) => writer.write(&chunk[..n]).await,
                    Err(e) => {
                        let why = SqlError::new(
                            ErrorKind::Io,
                            format!("could not read from file \"{}\": {e}", path.display()),
                        );
                        break writer.abandon(why).await;
                    }
                }
            }
        };
        let ((), written) = futures::join!(read, self.run_copy(write));
        writer.outcome(written)
    }

    async fn copy_target(
        &self,
        copy: &CopyFrom,
    ) -> Result<Arc<dyn datafusion::catalog::TableProvider>> {
        self.context()
            .table_provider(copy.table.clone())
            .await
            .map_err(|_| {
                SqlError::new(
                    ErrorKind::UndefinedTable,
                    format!("relation \"{}\" does not exist", copy.table),
                )
            })
    }
}

/// The columns `copy` reads from `schema`, its table's: those it names, or all.
fn columns_of(copy: &CopyFrom, schema: &Schema) -> Result<Vec<String>> {
    if copy.columns.is_empty() {
        return Ok(schema.fields().iter().map(|f| f.name().clone()).collect());
    }
    for (i, column) in copy.columns.iter().enumerate() {
        if schema.field_with_name(column).is_err() {
            return Err(SqlError::new(
                ErrorKind::UndefinedColumn,
                format!(
                    "column \"{column}\" of relation \"{}\" does not exist",
                    copy.table
                ),
            ));
        }
        if copy.columns[..i].contains(column) {
            return Err(SqlError::new(
                ErrorKind::DuplicateColumn,
                format!("column \"{column}\" specified more than once"),
            ));
        }
    }
    Ok(copy.columns.clone())
}

/// Errors a value that does not convert to its column's type gives.
fn is_bad_value(kind: ErrorKind) -> bool {
    matches!(
        kind,
        ErrorKind::InvalidValue
            | ErrorKind::NumericOutOfRange
            | ErrorKind::InvalidDatetimeFormat
            | ErrorKind::DatetimeFieldOverflow
    )
}

/// The first row, column and value of `rows` that Arrow's cast cannot convert to the
/// column's type in `targets`: where a failed `COPY`'s bad value most likely is (the
/// statement's own conversion is PostgreSQL's, stricter in places).
fn first_unconvertible(rows: &RecordBatch, targets: &Schema) -> Option<(usize, String, String)> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::compute::{CastOptions, cast_with_options};
    let options = CastOptions {
        safe: true,
        ..Default::default()
    };
    let mut first: Option<(usize, String, String)> = None;
    for (field, column) in rows.schema().fields().iter().zip(rows.columns()) {
        let Ok(target) = targets.field_with_name(field.name()) else {
            continue;
        };
        if matches!(target.data_type(), DataType::Utf8 | DataType::Utf8View) {
            continue;
        }
        let Ok(converted) = cast_with_options(column, target.data_type(), &options) else {
            continue;
        };
        let Some(row) = (0..column.len()).find(|&i| column.is_valid(i) && converted.is_null(i))
        else {
            continue;
        };
        if first.as_ref().is_none_or(|(r, _, _)| row < *r) {
            let value = column.as_string::<i32>().value(row).to_string();
            first = Some((row, field.name().clone(), value));
        }
    }
    first
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client's data read as rows, all at once.
    fn read_rows(
        format: &CopyInFormat,
        data: &[u8],
        table: &str,
        columns: &[String],
    ) -> Result<CopyRows> {
        let mut reader = RowReader::new(format, table, columns);
        reader.feed(data)?;
        reader.end()?;
        reader.take()
    }

    fn rows(
        format: &CopyInFormat,
        data: &str,
        columns: &[&str],
    ) -> Result<Vec<Vec<Option<String>>>> {
        let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
        let batch = read_rows(format, data.as_bytes(), "t", &columns)?.batch;
        let arrays: Vec<_> = batch
            .columns()
            .iter()
            .map(|c| {
                c.as_any()
                    .downcast_ref::<datafusion::arrow::array::StringArray>()
                    .unwrap()
                    .clone()
            })
            .collect();
        Ok((0..batch.num_rows())
            .map(|r| {
                arrays
                    .iter()
                    .map(|a| {
                        (!datafusion::arrow::array::Array::is_null(a, r))
                            .then(|| a.value(r).to_string())
                    })
                    .collect()
            })
            .collect())
    }

    fn text() -> CopyInFormat {
        CopyInFormat::Text {
            delimiter: b'\t',
            null: "\\N".into(),
        }
    }

    fn csv(header: bool) -> CopyInFormat {
        CopyInFormat::Csv {
            delimiter: b',',
            null: String::new(),
            header,
            quote: b'"',
            escape: b'"',
            force_null: vec![],
        }
    }

    fn some(s: &str) -> Option<String> {
        Some(s.to_string())
    }

    #[test]
    fn text_format_reads_escapes_and_nulls() {
        let got = rows(
            &text(),
            "a\\tb\t\\N\nc\\\\d\t\\101\\x42\n\\.\nignored\n",
            &["x", "y"],
        )
        .unwrap();
        assert_eq!(
            got,
            vec![vec![some("a\tb"), None], vec![some("c\\d"), some("AB")]]
        );
        let e = rows(&text(), "a\n", &["x", "y"]).unwrap_err();
        assert_eq!(e.kind, ErrorKind::BadCopyFileFormat);
        assert_eq!(e.message, "missing data for column \"y\"");
        assert_eq!(e.context.as_deref(), Some("COPY t, line 1: \"a\""));
        let e = rows(&text(), "a\tb\tc\n", &["x", "y"]).unwrap_err();
        assert_eq!(e.message, "extra data after last expected column");
        assert_eq!(e.context.as_deref(), Some("COPY t, line 1: \"a\tb\tc\""));
    }

    #[test]
    fn csv_reads_quotes_headers_and_nulls() {
        let data = "x,y\n\"a,b\",\n\"\",\"say \"\"hi\"\"\"\n\"two\nlines\",z\n";
        let got = rows(&csv(true), data, &["x", "y"]).unwrap();
        assert_eq!(
            got,
            vec![
                vec![some("a,b"), None],
                vec![some(""), some("say \"hi\"")],
                vec![some("two\nlines"), some("z")],
            ]
        );
        let e = rows(&csv(false), "\"open,1\n", &["x", "y"]).unwrap_err();
        assert_eq!(e.message, "unterminated CSV quoted field");
        let columns = ["x".to_string(), "y".to_string()];
        let Err(e) = read_rows(&csv(false), b"a,\xff\n", "t", &columns) else {
            panic!("bytes that are not UTF-8 were read");
        };
        assert_eq!(e.kind, ErrorKind::CharacterNotInRepertoire);
        assert_eq!(
            e.message,
            "invalid byte sequence for encoding \"UTF8\": 0xff"
        );
        assert_eq!(e.context.as_deref(), Some("COPY t, line 1"));
    }
}
