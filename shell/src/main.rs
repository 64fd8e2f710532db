//! `omnigraph-sql`: an interactive SQL shell on a local graph, in the datafusion-cli style.
//!
//! Every statement goes through `omnigraph_sql::Session` (so `CALL`, `SET omnigraph.*`
//! and `FOR SYSTEM_TIME AS OF` work); datafusion-cli's library provides the line editor
//! helper, history and output formats.
// The statement router's async state machines (a session inside the shell's loop) nest
// deeper than the default query depth when their layout is computed for test builds.
#![recursion_limit = "256"]

mod line_editor;
mod output;
mod repl;
mod scripts;
mod shell;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser};
use omnigraph_sql::{Session, demo};

use crate::output::{Format, Output};
use crate::scripts::{Script, scripts_in_order};
use crate::shell::{Shell, print_error};

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
    let mut shell = Shell {
        session,
        output: Output::new(args.format, args.quiet),
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
