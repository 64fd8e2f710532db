//! `Shell`: one session and where its results are printed.

use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressStyle};
use omnigraph_sql::{ErrorKind, Session, SqlError};

use crate::output::Output;

/// A statement running this long that loads rows shows a progress bar.
const PROGRESS_AFTER: Duration = Duration::from_secs(1);

pub struct Shell {
    pub session: Session,
    pub output: Output,
}

impl Shell {
    /// Runs `sql`, printing each statement's result; stops at the first error.
    pub async fn run(&self, sql: &str) -> Result<(), SqlError> {
        for statement in Session::parse(sql)? {
            let started = Instant::now();
            let running = self.session.execute_statement(statement);
            let result = self.with_progress(running).await?;
            self.output.print(&result, started).map_err(|e| {
                SqlError::new(ErrorKind::Io, format!("could not write the result: {e}"))
            })?;
        }
        Ok(())
    }
}

impl Shell {
    /// Awaits `running`, showing the progress of the load or `COPY` it makes (bytes
    /// and rows read, from the graph's list of running bulk writes) once it has run
    /// for [`PROGRESS_AFTER`]; the bar is drawn on a terminal only.
    async fn with_progress<T>(&self, running: impl std::future::Future<Output = T>) -> T {
        let graph = self.session.graph_context().graph().clone();
        let started = Instant::now();
        let mut bar: Option<ProgressBar> = None;
        let mut tick = tokio::time::interval(Duration::from_millis(200));
        tokio::pin!(running);
        loop {
            tokio::select! {
                done = &mut running => {
                    if let Some(bar) = bar {
                        bar.finish_and_clear();
                    }
                    return done;
                }
                _ = tick.tick() => {
                    if started.elapsed() < PROGRESS_AFTER {
                        continue;
                    }
                    let Some(copy) = graph.running_copies().into_iter().next() else {
                        continue;
                    };
                    let total = copy.bytes_total();
                    let bar = bar.get_or_insert_with(|| progress_bar(total));
                    bar.set_position(copy.bytes_processed());
                    let table = copy.relation();
                    bar.set_message(format!(
                        "{} rows{}",
                        copy.tuples_processed(),
                        if table.is_empty() { String::new() } else { format!(" into {table}") }
                    ));
                }
            }
        }
    }
}

fn progress_bar(total: u64) -> ProgressBar {
    let (bar, template) = match total {
        0 => (
            ProgressBar::new_spinner(),
            "{spinner} {bytes} read, {msg} ({elapsed})",
        ),
        n => (
            ProgressBar::new(n),
            "{bar:30} {bytes}/{total_bytes}, {msg} ({elapsed}, {eta} left)",
        ),
    };
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar
}

/// An error as psql prints it: the message, then its HINT and CONTEXT lines.
pub fn print_error(e: &SqlError) {
    eprintln!("ERROR:  {} (SQLSTATE {})", e.message, e.sqlstate());
    if let Some(hint) = &e.hint {
        eprintln!("HINT:  {hint}");
    }
    if let Some(context) = &e.context {
        eprintln!("CONTEXT:  {context}");
    }
}
