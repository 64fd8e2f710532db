//! `as_of(table, ref)`: a graph table as of a branch, commit id, version or timestamp.

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};

use super::args::Args;
use crate::blocking::block_on;
use crate::context::GraphContext;
use crate::error::{DfResult, to_df};
use crate::provider::{GraphTable, SnapshotSource};

/// Resolves `reference` against `branch` (versions and timestamps are read on it) and
/// builds a fixed-snapshot provider for `table`.
pub fn as_of_table(
    ctx: &Arc<GraphContext>,
    branch: &str,
    table: &str,
    reference: &str,
) -> DfResult<Arc<dyn TableProvider>> {
    let branch = branch.to_string();
    let ctx2 = ctx.clone();
    let (table, reference) = (table.to_string(), reference.to_string());
    block_on(async move {
        let snapshot = ctx2
            .graph()
            .snapshot_at_text(&branch, &reference)
            .await
            .map_err(to_df)?;
        let provider = GraphTable::try_new(
            ctx2.clone(),
            SnapshotSource::Fixed(snapshot.clone()),
            &snapshot,
            &table,
        )
        .await
        .map_err(to_df)?;
        Ok(Arc::new(provider) as Arc<dyn TableProvider>)
    })
}

#[derive(Debug)]
pub struct AsOfFunction {
    ctx: Arc<GraphContext>,
}

impl AsOfFunction {
    pub fn new(ctx: Arc<GraphContext>) -> Self {
        AsOfFunction { ctx }
    }
}

impl TableFunctionImpl for AsOfFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        let args = Args::new("as_of", args.exprs(), 2, 2)?;
        let table = args.text(0, "table")?;
        let reference = args.text(1, "ref")?;
        as_of_table(&self.ctx, &self.ctx.branch(), &table, &reference)
    }
}
