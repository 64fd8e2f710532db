//! The table provider of a graph table: a Lance dataset at the statement's snapshot.

use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::catalog::{Session, TableProvider};
use datafusion::common::DFSchema;
use datafusion::common::Statistics;
use datafusion::common::stats::Precision;
use datafusion::logical_expr::ExprSchemable;
use datafusion::logical_expr::dml::InsertOp;
use datafusion::logical_expr::{Expr, TableProviderFilterPushDown, TableType, col};
use datafusion::physical_plan::ExecutionPlan;
use omnigraph_engine::lance::datafusion::LanceTableProvider;
use omnigraph_engine::{Error as EngineError, InsertMode, Snapshot};

use crate::context::{GraphContext, SnapshotSelector};
use crate::dml::{DmlExec, DmlOp, filtered, projected, unqualified};
use crate::error::{DfResult, to_df};
use crate::pushdown;
use crate::statement_context::StatementContext;

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
#[derive(Debug, Clone)]
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

    /// Whether the table is read at the snapshot each statement pins when it scans (not
    /// at a fixed version), so a plan over it can serve later statements too.
    pub fn reads_statement_snapshot(&self) -> bool {
        matches!(self.source, SnapshotSource::Statement(_))
    }

    /// The node or edge table's name.
    pub(crate) fn name(&self) -> &str {
        &self.table
    }

    /// The filters Lance evaluates exactly as DataFusion does (the rest stay above the scan).
    fn exact(&self, filters: &[Expr]) -> Vec<Expr> {
        filters
            .iter()
            .filter(|f| pushdown::is_exact(f, &self.schema))
            .cloned()
            .collect()
    }

    /// The rows a DELETE or UPDATE with `filters` reads (a `text_match` among them from
    /// the full-text index), and the filters still to apply to them.
    async fn rows_to_write(
        &self,
        state: &dyn Session,
        filters: Vec<Expr>,
    ) -> DfResult<(Arc<dyn ExecutionPlan>, Vec<Expr>)> {
        if let Some(found) = crate::text_scan::matching_rows(self, state, &filters).await? {
            return Ok(found);
        }
        let scan = self.scan(state, None, &self.exact(&filters), None).await?;
        Ok((scan, filters))
    }

    /// The branch a write to this table goes to; time-travel reads and read-only
    /// sessions refuse writes (SQLSTATE 25006).
    pub(crate) fn write_branch(&self) -> DfResult<String> {
        match &self.source {
            SnapshotSource::Fixed(s) => Err(to_df(EngineError::ReadOnlySession(format!(
                "version {} of {}",
                s.version(),
                s.branch()
            )))),
            SnapshotSource::Statement(selector) => {
                self.ctx.require_writable().map_err(to_df)?;
                let branch = match selector {
                    SnapshotSelector::Current => self.ctx.branch(),
                    SnapshotSelector::Branch(b) => b.clone(),
                };
                if let Some((target, private)) = self.ctx.transaction_branches()
                    && branch != private
                {
                    return Err(to_df(EngineError::InTransaction(format!(
                        "a transaction on branch '{target}' can only write to that branch; write to '{branch}' after COMMIT or ROLLBACK"
                    ))));
                }
                Ok(branch)
            }
        }
    }

    /// The table's dataset at the snapshot the statement reads, with the schema it was
    /// planned with.
    pub(crate) async fn scan_dataset(
        &self,
        state: &dyn Session,
    ) -> DfResult<Arc<omnigraph_engine::lance::Dataset>> {
        let snapshot = self.scan_snapshot(state).await?;
        let dataset = snapshot.dataset(&self.table).await.map_err(to_df)?;
        let scan_schema = datafusion::arrow::datatypes::Schema::from(dataset.schema());
        if scan_schema.fields() != self.schema.fields() {
            return Err(to_df(omnigraph_engine::Error::Conflict(format!(
                "the schema of table '{}' changed while the statement was planned; run it again",
                self.table
            ))));
        }
        Ok(dataset)
    }

    pub(crate) async fn scan_snapshot(&self, state: &dyn Session) -> DfResult<Snapshot> {
        match &self.source {
            SnapshotSource::Fixed(s) => Ok(s.clone()),
            SnapshotSource::Statement(selector) => {
                let statement = StatementContext::of(state.config());
                self.ctx
                    .pinned(selector, statement.as_deref())
                    .await
                    .map_err(to_df)
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
        let dataset = self.scan_dataset(state).await?;
        // Lance takes the limit as an i64: one past it (`LIMIT 9223372036854775807 OFFSET
        // 1`) is no limit at all.
        let limit = limit.filter(|l| i64::try_from(*l).is_ok());
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

    async fn insert_into(
        &self,
        state: &dyn Session,
        input: Arc<dyn ExecutionPlan>,
        insert_op: InsertOp,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let branch = self.write_branch()?;
        let on_conflict = StatementContext::of(state.config()).and_then(|s| s.insert_mode.clone());
        let mode = match (on_conflict, insert_op) {
            (Some(mode), _) => mode,
            (None, InsertOp::Append) => InsertMode::Insert,
            (None, InsertOp::Replace) => InsertMode::Upsert,
            (None, InsertOp::Overwrite) => {
                return Err(to_df(EngineError::NotSupported(
                    "INSERT OVERWRITE; use TRUNCATE and INSERT in a transaction".into(),
                )));
            }
        };
        Ok(Arc::new(DmlExec::try_new(
            self.ctx.clone(),
            branch,
            self.table.clone(),
            DmlOp::Insert(mode),
            input,
        )?))
    }

    async fn delete_from(
        &self,
        state: &dyn Session,
        filters: Vec<Expr>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let branch = self.write_branch()?;
        let read_at = self.scan_snapshot(state).await?.version();
        let (scan, filters) = self.rows_to_write(state, filters).await?;
        let rows = filtered(state, scan, &self.schema, filters)?;
        // `RETURNING` shows the deleted rows whole; otherwise their ids are enough.
        let returning = StatementContext::of(state.config()).is_some_and(|s| s.returning);
        let input = match returning {
            true => rows,
            false => projected(state, rows, &self.schema, vec![(col("id"), "id".into())])?,
        };
        Ok(Arc::new(DmlExec::try_new(
            self.ctx.clone(),
            branch,
            self.table.clone(),
            DmlOp::Delete { read_at },
            input,
        )?))
    }

    async fn truncate(&self, state: &dyn Session) -> DfResult<Arc<dyn ExecutionPlan>> {
        self.delete_from(state, vec![]).await
    }

    async fn update(
        &self,
        state: &dyn Session,
        assignments: Vec<(String, Expr)>,
        filters: Vec<Expr>,
    ) -> DfResult<Arc<dyn ExecutionPlan>> {
        let branch = self.write_branch()?;
        let snapshot = self.scan_snapshot(state).await?;
        let (def, _) = snapshot.table(&self.table).map_err(to_df)?;
        let mut immutable: Vec<&str> = vec!["id"];
        if def.kind() == omnigraph_engine::schema::TableKind::Edge {
            immutable.extend(["src", "dst"]);
        }
        immutable.extend(def.key().iter().map(String::as_str));
        if let Some((column, _)) = assignments
            .iter()
            .find(|(c, _)| immutable.contains(&c.as_str()))
        {
            return Err(to_df(EngineError::NotSupported(format!(
                "UPDATE of {}.{column}: key columns (and id, src, dst) are immutable; delete the row and insert a new one",
                self.table
            ))));
        }
        let df_schema = DFSchema::try_from(self.schema.as_ref().clone())?;
        let mut exprs = Vec::with_capacity(self.schema.fields().len());
        for field in self.schema.fields() {
            let expr = match assignments.iter().find(|(c, _)| c == field.name()) {
                Some((_, e)) => unqualified(e.clone())?.cast_to(field.data_type(), &df_schema)?,
                None => col(field.name().as_str()),
            };
            exprs.push((expr, field.name().clone()));
        }
        let (scan, filters) = self.rows_to_write(state, filters).await?;
        let rows = filtered(state, scan, &self.schema, filters)?;
        let updated = projected(state, rows, &self.schema, exprs)?;
        Ok(Arc::new(DmlExec::try_new(
            self.ctx.clone(),
            branch,
            self.table.clone(),
            DmlOp::Update {
                read_at: snapshot.version(),
            },
            updated,
        )?))
    }

    fn statistics(&self) -> Option<Statistics> {
        let mut stats = Statistics::new_unknown(&self.schema);
        stats.num_rows = Precision::Inexact(self.row_count);
        Some(stats)
    }
}
