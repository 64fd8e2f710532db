//! How statement results are printed: the output formats, command tags and timings.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use clap::ValueEnum;
use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::csv::WriterBuilder;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::util::display::ArrayFormatter;
use datafusion::config::FormatOptions;
use datafusion_cli::print_format::PrintFormat;
use datafusion_cli::print_options::MaxRows;
use omnigraph_sql::StatementResult;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Csv,
    Json,
    Ndjson,
}

impl Format {
    fn print_format(self) -> PrintFormat {
        match self {
            Format::Table => PrintFormat::Table,
            Format::Csv => PrintFormat::Csv,
            Format::Json => PrintFormat::Json,
            Format::Ndjson => PrintFormat::NdJson,
        }
    }
}

/// Where and how results go: rows to stdout in `format`; tags, notices and timings to
/// stderr (unless `quiet`), so stdout holds only data.
pub struct Output {
    pub format: Format,
    quiet: bool,
    format_options: FormatOptions,
}

impl Output {
    pub fn new(format: Format, quiet: bool) -> Self {
        Output {
            format,
            quiet,
            format_options: FormatOptions {
                null: "NULL".to_string(),
                ..Default::default()
            },
        }
    }

    pub fn print(&self, result: &StatementResult, started: Instant) -> std::io::Result<()> {
        let stdout = std::io::stdout();
        let mut out = stdout.lock();
        let csv;
        let result = if self.format == Format::Csv {
            let (schema, batches) = csv_safe(result)?;
            csv = StatementResult {
                schema,
                batches,
                tag: result.tag.clone(),
                notices: result.notices.clone(),
            };
            &csv
        } else {
            result
        };
        for notice in &result.notices {
            eprintln!("NOTICE:  {notice}");
        }
        // Writes report their command tag (`INSERT 0 2`), as psql shows them.
        let is_write = ["INSERT", "UPDATE", "DELETE", "TRUNCATE"]
            .iter()
            .any(|w| result.tag.starts_with(w));
        if is_write {
            if !self.quiet {
                eprintln!("{}", result.tag);
            }
        } else if result.has_columns() {
            let empty = result.row_count() == 0;
            match (self.format, empty) {
                (Format::Csv, true) => {
                    // datafusion-cli prints nothing for an empty CSV result; we keep the header.
                    let mut writer = WriterBuilder::new().with_header(true).build(&mut out);
                    let batch = RecordBatch::new_empty(result.schema.clone());
                    writer.write(&batch).map_err(std::io::Error::other)?;
                }
                _ => self
                    .format
                    .print_format()
                    .print_batches(
                        &mut out,
                        result.schema.clone(),
                        &result.batches,
                        MaxRows::Unlimited,
                        true,
                        &self.format_options,
                    )
                    .map_err(std::io::Error::other)?,
            }
            out.flush()?;
            if !self.quiet {
                eprintln!(
                    "{} row(s) in {:.3}s",
                    result.row_count(),
                    started.elapsed().as_secs_f64()
                );
            }
        } else if !self.quiet {
            eprintln!("{}", result.tag);
        }
        Ok(())
    }
}

/// CSV cannot hold nested values (lists, vectors): such columns are written as their
/// text form, as psql shows arrays.
fn csv_safe(result: &StatementResult) -> std::io::Result<(SchemaRef, Vec<RecordBatch>)> {
    let nested =
        |dt: &DataType| dt.is_nested() || matches!(dt, DataType::Binary | DataType::LargeBinary);
    if !result.schema.fields().iter().any(|f| nested(f.data_type())) {
        return Ok((result.schema.clone(), result.batches.clone()));
    }
    let fields: Vec<Field> = result
        .schema
        .fields()
        .iter()
        .map(|f| {
            if nested(f.data_type()) {
                Field::new(f.name(), DataType::Utf8, true)
            } else {
                f.as_ref().clone()
            }
        })
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let options = datafusion::arrow::util::display::FormatOptions::default();
    let mut batches = Vec::with_capacity(result.batches.len());
    for batch in &result.batches {
        let mut columns: Vec<ArrayRef> = Vec::with_capacity(batch.num_columns());
        for (i, column) in batch.columns().iter().enumerate() {
            if nested(result.schema.field(i).data_type()) {
                let fmt = ArrayFormatter::try_new(column.as_ref(), &options)
                    .map_err(std::io::Error::other)?;
                let text: StringArray = (0..column.len())
                    .map(|r| column.is_valid(r).then(|| fmt.value(r).to_string()))
                    .collect();
                columns.push(Arc::new(text));
            } else {
                columns.push(column.clone());
            }
        }
        batches.push(RecordBatch::try_new(schema.clone(), columns).map_err(std::io::Error::other)?);
    }
    Ok((schema, batches))
}
