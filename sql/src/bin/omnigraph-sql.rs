//! `omnigraph-sql`: an interactive SQL shell on a local graph, in the datafusion-cli style.
//!
//! Every statement goes through `omnigraph_sql::Session` (so `CALL`, `SET omnigraph.*`
//! and `FOR SYSTEM_TIME AS OF` work); datafusion-cli's library provides the line editor
//! helper, history and output formats.
// The statement router's async state machines (a session inside the shell's loop) nest
// deeper than the default query depth when their layout is computed for test builds.
#![recursion_limit = "256"]

use std::borrow::Cow;
use std::io::Write;
use std::process::ExitCode;
use std::time::Instant;

use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};
use datafusion::arrow::csv::WriterBuilder;
use datafusion::config::{Dialect, FormatOptions};
use datafusion_cli::helper::CliHelper;
use datafusion_cli::print_format::PrintFormat;
use datafusion_cli::print_options::MaxRows;
use std::sync::Arc;

use datafusion::arrow::array::{Array, ArrayRef, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::arrow::util::display::ArrayFormatter;
use omnigraph_sql::{ErrorKind, Session, SqlError, StatementResult, demo};
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Editor, Helper};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
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

/// Interactive SQL shell on an OmniGraph graph.
#[derive(Debug, Parser)]
#[command(name = "omnigraph-sql", version, about)]
struct Args {
    /// Graph directory (or URI); created if missing.
    #[arg(long)]
    graph: String,
    /// Run this SQL and exit (repeatable; runs in order).
    #[arg(short = 'c', long = "command")]
    commands: Vec<String>,
    /// Run the SQL in this file and exit (repeatable).
    #[arg(short = 'f', long = "file")]
    files: Vec<String>,
    /// Output format of query results.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// Branch the session starts on.
    #[arg(long)]
    branch: Option<String>,
    /// Create the demo social graph at --graph if it has no schema yet.
    #[arg(long)]
    demo: bool,
    /// Do not print timings and command tags.
    #[arg(short, long)]
    quiet: bool,
}

