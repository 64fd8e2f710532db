//! Statements run on a runtime of their own, apart from the one serving connections.
//! DataFusion operators can compute for long stretches without yielding (a large cross
//! join feeding an aggregate does); on the connections' runtime that would hold up every
//! connection's I/O, timers, cancel requests and `statement_timeout`s. Here it only
//! delays other queries, and a cancelled statement's rows stop being produced as soon as
//! its plan yields. Every statement goes there, queries over no table too: one row of
//! `lpad('x', 500000000)` computes for seconds, and must not hold up a connection's
//! thread or outrun its `statement_timeout` and cancel.

use std::sync::{Arc, OnceLock};

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
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
