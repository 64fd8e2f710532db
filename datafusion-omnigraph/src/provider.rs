//! The table provider of a graph table: a Lance dataset at the statement's snapshot.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::Statistics;
use datafusion::common::stats::Precision;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType};
use datafusion::physical_plan::ExecutionPlan;
use omnigraph_engine::Snapshot;
use omnigraph_engine::lance::datafusion::LanceTableProvider;

use crate::context::{GraphContext, SnapshotSelector};
use crate::error::{DfResult, to_df};
use crate::pushdown;

/// Where a graph table provider gets its snapshot at scan time.
#[derive(Debug, Clone)]
pub enum SnapshotSource {
    /// Re-pinned per statement: the first scan of a statement resolves the selector and
    /// every other scan of that statement reuses the same snapshot.
    Statement(SnapshotSelector),
    /// A fixed snapshot (time travel: a commit, version or timestamp does not move).
    Fixed(Snapshot),
}

/// One node or edge table of the graph.
#[derive(Debug)]
pub struct GraphTable {
    ctx: Arc<GraphContext>,
    source: SnapshotSource,
    table: String,
    schema: SchemaRef,
    row_count: usize,
}

impl GraphTable {
    /// Builds the provider from the snapshot resolved while planning.
    pub async fn try_new(
        ctx: Arc<GraphContext>,
        source: SnapshotSource,
        planning: &Snapshot,
        table: &str,
    ) -> omnigraph_engine::Result<GraphTable> {
        let (def, _) = planning.table(table)?;
        let dataset = planning.dataset(def.table()).await?;
        let row_count = dataset.count_rows(None).await?;
        Ok(GraphTable {
            ctx,
            source,
            table: def.table().to_string(),
            schema: Arc::new(datafusion::arrow::datatypes::Schema::from(dataset.schema())),
            row_count,
        })
    }

    async fn scan_snapshot(&self, state: &dyn Session) -> DfResult<Snapshot> {
        match &self.source {
            SnapshotSource::Fixed(s) => Ok(s.clone()),
            SnapshotSource::Statement(selector) => {
                let statement = state
                    .execution_props()
                    .query_execution_start_time
                    .and_then(|t| t.timestamp_nanos_opt());
                match statement {
                    Some(statement) => self.ctx.pinned(selector, statement).await.map_err(to_df),
                    // No statement identity to pin by: read the head now.
                    None => self.ctx.resolve(selector).await.map_err(to_df),
                }
            }
        }
    }
}

#[async_trait]
impl TableProvider for GraphTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        filters: &[Expr],
        limit: Option<usize>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let snapshot = self.scan_snapshot(state).await?;
        let dataset = snapshot.dataset(&self.table).await.map_err(to_df)?;
        let scan_schema = datafusion::arrow::datatypes::Schema::from(dataset.schema());
        if scan_schema.fields() != self.schema.fields() {
            return Err(to_df(omnigraph_engine::Error::Conflict(format!(
                "the schema of table '{}' changed while the statement was planned; run it again",
                self.table
            ))));
        }
        LanceTableProvider::new(dataset, false, false)
            .scan(state, projection, filters, limit)
            .await
    }

    fn supports_filters_pushdown(
        &self,
        filters: &[&Expr],
    ) -> DfResult<Vec<TableProviderFilterPushDown>> {
        Ok(pushdown::classify(filters, &self.schema))
    }

    fn statistics(&self) -> Option<Statistics> {
        let mut stats = Statistics::new_unknown(&self.schema);
        stats.num_rows = Precision::Inexact(self.row_count);
        Some(stats)
    }
}
