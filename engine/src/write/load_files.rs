//! Loads of files on the machine running the engine, in one commit: NDJSON (node and
//! edge lines), CSV (with a header) and Parquet (one table per file), named as a file,
//! a glob or a directory.
//!
//! A CSV or Parquet file's rows go to the node or edge type the caller names, or else
//! the one its file name names (`person.csv` → `Person`, `knows-0001.parquet` →
//! `Knows`), or its directory's (`knows/part-0.parquet`). Its columns are the type's
//! properties by name; an edge's endpoints are `src`/`dst` (or `from`/`to`).
//!
//! CSV and Parquet files are decoded on a thread of their own into Arrow batches, while
//! the load's task derives ids, records what the checks need and hands the rows to the
//! tables' writers.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use super::WriteOptions;
use super::loader::{Load, LoadMode, LoadSummary};
use crate::error::{Error, IntegrityViolation, Result};
use crate::graph::Graph;
use crate::progress::{CopyProgress, CopySource};
use crate::schema::{GraphSchema, PropType, TableDef, arrow_type};

/// Rows per decoded batch.
const BATCH_ROWS: usize = 8192;

/// Decoded batches waiting for the load, at most.
const BATCHES_AHEAD: usize = 4;

/// How a file's rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileFormat {
    /// Node and edge lines (`.ndjson`, `.jsonl`, `.json`).
    Ndjson,
    /// Comma-separated values with a header line (`.csv`).
    Csv,
    /// Apache Parquet (`.parquet`).
    Parquet,
}

impl FileFormat {
    /// The format a file name's extension says, if it names one.
    pub fn of(path: &Path) -> Option<FileFormat> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "ndjson" | "jsonl" | "json" => Some(FileFormat::Ndjson),
            "csv" => Some(FileFormat::Csv),
            "parquet" => Some(FileFormat::Parquet),
            _ => None,
        }
    }
}

fn cannot_open(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("cannot open '{}': {e}", path.display()))
}

/// The files `path` names: itself, the files of a directory whose format is known
/// (sorted), or the files a glob (`*`, `?`, `[...]`) matches (sorted).
pub fn files_of(path: &str) -> Result<Vec<PathBuf>> {
    let named = Path::new(path);
    if named.is_dir() {
        let mut files = Vec::new();
        for entry in std::fs::read_dir(named).map_err(|e| cannot_open(named, e))? {
            let file = entry.map_err(|e| cannot_open(named, e))?.path();
            if file.is_file() && FileFormat::of(&file).is_some() {
                files.push(file);
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(Error::InvalidArgument(format!(
                "directory '{path}' has no .ndjson, .jsonl, .json, .csv or .parquet file"
            )));
        }
        return Ok(files);
    }
    if path.contains(['*', '?', '[']) {
        let pattern = glob::glob(path)
            .map_err(|e| Error::InvalidArgument(format!("bad pattern '{path}': {e}")))?;
        let mut files = Vec::new();
        for file in pattern {
            let file = file.map_err(|e| cannot_open(e.path(), e.error()))?;
            if file.is_file() {
                files.push(file);
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(Error::InvalidArgument(format!("no file matches '{path}'")));
        }
        return Ok(files);
    }
    Ok(vec![named.to_path_buf()])
}

/// The table a CSV or Parquet file's rows go to: `given`, or the type its name (or its
/// directory's) names.
fn table_for(schema: &GraphSchema, path: &Path, given: Option<&str>) -> Result<String> {
    if let Some(name) = given {
        return schema
            .table(name)
            .map(|def| def.table().to_string())
            .ok_or_else(|| Error::UnknownTable(name.to_string()));
    }
    let stem = path
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    // `knows-0001`, `knows_2`: a part of the type's rows.
    let base = stem.trim_end_matches(|c: char| c.is_ascii_digit());
    let base = base.trim_end_matches(['-', '_', '.']);
    let directory = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|s| s.to_str())
        .unwrap_or_default();
    for candidate in [stem, base, directory] {
        if candidate.is_empty() {
            continue;
        }
        if let Some(def) = schema.table(candidate) {
            return Ok(def.table().to_string());
        }
    }
    Err(Error::InvalidArgument(format!(
        "which node or edge type do the rows of '{}' belong to? Name the file after the type, or give the type: CALL load(path, mode, 'Type')",
        path.display()
    )))
}

/// The column of `def` a file's column `name` holds: an endpoint (`src`/`from`,
/// `dst`/`to`), a property by column or declared name, or `id` (derived, so ignored).
fn column_for(def: TableDef<'_>, name: &str) -> Result<Option<(String, DataType)>> {
    let lower = name.to_ascii_lowercase();
    if let TableDef::Edge(_) = def {
        match lower.as_str() {
            "src" | "from" => return Ok(Some(("src".into(), DataType::Utf8))),
            "dst" | "to" => return Ok(Some(("dst".into(), DataType::Utf8))),
            _ => {}
        }
    }
    if lower == "id" {
        return Ok(None);
    }
    let prop = def
        .properties()
        .iter()
        .find(|p| p.column == name || p.declared_name == name)
        .or_else(|| {
            def.properties().iter().find(|p| {
                p.column.eq_ignore_ascii_case(name) || p.declared_name.eq_ignore_ascii_case(name)
            })
        })
        .ok_or_else(|| IntegrityViolation::UnknownProperty {
            table: def.table().to_string(),
            column: name.to_string(),
        })?;
    // CSV text of these types is read as text and converted by the load's cast.
    let read_as = match &prop.ty {
        PropType::Bool
        | PropType::I32
        | PropType::I64
        | PropType::U32
        | PropType::U64
        | PropType::F32
        | PropType::F64
        | PropType::Date => arrow_type(&prop.ty),
        _ => DataType::Utf8,
    };
    Ok(Some((prop.column.clone(), read_as)))
}

/// Decoded batches of one file, with the line (CSV) or row (Parquet) of their first row.
type Decoded = tokio::sync::mpsc::Receiver<Result<(RecordBatch, u64)>>;

/// A file read, counted in the load's progress.
struct Counted<R> {
    inner: R,
    progress: Arc<CopyProgress>,
}

impl<R: std::io::Read> std::io::Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.add_bytes(n as u64);
        Ok(n)
    }
}

