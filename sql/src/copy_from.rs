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
use datafusion::datasource::{MemTable, provider_as_source};
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
        let (mut csv, mut header) = (false, false);
        let (mut delimiter, mut null, mut quote, mut escape) = (None, None, None, None);
        let mut force_null = Vec::new();
        for option in options {
            match option {
                CopyOption::Format(f) if f.value.eq_ignore_ascii_case("csv") => csv = true,
                CopyOption::Format(f) if f.value.eq_ignore_ascii_case("text") => csv = false,
                CopyOption::Format(f) if f.value.eq_ignore_ascii_case("binary") => {
                    return Err(unsupported("COPY FROM STDIN in binary format"));
                }
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
                CopyLegacyOption::Binary => {
                    return Err(unsupported("COPY FROM STDIN in binary format"));
                }
                other => return Err(unsupported(format!("COPY FROM option {other}"))),
            }
        }
        let csv_only = |what: &str| {
            SqlError::new(
                ErrorKind::NotSupported,
                format!("COPY {what} available only in CSV mode"),
            )
        };
        let format = if csv {
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
    SqlError::new(kind, format!("{message} (COPY {table}, line {line})"))
}

/// The rows of a `COPY`: one string column per copied column (NULL for a NULL field),
/// and the line each row starts on.
pub struct CopyRows {
    pub batch: RecordBatch,
    pub lines: Vec<usize>,
}

/// The client's data read as rows.
pub fn read_rows(
    format: &CopyInFormat,
    data: &[u8],
    table: &str,
    columns: &[String],
) -> Result<CopyRows> {
    let mut builders: Vec<StringBuilder> = columns.iter().map(|_| StringBuilder::new()).collect();
    let mut lines = Vec::new();
    let mut push_row = |fields: Vec<Option<String>>, line: usize| -> Result<()> {
        if fields.len() < columns.len() {
            return Err(bad_data(
                ErrorKind::BadCopyFileFormat,
                format!("missing data for column \"{}\"", columns[fields.len()]),
                table,
                line,
            ));
        }
        if fields.len() > columns.len() {
            return Err(bad_data(
                ErrorKind::BadCopyFileFormat,
                "extra data after last expected column".to_string(),
                table,
                line,
            ));
        }
        for (builder, field) in builders.iter_mut().zip(fields) {
            builder.append_option(field);
        }
        lines.push(line);
        Ok(())
    };
    match format {
        CopyInFormat::Text { delimiter, null } => {
            for (i, line) in data.split(|b| *b == b'\n').enumerate() {
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let number = i + 1;
                if line == b"\\." {
                    break;
                }
                if line.is_empty() && i + 1 == data.split(|b| *b == b'\n').count() {
                    break;
                }
                let fields = text_fields(line, *delimiter, null)
                    .map_err(|(kind, m)| bad_data(kind, m, table, number))?;
                push_row(fields, number)?;
            }
        }
        CopyInFormat::Csv {
            delimiter,
            null,
            header,
            quote,
            escape,
            force_null,
        } => {
            let forced: Vec<bool> = columns.iter().map(|c| force_null.contains(c)).collect();
            let mut records = CsvRecords {
                data,
                at: 0,
                line: 1,
                delimiter: *delimiter,
                quote: *quote,
                escape: *escape,
            };
            let mut first = true;
            while let Some(record) = records.next_record() {
                let (line, fields) = record
                    .map_err(|(line, m)| bad_data(ErrorKind::BadCopyFileFormat, m, table, line))?;
                if std::mem::take(&mut first) && *header {
                    continue;
                }
                if fields.len() == 1 && !fields[0].quoted && fields[0].bytes == b"\\." {
                    break;
                }
                let mut values = Vec::with_capacity(fields.len());
                for (i, field) in fields.into_iter().enumerate() {
                    let is_null = field.bytes == null.as_bytes()
                        && (!field.quoted || forced.get(i).copied().unwrap_or(false));
                    values.push(match is_null {
                        true => None,
                        false => Some(
                            utf8(field.bytes)
                                .map_err(|(kind, m)| bad_data(kind, m, table, line))?,
                        ),
                    });
                }
                push_row(values, line)?;
            }
        }
    }
    let fields: Vec<Field> = columns
        .iter()
        .map(|c| Field::new(c, DataType::Utf8, true))
        .collect();
    let arrays: Vec<ArrayRef> = builders
        .iter_mut()
        .map(|b| Arc::new(b.finish()) as ArrayRef)
        .collect();
    let batch = RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
        .map_err(|e| SqlError::from(datafusion::error::DataFusionError::from(e)))?;
    Ok(CopyRows { batch, lines })
}

