//! The interactive loop and its backslash commands.

use clap::ValueEnum;
use datafusion::config::Dialect;
use datafusion_cli::helper::CliHelper;
use rustyline::Editor;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;

use crate::line_editor::ReplHelper;
use crate::output::Format;
use crate::shell::{Shell, print_error};

impl Shell {
    pub async fn repl(&mut self) {
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
                Ok(format) => self.output.format = format,
                Err(_) => eprintln!("unknown format '{f}' (table, csv, json, ndjson)"),
            },
            _ => eprintln!("unknown command '{line}'; \\? for help"),
        }
        true
    }
}
