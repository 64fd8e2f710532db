//! Streaming staging of one table's rows with Lance's uncommitted write APIs.
//!
//! Rows flow through a bounded channel into a Lance writer running as a task, so a load
//! holds a few batches in memory at a time; the result is an uncommitted transaction.

use std::sync::Arc;

use arrow_array::RecordBatch;
use arrow_schema::SchemaRef;
use futures::SinkExt;
use futures::channel::mpsc;
use lance::Dataset;
use lance::dataset::transaction::Transaction;
use lance::dataset::{
    InsertBuilder, MergeInsertBuilder, WhenMatched, WhenNotMatched, WriteMode, WriteParams,
};
use lance::deps::datafusion::error::DataFusionError;
use lance::deps::datafusion::physical_plan::SendableRecordBatchStream;
use lance::deps::datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use tokio::task::JoinHandle;

use crate::error::{Error, Result};

/// How staged rows combine with the table's existing rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum StageMode {
    /// New rows only (the caller has checked the ids are new).
    Append,
    /// Insert or replace rows by `id`.
    Upsert,
    /// The staged rows become the table's entire content.
    Replace,
}

const CHANNEL_BATCHES: usize = 4;

/// A running Lance writer for one table.
pub(crate) struct TableStager {
    sender: mpsc::Sender<std::result::Result<RecordBatch, DataFusionError>>,
    task: JoinHandle<Result<Transaction>>,
}

impl TableStager {
    pub(crate) fn start(dataset: Arc<Dataset>, schema: SchemaRef, mode: StageMode) -> TableStager {
        let (sender, receiver) = mpsc::channel(CHANNEL_BATCHES);
        let stream: SendableRecordBatchStream =
            Box::pin(RecordBatchStreamAdapter::new(schema, receiver));
        let task = tokio::spawn(async move {
            match mode {
                StageMode::Append | StageMode::Replace => {
                    let params = WriteParams {
                        mode: if mode == StageMode::Append {
                            WriteMode::Append
                        } else {
                            WriteMode::Overwrite
                        },
                        enable_stable_row_ids: true,
                        session: Some(dataset.session()),
                        ..Default::default()
                    };
                    let txn = InsertBuilder::new(dataset.clone())
                        .with_params(&params)
                        .execute_uncommitted_stream(stream)
                        .await?;
                    Ok(txn)
                }
                StageMode::Upsert => {
                    let mut builder = MergeInsertBuilder::try_new(dataset, vec!["id".to_string()])?;
                    builder
                        .when_matched(WhenMatched::UpdateAll)
                        .when_not_matched(WhenNotMatched::InsertAll)
                        .conflict_retries(0);
                    let staged = builder.try_build()?.execute_uncommitted(stream).await?;
                    Ok(staged.transaction)
                }
            }
        });
        TableStager { sender, task }
    }

    /// Hands one batch to the writer, waiting while the channel is full.
    pub(crate) async fn send(&mut self, batch: RecordBatch) -> Result<()> {
        if self.sender.send(Ok(batch)).await.is_err() {
            // The writer stopped early; its own error explains why.
            return Err(self.abort_reason().await);
        }
        Ok(())
    }

    async fn abort_reason(&mut self) -> Error {
        let task = std::mem::replace(
            &mut self.task,
            tokio::spawn(async { Err(Error::Recovery("stager already finished".into())) }),
        );
        match task.await {
            Ok(Err(e)) => e,
            Ok(Ok(_)) => Error::Corrupt("table writer finished before its input".into()),
            Err(join) => Error::Corrupt(format!("table writer failed: {join}")),
        }
    }

    /// Ends the input and returns the staged transaction.
    pub(crate) async fn finish(mut self) -> Result<Transaction> {
        self.sender.close_channel();
        match self.task.await {
            Ok(result) => result,
            Err(join) => Err(Error::Corrupt(format!("table writer failed: {join}"))),
        }
    }
}
