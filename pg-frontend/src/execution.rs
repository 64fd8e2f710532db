//! Statements run on a runtime of their own, apart from the one serving connections.
//! DataFusion operators can compute for long stretches without yielding (a large cross
//! join feeding an aggregate does); on the connections' runtime that would hold up every
//! connection's I/O, timers, cancel requests and `statement_timeout`s. Here it only
//! delays other queries, and a cancelled statement's rows stop being produced as soon as
//! its plan yields. Queries over no table (`SELECT 1`) are the exception: they compute one
//! row and run where they were received.

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

const QUERY_THREAD_STACK: usize = 8 << 20;

fn runtime() -> &'static Runtime {
    static QUERIES: OnceLock<Runtime> = OnceLock::new();
    QUERIES.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .thread_name("omnigraph-query")
            // Plans nest deeply (joins of scans of unions...); debug builds need the room.
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
    if reads_no_rows(&statement) {
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

/// Whether `statement` is a query over no table: one row of expressions (`SELECT 1`,
/// `SELECT version()`, a pool's health check). Such a query computes one row, so it runs
/// where it was received; the hop to the query runtime and back would cost more than it.
fn reads_no_rows(statement: &ParsedStatement) -> bool {
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
    // No subquery (it may read tables) and no set-returning function (it makes rows).
    let computes_rows = visit_expressions(s, |expr| match expr {
        Expr::Subquery(_) | Expr::Exists { .. } | Expr::InSubquery { .. } => ControlFlow::Break(()),
        Expr::Function(f)
            if f.name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .is_some_and(|name| {
                    ROW_MAKING_FUNCTIONS
                        .iter()
                        .any(|known| name.value.eq_ignore_ascii_case(known))
                }) =>
        {
            ControlFlow::Break(())
        }
        _ => ControlFlow::Continue(()),
    });
    computes_rows.is_continue()
}

/// Functions that turn one row into many when called in a projection.
const ROW_MAKING_FUNCTIONS: &[&str] =
    &["unnest", "generate_series", "range", "generate_subscripts"];

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

    fn no_rows(sql: &str) -> bool {
        reads_no_rows(&Session::parse(sql).expect("parses").remove(0))
    }

    #[test]
    fn only_queries_of_one_computed_row_run_in_place() {
        assert!(no_rows("SELECT 1"));
        assert!(no_rows(
            "select version(), current_setting('search_path'), $1::int"
        ));
        assert!(!no_rows("SELECT name FROM person"));
        assert!(!no_rows("SELECT (SELECT count(*) FROM person)"));
        assert!(!no_rows("SELECT EXISTS (SELECT 1 FROM person)"));
        assert!(!no_rows("SELECT 1 IN (SELECT age FROM person)"));
        assert!(!no_rows("SELECT generate_series(1, 1000000000)"));
        assert!(!no_rows("SELECT UNNEST(make_array(1, 2))"));
        assert!(!no_rows("WITH t AS (SELECT 1) SELECT 2"));
        assert!(!no_rows("SELECT 1 UNION ALL SELECT 2 FROM person"));
        assert!(!no_rows("INSERT INTO person (name) VALUES ('x')"));
        assert!(!no_rows("CALL create_branch('x')"));
    }
}
