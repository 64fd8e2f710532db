//! Statements run on a runtime of their own, apart from the one serving connections.
//! DataFusion operators can compute for long stretches without yielding (a large cross
//! join feeding an aggregate does); on the connections' runtime that would hold up every
//! connection's I/O, timers, cancel requests and `statement_timeout`s. Here it only
//! delays other queries, and a cancelled statement's rows stop being produced as soon as
//! its plan yields. The one exception is a query of one row of constants and cheap
//! calls (`SELECT 1`, `SELECT version()`, a pool's health check): it runs where it was
//! received, since the hop would cost more than it. A query over no table calling
//! anything else (`length(repeat('x', 500000000))` computes for a while) goes to the
//! query runtime like the rest, under `statement_timeout` and cancel.

use std::ops::ControlFlow;
use std::sync::{Arc, OnceLock};

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::sql::sqlparser::ast::{Expr, SetExpr, Statement, visit_expressions};
use futures::StreamExt;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use omnigraph_sql::{ErrorKind, ParsedStatement, RowStream, Session, SqlError, StatementOutput};

/// Batches produced ahead of the client: enough to overlap encoding with execution.
const BATCHES_AHEAD: usize = 2;

/// Statements may nest [`omnigraph_sql::nesting::MAX_NESTING`] levels deep, and DataFusion
/// names and evaluates expressions recursively; the stack is reserved, not committed, so
/// only what a statement touches costs memory.
const QUERY_THREAD_STACK: usize = 64 << 20;

fn runtime() -> &'static Runtime {
    static QUERIES: OnceLock<Runtime> = OnceLock::new();
    QUERIES.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("omnigraph-query")
            .thread_stack_size(QUERY_THREAD_STACK)
            .enable_all()
            .build()
            .expect("the query runtime starts")
    })
}

/// Aborts the task when the statement's caller gives up on it (a cancel or timeout while
/// it plans).
struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Runs one statement on the query runtime. A query's rows are produced there too and
/// handed over a bounded channel; dropping the returned stream stops producing them.
pub async fn run_statement(
    session: Arc<Session>,
    statement: ParsedStatement,
    params: Vec<ScalarValue>,
) -> Result<StatementOutput, SqlError> {
    if is_constant_row(&statement) {
        return session.run(statement, params).await;
    }
    let task = runtime().spawn(async move {
        let output = session.run(statement, params).await?;
        Ok(match output {
            StatementOutput::Rows(rows) => StatementOutput::Rows(forwarded(rows).await),
            done => done,
        })
    });
    let mut task = AbortOnDrop(task);
    match (&mut task.0).await {
        Ok(result) => result,
        Err(e) => Err(SqlError::new(
            ErrorKind::Internal,
            format!("statement task failed: {e}"),
        )),
    }
}

/// Whether `statement` is one row of constants and cheap calls over no table: no
/// subquery, and no function but those that answer at once whatever their arguments.
fn is_constant_row(statement: &ParsedStatement) -> bool {
    let Some(s) = statement.sql_statement() else {
        return false;
    };
    let Statement::Query(query) = s else {
        return false;
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return false;
    };
    if query.with.is_some() || !select.from.is_empty() {
        return false;
    }
    let costly = visit_expressions(s, |expr| match expr {
        Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => ControlFlow::Break(()),
        Expr::Function(f) => {
            let cheap = f
                .name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .is_some_and(|name| {
                    CHEAP_FUNCTIONS
                        .iter()
                        .any(|known| name.value.eq_ignore_ascii_case(known))
                });
            match cheap {
                true => ControlFlow::Continue(()),
                false => ControlFlow::Break(()),
            }
        }
        _ => ControlFlow::Continue(()),
    });
    costly.is_continue()
}

/// Functions whose cost does not grow with their arguments: what drivers, pools and BI
/// tools call at connect and as health checks.
const CHEAP_FUNCTIONS: &[&str] = &[
    "version",
    "current_setting",
    "current_database",
    "current_schema",
    "current_user",
    "session_user",
    "pg_backend_pid",
    "now",
    "current_timestamp",
];

/// `rows`, polled on the query runtime (it must be called there). The first batches are
/// read before the statement's task returns, so a short result (`SELECT 1`, a point
/// lookup) reaches the connection whole, without another hop between runtimes; a longer
/// one goes on being produced by a task of its own.
async fn forwarded(rows: RowStream) -> RowStream {
    let RowStream { schema, mut stream } = rows;
    let mut ahead = Vec::with_capacity(BATCHES_AHEAD);
    let mut ended = false;
    while ahead.len() < BATCHES_AHEAD {
        match stream.next().await {
            Some(Ok(batch)) if batch.num_rows() == 0 => {}
            Some(Ok(batch)) => ahead.push(Ok(batch)),
            Some(Err(e)) => {
                ahead.push(Err(e));
                ended = true;
                break;
            }
            None => {
                ended = true;
                break;
            }
        }
    }
    let read: futures::stream::BoxStream<'static, Result<RecordBatch, DataFusionError>> =
        futures::stream::iter(ahead).boxed();
    if ended {
        return RowStream {
            schema: schema.clone(),
            stream: Box::pin(RecordBatchStreamAdapter::new(schema, read)),
        };
    }
    let (sender, receiver) = mpsc::channel::<Result<RecordBatch, DataFusionError>>(BATCHES_AHEAD);
    tokio::spawn(async move {
        loop {
            let next = tokio::select! {
                _ = sender.closed() => break,
                next = stream.next() => next,
            };
            let Some(batch) = next else { break };
            if sender.send(batch).await.is_err() {
                break;
            }
        }
    });
    let rest = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|batch| (batch, receiver))
    });
    RowStream {
        schema: schema.clone(),
        stream: Box::pin(RecordBatchStreamAdapter::new(schema, read.chain(rest))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn in_place(sql: &str) -> bool {
        is_constant_row(&Session::parse(sql).expect("parses").remove(0))
    }

    #[test]
    fn only_rows_of_constants_and_cheap_calls_run_in_place() {
        assert!(in_place("SELECT 1"));
        assert!(in_place(
            "select version(), current_setting('search_path'), $1::int, 1 + 2"
        ));
        assert!(!in_place("SELECT length(repeat('x', 500000000))"));
        assert!(!in_place("SELECT lpad('x', 1000)"));
        assert!(!in_place("SELECT name FROM person"));
        assert!(!in_place("SELECT (SELECT count(*) FROM person)"));
        assert!(!in_place("SELECT EXISTS (SELECT 1 FROM person)"));
        assert!(!in_place("SELECT generate_series(1, 1000000000)"));
        assert!(!in_place("WITH t AS (SELECT 1) SELECT 2"));
        assert!(!in_place("SELECT 1 UNION ALL SELECT 2 FROM person"));
        assert!(!in_place("INSERT INTO person (name) VALUES ('x')"));
        assert!(!in_place("CALL create_branch('x')"));
    }
}