struct Shell {
    session: Session,
    format: Format,
    quiet: bool,
    format_options: FormatOptions,
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

impl Shell {
    fn print(&self, result: &StatementResult, started: Instant) -> std::io::Result<()> {
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
                    let batch =
                        datafusion::arrow::array::RecordBatch::new_empty(result.schema.clone());
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

    /// Runs `sql`, printing each statement's result; stops at the first error.
    async fn run(&self, sql: &str) -> Result<(), SqlError> {
        for statement in Session::parse(sql)? {
            let started = Instant::now();
            let result = self.session.execute_statement(statement).await?;
            self.print(&result, started).map_err(|e| {
                SqlError::new(ErrorKind::Io, format!("could not write the result: {e}"))
            })?;
        }
        Ok(())
    }

    async fn repl(&mut self) {
        let mut editor: Editor<ReplHelper, DefaultHistory> = match Editor::new() {
            Ok(e) => e,
            Err(e) => {
                eprintln!("cannot start the line editor: {e}");
                return;
            }
        };
        editor.set_helper(Some(ReplHelper(CliHelper::new(
            &Dialect::PostgreSQL,
            false,
        ))));
        let history = std::env::var_os("HOME")
            .map(|h| std::path::PathBuf::from(h).join(".omnigraph_sql_history"))
            .unwrap_or_else(|| ".omnigraph_sql_history".into());
        let _ = editor.load_history(&history);
        eprintln!("omnigraph-sql: \\? for help, \\q to quit. Statements end with ';'.");
        loop {
            let prompt = format!("{}> ", self.session.settings().branch);
            match editor.readline(&prompt) {
                Ok(line) if line.trim_start().starts_with('\\') => {
                    let _ = editor.add_history_entry(line.trim_end());
                    if !self.command(line.trim()).await {
                        break;
                    }
                }
                Ok(line) => {
                    let _ = editor.add_history_entry(line.trim_end());
                    tokio::select! {
                        res = self.run(&line) => if let Err(e) = res { print_error(&e) },
                        _ = tokio::signal::ctrl_c() => eprintln!("^C (statement cancelled)"),
                    }
                }
                Err(ReadlineError::Interrupted) => eprintln!("^C"),
                Err(ReadlineError::Eof) => break,
                Err(e) => {
                    eprintln!("input error: {e}");
                    break;
                }
            }
        }
        let _ = editor.save_history(&history);
    }

    /// Handles a backslash command; false means quit.
    async fn command(&mut self, line: &str) -> bool {
        let mut parts = line[1..].split_whitespace();
        match (parts.next(), parts.next(), parts.next()) {
            (Some("q"), _, _) => return false,
            (Some("?"), _, _) | (Some("h"), _, _) => eprintln!(
                "\\q quit · \\d list tables · \\dn list branches · \\pset format table|csv|json|ndjson\n\
                 SET omnigraph.branch = 'b' · SET omnigraph.as_of = <ref> · CALL create_branch('b') · see docs/sql-reference.md"
            ),
            (Some("d"), None, _) => {
                let sql = "SELECT table_name, kind, type_name, row_count FROM omnigraph.tables ORDER BY table_name";
                if let Err(e) = self.run(sql).await {
                    print_error(&e);
                }
            }
            (Some("dn"), _, _) => {
                if let Err(e) = self.run("SELECT * FROM omnigraph.branches").await {
                    print_error(&e);
                }
            }
            (Some("d"), Some(table), _) => {
                let sql = format!(
                    "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public' AND table_name = '{}'",
                    table.replace('\'', "''")
                );
                if let Err(e) = self.run(&sql).await {
                    print_error(&e);
                }
            }
            (Some("pset"), Some("format"), Some(f)) => match Format::from_str(f, true) {
                Ok(format) => self.format = format,
                Err(_) => eprintln!("unknown format '{f}' (table, csv, json, ndjson)"),
            },
            _ => eprintln!("unknown command '{line}'; \\? for help"),
        }
        true
    }
}

/// A `-c` command or a `-f` file, in the order given on the command line.
enum Script {
    Command(String),
    File(String),
}

fn scripts_in_order(matches: &clap::ArgMatches) -> Vec<Script> {
    let mut ordered: Vec<(usize, Script)> = Vec::new();
    for (id, make) in [
        ("commands", Script::Command as fn(String) -> Script),
        ("files", Script::File),
    ] {
        if let (Some(indices), Some(values)) =
            (matches.indices_of(id), matches.get_many::<String>(id))
        {
            ordered.extend(indices.zip(values).map(|(i, v)| (i, make(v.clone()))));
        }
    }
    ordered.sort_by_key(|(i, _)| *i);
    ordered.into_iter().map(|(_, s)| s).collect()
}

fn print_error(e: &SqlError) {
    eprintln!("ERROR:  {} (SQLSTATE {})", e.message, e.sqlstate());
}

/// datafusion-cli's helper, with a validator that accepts our statements (`CALL`, version
/// clauses): a statement is complete once it ends with `;` outside quotes.
struct ReplHelper(CliHelper);

fn ends_statement(input: &str) -> bool {
    let (mut single, mut double) = (false, false);
    let mut last_significant = None;
    let chars: Vec<char> = input.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        if !single && !double && c == '-' && chars.get(i) == Some(&'-') {
            // A `--` comment runs to the end of the line.
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            continue;
        }
        match c {
            '\'' if !double => single = !single,
            '"' if !single => double = !double,
            _ => {}
        }
        if !c.is_whitespace() {
            last_significant = Some((c, single || double));
        }
    }
    matches!(last_significant, Some((';', false)))
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        let input = ctx.input().trim();
        if input.is_empty() || input.starts_with('\\') || ends_statement(input) {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, pos: usize) -> Cow<'l, str> {
        self.0.highlight(line, pos)
    }
    fn highlight_char(&self, line: &str, pos: usize, kind: CmdKind) -> bool {
        self.0.highlight_char(line, pos, kind)
    }
}

impl Hinter for ReplHelper {
    type Hint = String;
    fn hint(&self, line: &str, pos: usize, ctx: &Context<'_>) -> Option<String> {
        self.0.hint(line, pos, ctx)
    }
}

impl Completer for ReplHelper {
    type Candidate = Pair;
    fn complete(
        &self,
        line: &str,
        pos: usize,
        ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        self.0.complete(line, pos, ctx)
    }
}

impl Helper for ReplHelper {}

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    let matches = Args::command().get_matches();
    let args = Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let scripts = scripts_in_order(&matches);
    let session = if args.demo {
        match demo::ensure_demo_graph(&args.graph).await {
            Ok(graph) => Session::new(graph).await,
            Err(e) => Err(e.into()),
        }
    } else {
        Session::open(&args.graph).await
    };
    let session = match session {
        Ok(s) => s,
        Err(e) => {
            print_error(&e);
            return ExitCode::FAILURE;
        }
    };
    if let Some(branch) = &args.branch
        && let Err(e) = session.set_branch(branch).await
    {
        print_error(&e);
        return ExitCode::FAILURE;
    }
    let format_options = FormatOptions {
        null: "NULL".to_string(),
        ..Default::default()
    };
    let mut shell = Shell {
        session,
        format: args.format,
        quiet: args.quiet,
        format_options,
    };
    if args.commands.is_empty() && args.files.is_empty() {
        shell.repl().await;
        return ExitCode::SUCCESS;
    }
    for script in scripts {
        let sql = match script {
            Script::Command(sql) => sql,
            Script::File(file) => match std::fs::read_to_string(&file) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("ERROR:  cannot read {file}: {e}");
                    return ExitCode::FAILURE;
                }
            },
        };
        if let Err(e) = shell.run(&sql).await {
            print_error(&e);
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
