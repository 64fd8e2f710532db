//! What a statement gives back: rows still streaming, or a finished command with its
//! PostgreSQL command tag.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::execution::SendableRecordBatchStream;
use datafusion::logical_expr::LogicalPlan;
use futures::TryStreamExt;

use crate::error::Result;

/// The result of one statement.
#[derive(Debug, Clone)]
pub struct StatementResult {
    pub schema: SchemaRef,
    pub batches: Vec<RecordBatch>,
    /// A PostgreSQL-style command tag: `SELECT 3`, `INSERT 0 2`, `SET`, `CALL`, ...
    pub tag: String,
    /// Notices for the client (for example the edges a node delete took along).
    pub notices: Vec<String>,
}

impl StatementResult {
    pub fn command(tag: &str) -> Self {
        StatementResult {
            schema: Arc::new(Schema::empty()),
            batches: vec![],
            tag: tag.to_string(),
            notices: vec![],
        }
    }

    pub fn row_count(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }

    /// Whether the statement returns rows (a query), as opposed to a command.
    pub fn has_columns(&self) -> bool {
        !self.schema.fields().is_empty()
    }
}

/// What a statement produced: rows still streaming from a query, or a finished command.
pub enum StatementOutput {
    Rows(RowStream),
    Done(StatementResult),
}

/// The rows of a query, produced batch by batch as the client reads them.
pub struct RowStream {
    pub schema: SchemaRef,
    pub stream: SendableRecordBatchStream,
}

impl StatementOutput {
    /// Runs the output to its end and holds every row in memory.
    pub async fn collect(self) -> Result<StatementResult> {
        match self {
            StatementOutput::Done(result) => Ok(result),
            StatementOutput::Rows(rows) => {
                let batches: Vec<RecordBatch> = rows.stream.try_collect().await?;
                let count: usize = batches.iter().map(|b| b.num_rows()).sum();
                Ok(StatementResult {
                    schema: rows.schema,
                    batches,
                    tag: format!("SELECT {count}"),
                    notices: vec![],
                })
            }
        }
    }
}

/// The command tag of a plan: fixed, or a prefix followed by the affected row count.
#[derive(Debug, Clone, Copy)]
pub(crate) enum CommandTag {
    Fixed(&'static str),
    Counted(&'static str),
}

impl CommandTag {
    /// The statement's name in messages: `INSERT`, `TRUNCATE TABLE`, `CALL`.
    pub(crate) fn verb(&self) -> &'static str {
        match self {
            CommandTag::Fixed(tag) => tag,
            CommandTag::Counted(tag) => tag.split(' ').next().unwrap_or(tag),
        }
    }
}

pub(crate) fn command_tag(plan: &LogicalPlan) -> Option<CommandTag> {
    use datafusion::logical_expr::{Statement, WriteOp};
    match plan {
        LogicalPlan::Ddl(_) => Some(CommandTag::Fixed("CREATE")),
        // EXECUTE returns the prepared statement's rows.
        LogicalPlan::Statement(Statement::Execute(_)) => None,
        LogicalPlan::Statement(Statement::Prepare(_)) => Some(CommandTag::Fixed("PREPARE")),
        LogicalPlan::Statement(_) => Some(CommandTag::Fixed("SET")),
        LogicalPlan::Explain(_) | LogicalPlan::Analyze(_) => Some(CommandTag::Fixed("EXPLAIN")),
        LogicalPlan::Dml(dml) => Some(match dml.op {
            WriteOp::Insert(_) => CommandTag::Counted("INSERT 0 "),
            WriteOp::Delete => CommandTag::Counted("DELETE "),
            WriteOp::Update => CommandTag::Counted("UPDATE "),
            WriteOp::Truncate => CommandTag::Fixed("TRUNCATE TABLE"),
            WriteOp::Ctas => CommandTag::Counted("SELECT "),
        }),
        _ => None,
    }
}
