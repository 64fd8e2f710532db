//! `INSERT`, `UPDATE`, `DELETE` and `TRUNCATE` on graph tables: DataFusion plans the
//! rows (the inserted values, or the updated rows with their new values, or the ids to
//! delete) and `DmlExec` hands them to the engine as one graph commit when executed.

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::array::{Array, RecordBatch, UInt64Array};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use datafusion::catalog::Session;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{Column, DFSchema};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::Expr;
use datafusion::logical_expr::utils::conjunction;
use datafusion::physical_plan::execution_plan::EmissionType;
use datafusion::physical_plan::filter::FilterExec;
use datafusion::physical_plan::projection::ProjectionExec;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::{
    DisplayAs, DisplayFormatType, ExecutionPlan, PlanProperties, SendableRecordBatchStream,
    execute_stream,
};
use futures::StreamExt;
use futures::future::BoxFuture;
use omnigraph_engine::{Error as EngineError, InsertMode, LoadMode};

use crate::context::GraphContext;
use crate::error::{DfResult, to_df};
use crate::options::{DEFAULT_MAX_WRITE_ROWS, OmniGraphOptions};
use crate::statement_context::StatementContext;

/// What a DML statement does with its input rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DmlOp {
    Insert(InsertMode),
    /// Input: full rows with their new values, computed from this graph version.
    Update {
        read_at: u64,
    },
    /// Input: the ids to delete (column `id`; whole rows when the statement returns
    /// them), read at this graph version; nodes take their edges along.
    Delete {
        read_at: u64,
    },
}

impl DmlOp {
    fn name(&self) -> &'static str {
        match self {
            DmlOp::Insert(_) => "insert",
            DmlOp::Update { .. } => "update",
            DmlOp::Delete { .. } => "delete",
        }
    }
}

/// The `count` column every DML plan returns.
pub fn count_schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new(
        "count",
        DataType::UInt64,
        false,
    )]))
}

/// Removes table qualifiers, so expressions resolve against the bare table schema.
pub(crate) fn unqualified(expr: Expr) -> DfResult<Expr> {
    Ok(expr
        .transform(|e| {
            Ok(match e {
                Expr::Column(c) if c.relation.is_some() => {
                    Transformed::yes(Expr::Column(Column::new_unqualified(c.name)))
                }
                other => Transformed::no(other),
            })
        })?
        .data)
}

/// `input` filtered by `filters` (all of them, whatever the scan already applied).
pub(crate) fn filtered(
    state: &dyn Session,
    input: Arc<dyn ExecutionPlan>,
    schema: &SchemaRef,
    filters: Vec<Expr>,
) -> DfResult<Arc<dyn ExecutionPlan>> {
    let filters = filters
        .into_iter()
        .map(unqualified)
        .collect::<DfResult<Vec<_>>>()?;
    let Some(predicate) = conjunction(filters) else {
        return Ok(input);
    };
    let df_schema = DFSchema::try_from(schema.as_ref().clone())?;
    let predicate = state.create_physical_expr(predicate, &df_schema)?;
    Ok(Arc::new(FilterExec::try_new(predicate, input)?))
}

/// `input` (rows of `schema`) projected to `(expr AS name)` pairs.
pub(crate) fn projected(
    state: &dyn Session,
    input: Arc<dyn ExecutionPlan>,
    schema: &SchemaRef,
    exprs: Vec<(Expr, String)>,
) -> DfResult<Arc<dyn ExecutionPlan>> {
    let df_schema = DFSchema::try_from(schema.as_ref().clone())?;
    let mut physical = Vec::with_capacity(exprs.len());
    for (expr, name) in exprs {
        physical.push((
            state.create_physical_expr(unqualified(expr)?, &df_schema)?,
            name,
        ));
    }
    Ok(Arc::new(ProjectionExec::try_new(physical, input)?))
}

/// Performs one DML statement when executed and yields its row count.
pub struct DmlExec {
    ctx: Arc<GraphContext>,
    branch: String,
    table: String,
    op: DmlOp,
    input: Arc<dyn ExecutionPlan>,
    properties: Arc<PlanProperties>,
}

impl fmt::Debug for DmlExec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DmlExec")
            .field("op", &self.op)
            .field("table", &self.table)
            .field("branch", &self.branch)
            .finish()
    }
}

