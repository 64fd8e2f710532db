//! `diff(table, from_ref, to_ref)`: the net changes of a table between two refs.

use std::sync::Arc;

use datafusion::catalog::{TableFunctionArgs, TableFunctionImpl, TableProvider};
use datafusion::datasource::MemTable;
use omnigraph_engine::changes::changes_batch;

use super::args::Args;
use crate::blocking::block_on;
use crate::context::GraphContext;
use crate::error::{DfResult, to_df};

/// Refs are resolved and the diff is read when the statement is planned: it reads only
/// what changed between the refs, and both refs are fixed points in history.
#[derive(Debug)]
pub struct DiffFunction {
    ctx: Arc<GraphContext>,
}

impl DiffFunction {
    pub fn new(ctx: Arc<GraphContext>) -> Self {
        DiffFunction { ctx }
    }
}

impl TableFunctionImpl for DiffFunction {
    fn call_with_args(&self, args: TableFunctionArgs) -> DfResult<Arc<dyn TableProvider>> {
        let args = Args::new("diff", args.exprs(), 3, 3)?;
        let table = args.text(0, "table")?;
        let from = args.text(1, "from_ref")?;
        let to = args.text(2, "to_ref")?;
        let ctx = self.ctx.clone();
        let branch = ctx.branch();
        block_on(async move {
            let (columns, changes) = ctx
                .graph()
                .diff(&branch, &table, &from, &to)
                .await
                .map_err(to_df)?;
            let batch = changes_batch(&columns, &changes).map_err(to_df)?;
            let provider = MemTable::try_new(batch.schema(), vec![vec![batch]])?;
            Ok(Arc::new(provider) as Arc<dyn TableProvider>)
        })
    }
}