type FieldError = (ErrorKind, String);

fn utf8(bytes: Vec<u8>) -> std::result::Result<String, FieldError> {
    String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        let bad = &e.as_bytes()[at..(at + 1).min(e.as_bytes().len())];
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
fn text_fields(
    line: &[u8],
    delimiter: u8,
    null: &str,
) -> std::result::Result<Vec<Option<String>>, FieldError> {
    let mut fields = Vec::new();
    let mut start = 0;
    let mut i = 0;
    loop {
        if i == line.len() || line[i] == delimiter {
            let raw = &line[start..i];
            fields.push(match raw == null.as_bytes() {
                true => None,
                false => Some(utf8(unescape(raw))?),
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
}

type CsvRecord = std::result::Result<(usize, Vec<CsvField>), (usize, String)>;

impl CsvRecords<'_> {
    fn next_record(&mut self) -> Option<CsvRecord> {
        if self.at >= self.data.len() {
            return None;
        }
        let first_line = self.line;
        let mut fields = Vec::new();
        let mut field = CsvField {
            bytes: Vec::new(),
            quoted: false,
        };
        let data = self.data;
        loop {
            let Some(&b) = data.get(self.at) else {
                fields.push(field);
                return Some(Ok((first_line, fields)));
            };
            self.at += 1;
            if b == self.quote {
                field.quoted = true;
                loop {
                    let Some(&q) = data.get(self.at) else {
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

impl Session {
    /// `COPY table FROM 'path'`: the rows of a file on the server, which only an admin
    /// may read (as PostgreSQL's `pg_read_server_files`), inserted as one write.
    pub async fn copy_from_file(
        &self,
        copy: &CopyFrom,
        path: &std::path::Path,
    ) -> Result<crate::StatementResult> {
        self.require_role(datafusion_omnigraph::Role::Admin)?;
        let columns = self.copy_columns(copy).await?;
        let data = tokio::fs::read(path).await.map_err(|e| {
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
        let rows = read_rows(&copy.format, &data, copy.table.table(), &columns)?;
        drop(data);
        self.copy_from(copy, rows).await
    }

    /// The columns `copy` reads, in the client's order: those it names, or every column
    /// of its table. Fails as the `COPY` would for an unknown table or column.
    pub async fn copy_columns(&self, copy: &CopyFrom) -> Result<Vec<String>> {
        columns_of(copy, &self.copy_target(copy).await?.schema())
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

    /// Inserts the rows a client sent for `copy` (string columns, named by the copied
    /// columns) as one write: `COPY n`.
    pub async fn copy_from(
        &self,
        copy: &CopyFrom,
        rows: CopyRows,
    ) -> Result<crate::StatementResult> {
        let CopyRows { batch: rows, lines } = rows;
        let located = rows.clone();
        let provider = self.copy_target(copy).await?;
        let table_schema = provider.schema();
        let columns = columns_of(copy, &table_schema)?;
        let scan = LogicalPlanBuilder::scan(
            "copy_rows",
            provider_as_source(Arc::new(MemTable::try_new(
                rows.schema(),
                vec![vec![rows]],
            )?)),
            None,
        )?;
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
        let targets = table_schema.clone();
        self.run_write_plan(plan, CommandTag::Counted("COPY "), &copy.text)
            .await
            .map_err(|mut e| {
                if is_bad_value(e.kind)
                    && let Some((row, column, value)) = first_unconvertible(&located, &targets)
                {
                    let line = lines.get(row).copied().unwrap_or(row + 1);
                    e.message = format!(
                        "{} (COPY {}, line {line}, column {column}: \"{value}\")",
                        e.message,
                        copy.table.table()
                    );
                }
                e
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
        assert_eq!(e.message, "missing data for column \"y\" (COPY t, line 1)");
        let e = rows(&text(), "a\tb\tc\n", &["x", "y"]).unwrap_err();
        assert_eq!(
            e.message,
            "extra data after last expected column (COPY t, line 1)"
        );
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
        assert_eq!(e.message, "unterminated CSV quoted field (COPY t, line 1)");
        let columns = ["x".to_string(), "y".to_string()];
        let Err(e) = read_rows(&csv(false), b"a,\xff\n", "t", &columns) else {
            panic!("bytes that are not UTF-8 were read");
        };
        assert_eq!(e.kind, ErrorKind::CharacterNotInRepertoire);
        assert_eq!(
            e.message,
            "invalid byte sequence for encoding \"UTF8\": 0xff (COPY t, line 1)"
        );
    }
}
