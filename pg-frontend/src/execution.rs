//! Statements run on a runtime of their own, apart from the one serving connections.
//! DataFusion operators can compute for long stretches without yielding (a large cross
//! join feeding an aggregate does); on the connections' runtime that would hold up every
//! connection's I/O, timers, cancel requests and `statement_timeout`s. Here it only
//! delays other queries, and a cancelled statement's rows stop being produced as soon as
//! its plan yields.

use std::sync::{Arc, OnceLock};

use datafusion::arrow::record_batch::RecordBatch;
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::sql::parser::Statement as DFStatement;
use futures::StreamExt;
use tokio::runtime::Runtime;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use omnigraph_sql::{ErrorKind, RowStream, Session, SqlError, StatementOutput};

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
    statement: DFStatement,
    params: Vec<ScalarValue>,
) -> Result<StatementOutput, SqlError> {
    let task = runtime().spawn(async move {
        let output = if params.is_empty() {
            session.statement_output(statement).await?
        } else {
            session
                .statement_output_with_params(statement, params)
                .await?
        };
        Ok(match output {
            StatementOutput::Rows(rows) => StatementOutput::Rows(forwarded(rows)),
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

/// `rows`, polled by a task of the query runtime (it must be called there).
fn forwarded(rows: RowStream) -> RowStream {
    let RowStream { schema, mut stream } = rows;
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
    let batches = futures::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|batch| (batch, receiver))
    });
    RowStream {
        schema: schema.clone(),
        stream: Box::pin(RecordBatchStreamAdapter::new(schema, batches)),
    }
}