/// Decodes `path` on a blocking thread: batches with their columns named as `def`'s.
fn decode(
    path: PathBuf,
    format: FileFormat,
    def: TableDef<'_>,
    progress: Arc<CopyProgress>,
) -> Result<Decoded> {
    let (sender, receiver) = tokio::sync::mpsc::channel(BATCHES_AHEAD);
    match format {
        FileFormat::Csv => {
            let file = std::fs::File::open(&path).map_err(|e| cannot_open(&path, e))?;
            let header = arrow_csv::reader::Format::default()
                .with_header(true)
                .infer_schema(&file, Some(0))
                .map_err(|e| Error::at_line(1, Error::BadInput(e.to_string())))?
                .0;
            let (file_schema, kept) = renamed(def, header.fields().iter().map(|f| f.name()))?;
            let file = std::fs::File::open(&path).map_err(|e| cannot_open(&path, e))?;
            let reader = arrow_csv::ReaderBuilder::new(file_schema)
                .with_header(true)
                .with_batch_size(BATCH_ROWS)
                .build(Counted {
                    inner: file,
                    progress,
                })?;
            tokio::task::spawn_blocking(move || {
                let mut line = 2u64;
                for batch in reader {
                    let batch = batch
                        .map_err(|e| Error::BadInput(format!("{}: {e}", path.display())))
                        .and_then(|b| Ok(b.project(&kept)?));
                    let rows = batch.as_ref().map_or(0, |b| b.num_rows() as u64);
                    let failed = batch.is_err();
                    if sender.blocking_send(batch.map(|b| (b, line))).is_err() || failed {
                        return;
                    }
                    line += rows;
                }
            });
        }
        FileFormat::Parquet => {
            let file = std::fs::File::open(&path).map_err(|e| cannot_open(&path, e))?;
            let builder =
                parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
                    .map_err(|e| Error::BadInput(format!("{}: {e}", path.display())))?;
            let names: Vec<String> = builder
                .schema()
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .collect();
            let (target, kept) = renamed(def, names.iter())?;
            // Bytes read, as far as rows tell: a row's share of the file.
            let file_bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
            let file_rows = builder.metadata().file_metadata().num_rows().max(1) as u64;
            let reader = builder
                .with_batch_size(BATCH_ROWS)
                .build()
                .map_err(|e| Error::BadInput(format!("{}: {e}", path.display())))?;
            let names: Vec<String> = kept
                .iter()
                .map(|i| target.field(*i).name().clone())
                .collect();
            tokio::task::spawn_blocking(move || {
                let mut row = 1u64;
                for batch in reader {
                    let batch = batch
                        .map_err(|e| Error::BadInput(format!("{}: {e}", path.display())))
                        .and_then(|b| named(&b.project(&kept)?, &names));
                    let rows = batch.as_ref().map_or(0, |b| b.num_rows() as u64);
                    progress.add_bytes(file_bytes * rows / file_rows);
                    let failed = batch.is_err();
                    if sender.blocking_send(batch.map(|b| (b, row))).is_err() || failed {
                        return;
                    }
                    row += rows;
                }
            });
        }
        FileFormat::Ndjson => unreachable!("NDJSON is read line by line"),
    }
    Ok(receiver)
}

/// Lines parsed per message of [`parse_ndjson`].
const NDJSON_LINES: usize = 1024;

/// Parsed NDJSON lines with their numbers, a message of lines at a time.
type ParsedLines = tokio::sync::mpsc::Receiver<Result<Vec<(u64, serde_json::Value)>>>;