impl DmlExec {
    pub fn try_new(
        ctx: Arc<GraphContext>,
        branch: String,
        table: String,
        op: DmlOp,
        input: Arc<dyn ExecutionPlan>,
    ) -> DfResult<Self> {
        let properties =
            crate::functions::leaf_properties(count_schema(), &None, EmissionType::Final)?;
        Ok(DmlExec {
            ctx,
            branch,
            table,
            op,
            input,
            properties,
        })
    }

    /// An insert whose rows go to the table's writer as the input yields them, so its
    /// memory is bounded whatever its size. A failed input is reported as itself.
    async fn insert_streamed(
        ctx: Arc<GraphContext>,
        branch: String,
        table: String,
        mode: InsertMode,
        mut rows: SendableRecordBatchStream,
        limit: u64,
        statement: Option<Arc<StatementContext>>,
    ) -> DfResult<u64> {
        let graph = ctx.graph();
        let opts = ctx.write_options(statement.as_deref());
        let returning = statement.as_ref().filter(|s| s.returning);
        let load_mode = match mode {
            InsertMode::Upsert => LoadMode::Merge,
            _ => LoadMode::Append,
        };
        let mut input_error: Option<datafusion::error::DataFusionError> = None;
        let mut written = 0u64;
        let input = futures::stream::poll_fn(|cx| {
            let next = match futures::ready!(rows.poll_next_unpin(cx)) {
                Some(Ok(batch)) => {
                    written += batch.num_rows() as u64;
                    if written > limit {
                        Some(Err(EngineError::LimitExceeded(too_many_rows(limit))))
                    } else {
                        Some(Ok(batch))
                    }
                }
                Some(Err(e)) => {
                    input_error = Some(e);
                    Some(Err(EngineError::InvalidArgument(
                        "the statement's input failed".into(),
                    )))
                }
                None => None,
            };
            std::task::Poll::Ready(next)
        });
        let out = graph
            .insert_stream(
                &branch,
                &table,
                input,
                load_mode,
                returning.is_some(),
                &opts,
            )
            .await
            .map_err(EngineError::without_line);
        if let Some(e) = input_error {
            return Err(e);
        }
        let out = out.map_err(to_df)?;
        inserted(graph, &branch, &table, out, returning)
            .await
            .map_err(to_df)
    }