/// Reads and parses NDJSON `path` on a blocking thread, while the load writes the lines
/// parsed before. Blank lines are skipped; a line that is not JSON ends the file with
/// its error.
fn parse_ndjson(path: PathBuf, progress: Arc<CopyProgress>) -> Result<ParsedLines> {
    use std::io::BufRead;
    let file = std::fs::File::open(&path).map_err(|e| cannot_open(&path, e))?;
    let (sender, receiver) = tokio::sync::mpsc::channel(BATCHES_AHEAD);
    tokio::task::spawn_blocking(move || {
        let mut lines = std::io::BufReader::with_capacity(1 << 20, file).lines();
        let mut number = 0u64;
        let mut chunk = Vec::with_capacity(NDJSON_LINES);
        loop {
            let next = lines.next();
            let done = next.is_none();
            if let Some(text) = next {
                number += 1;
                let parsed = text
                    .map_err(|e| Error::at_line(number, Error::BadInput(e.to_string())))
                    .and_then(|text| {
                        progress.add_bytes(text.len() as u64 + 1);
                        if text.trim().is_empty() {
                            return Ok(None);
                        }
                        progress.add_tuples(1);
                        super::loader::parse_line(number, &text).map(Some)
                    });
                match parsed {
                    Ok(Some(value)) => chunk.push((number, value)),
                    Ok(None) => {}
                    Err(e) => {
                        let _ = sender.blocking_send(Ok(std::mem::take(&mut chunk)));
                        let _ = sender.blocking_send(Err(e));
                        return;
                    }
                }
            }
            let full = (done && !chunk.is_empty()) || chunk.len() == NDJSON_LINES;
            if full
                && sender
                    .blocking_send(Ok(std::mem::take(&mut chunk)))
                    .is_err()
            {
                return;
            }
            if done {
                return;
            }
        }
    });
    Ok(receiver)
}

/// The schema a file's columns are read with (named as `def`'s columns), and which of
/// the file's columns it keeps (an `id` column is dropped: ids are derived).
fn renamed<'n>(
    def: TableDef<'_>,
    names: impl Iterator<Item = &'n String>,
) -> Result<(SchemaRef, Vec<usize>)> {
    let mut fields = Vec::new();
    let mut kept = Vec::new();
    for (i, name) in names.enumerate() {
        match column_for(def, name)? {
            Some((column, ty)) => {
                if fields.iter().any(|f: &Field| f.name() == &column) {
                    return Err(IntegrityViolation::InvalidValue {
                        table: def.table().to_string(),
                        column,
                        message: format!("given twice (as '{name}' and another column)"),
                    }
                    .into());
                }
                fields.push(Field::new(column, ty, true));
                kept.push(i);
            }
            None => fields.push(Field::new(format!("__ignored_{i}"), DataType::Utf8, true)),
        }
    }
    Ok((Arc::new(Schema::new(fields)), kept))
}

/// `batch` with its columns renamed to `names`.
fn named(batch: &RecordBatch, names: &[String]) -> Result<RecordBatch> {
    let fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .zip(names)
        .map(|(f, name)| Field::new(name, f.data_type().clone(), true))
        .collect();
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        batch.columns().to_vec(),
    )?)
}

impl Graph {
    /// Loads the files `path` names (a file, a directory or a glob; NDJSON, CSV or
    /// Parquet by extension) into `branch` as one commit, all or nothing. CSV and
    /// Parquet rows go to `table` (a node or edge type) if given, else to the type each
    /// file is named after.
    pub async fn load_path(
        &self,
        branch: &str,
        path: &str,
        mode: LoadMode,
        table: Option<&str>,
        opts: &WriteOptions,
    ) -> Result<LoadSummary> {
        let files = files_of(path)?;
        self.require_writable()?;
        let _writing = self.writing().await;
        crate::recovery::heal_own_before_write(self).await?;
        let snapshot = self.snapshot(branch).await?;
        if snapshot.schema().is_empty() {
            return Err(Error::NoSchema);
        }
        let bytes_total: u64 = files
            .iter()
            .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
            .sum();
        let progress = self.track_copy("", CopySource::File, bytes_total);
        let mut load = Load::new(&snapshot, mode, false);
        for file in &files {
            let in_file = |e: Error| match files.len() {
                1 => e,
                _ => e.in_file(file),
            };
            let format = FileFormat::of(file).unwrap_or(FileFormat::Ndjson);
            if format == FileFormat::Ndjson {
                let mut parsed = parse_ndjson(file.clone(), progress.progress())?;
                while let Some(lines) = parsed.recv().await {
                    for (number, value) in lines.map_err(in_file)? {
                        load.value(number, value).await.map_err(in_file)?;
                    }
                }
                continue;
            }
            let name = table_for(snapshot.schema(), file, table)?;
            let (def, _) = snapshot.table(&name)?;
            progress.set_relation(&name);
            let mut decoded =
                decode(file.clone(), format, def, progress.progress()).map_err(in_file)?;
            while let Some(next) = decoded.recv().await {
                let (batch, first) = next.map_err(in_file)?;
                load.batch(&name, &batch, first).await.map_err(in_file)?;
                progress.add_tuples(batch.num_rows() as u64);
            }
        }
        let described = if files.len() == 1 {
            files[0].display().to_string()
        } else {
            format!("{} files", files.len())
        };
        load.commit(self, branch, opts, |summary| {
            format!(
                "load ({}) of {described}: {} nodes, {} edges",
                mode.as_str(),
                summary.nodes,
                summary.edges
            )
        })
        .await
    }
}