    async fn run(
        ctx: Arc<GraphContext>,
        branch: String,
        table: String,
        op: DmlOp,
        batches: Vec<RecordBatch>,
        statement: Option<Arc<StatementContext>>,
    ) -> omnigraph_engine::Result<u64> {
        let graph = ctx.graph();
        let opts = ctx.write_options(statement.as_deref());
        let returning = statement.as_ref().filter(|s| s.returning);
        match op {
            DmlOp::Insert(mode) => {
                let out = graph
                    .insert_batches(&branch, &table, &batches, mode, &opts)
                    .await?;
                inserted(graph, &branch, &table, out, returning).await
            }
            DmlOp::Update { read_at } => {
                let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
                graph
                    .replace_rows(&branch, &table, &batches, Some(read_at), &opts)
                    .await?;
                if let Some(statement) = returning {
                    statement.keep_returned(batches);
                }
                Ok(rows as u64)
            }
            DmlOp::Delete { read_at } => {
                let mut ids = Vec::new();
                for b in &batches {
                    let col = b
                        .column_by_name("id")
                        .ok_or_else(|| EngineError::Corrupt("no id column to delete".into()))?
                        .as_any()
                        .downcast_ref::<datafusion::arrow::array::StringArray>()
                        .ok_or_else(|| EngineError::Corrupt("ids are not strings".into()))?;
                    ids.extend((0..col.len()).map(|i| col.value(i).to_string()));
                }
                if ids.is_empty() {
                    return Ok(0);
                }
                let out = graph
                    .delete_ids_read_at(&branch, &table, &ids, Some(read_at), &opts)
                    .await?;
                if let Some(statement) = returning {
                    statement.keep_returned(batches);
                }
                let own = out.tables.get(&table).copied().unwrap_or(0);
                let cascaded: u64 = out.tables.values().sum::<u64>() - own;
                if let Some(statement) = statement.filter(|_| cascaded > 0) {
                    statement.add_notice(format!(
                        "deleting from {table} also deleted {cascaded} incident edges ({})",
                        out.tables
                            .iter()
                            .filter(|(t, _)| **t != table)
                            .map(|(t, n)| format!("{t}: {n}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ));
                }
                Ok(own)
            }
        }
    }
}

/// The rows an insert wrote: kept for the statement's `RETURNING` (read back by the ids
/// the write reported, at its commit), and counted.
async fn inserted(
    graph: &omnigraph_engine::Graph,
    branch: &str,
    table: &str,
    out: omnigraph_engine::LoadSummary,
    returning: Option<&Arc<StatementContext>>,
) -> omnigraph_engine::Result<u64> {
    if let (Some(statement), Some(commit)) = (returning, &out.commit) {
        let ids = out.ids.get(table).map(Vec::as_slice).unwrap_or_default();
        let rows =
            crate::written_rows::rows_with_ids(graph, branch, commit.graph_version, table, ids)
                .await?;
        statement.keep_returned(rows);
    }
    Ok(out.nodes + out.edges)
}

fn too_many_rows(limit: u64) -> String {
    format!(
        "the statement writes more than {limit} rows (SET omnigraph.max_write_rows to raise the limit, or load bulk data with COPY or CALL load)"
    )
}

/// Collects the statement's rows, refusing more than `limit` before holding them.
async fn collect_at_most(
    input: Arc<dyn ExecutionPlan>,
    context: Arc<TaskContext>,
    limit: u64,
) -> DfResult<Vec<RecordBatch>> {
    let mut stream = execute_stream(input, context)?;
    let mut batches = Vec::new();
    let mut rows = 0u64;
    while let Some(batch) = stream.next().await {
        let batch = batch?;
        rows += batch.num_rows() as u64;
        if rows > limit {
            return Err(to_df(EngineError::LimitExceeded(too_many_rows(limit))));
        }
        batches.push(batch);
    }
    Ok(batches)
}

impl DisplayAs for DmlExec {
    fn fmt_as(&self, _t: DisplayFormatType, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "DmlExec: {} {} on branch {}",
            self.op.name(),
            self.table,
            self.branch
        )
    }
}

impl ExecutionPlan for DmlExec {
    fn name(&self) -> &str {
        "DmlExec"
    }

    fn properties(&self) -> &Arc<PlanProperties> {
        &self.properties
    }

    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }

    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let input = children.into_iter().next().unwrap_or(self.input.clone());
        Ok(Arc::new(DmlExec::try_new(
            self.ctx.clone(),
            self.branch.clone(),
            self.table.clone(),
            self.op.clone(),
            input,
        )?))
    }

    fn execute(
        &self,
        _partition: usize,
        context: Arc<TaskContext>,
    ) -> DfResult<SendableRecordBatchStream> {
        let (ctx, branch, table, op) = (
            self.ctx.clone(),
            self.branch.clone(),
            self.table.clone(),
            self.op.clone(),
        );
        let input = self.input.clone();
        let limit = context
            .session_config()
            .options()
            .extensions
            .get::<OmniGraphOptions>()
            .map_or(DEFAULT_MAX_WRITE_ROWS, |o| o.max_write_rows);
        let statement = StatementContext::of_task(&context);
        let limit = match &statement {
            Some(s) if s.bulk_copy => u64::MAX,
            _ => limit,
        };
        let effect: BoxFuture<'static, DfResult<RecordBatch>> = Box::pin(async move {
            let count = match op {
                DmlOp::Insert(mode @ (InsertMode::Insert | InsertMode::Upsert)) => {
                    let rows = execute_stream(input, context)?;
                    DmlExec::insert_streamed(ctx, branch, table, mode, rows, limit, statement)
                        .await?
                }
                op => {
                    let batches = collect_at_most(input, context, limit).await?;
                    DmlExec::run(ctx, branch, table, op, batches, statement)
                        .await
                        .map_err(to_df)?
                }
            };
            Ok(RecordBatch::try_new(
                count_schema(),
                vec![Arc::new(UInt64Array::from(vec![count]))],
            )?)
        });
        Ok(Box::pin(RecordBatchStreamAdapter::new(
            count_schema(),
            futures::stream::once(effect),
        )))
    }
}
