//! Joins yield to the runtime as they produce rows. DataFusion makes scans cooperative
//! (each batch they read spends the task's Tokio budget), but a join that multiplies
//! rows it already holds (a cross join, a nested-loop join) can emit batches for hours
//! without reading one. The operator above it polls it in a loop and the task never
//! returns to the runtime, so a cancelled or timed-out statement keeps a core busy until
//! it ends. Wrapped in `CooperativeExec`, every batch a join emits spends budget, so the
//! task yields regularly and an aborted statement stops at the next yield.

use std::sync::Arc;

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::physical_optimizer::PhysicalOptimizerRule;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::coop::CooperativeExec;

/// Operators that can produce many batches for each batch they read.
fn multiplies_rows(plan: &dyn ExecutionPlan) -> bool {
    let name = plan.name();
    name.ends_with("JoinExec") || name == "UnnestExec"
}

#[derive(Debug, Default)]
pub(crate) struct YieldingJoins;

impl PhysicalOptimizerRule for YieldingJoins {
    fn optimize(
        &self,
        plan: Arc<dyn ExecutionPlan>,
        _config: &ConfigOptions,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        plan.transform_up(|node| {
            if multiplies_rows(node.as_ref()) {
                let wrapped: Arc<dyn ExecutionPlan> = Arc::new(CooperativeExec::new(node));
                Ok(Transformed::yes(wrapped))
            } else {
                Ok(Transformed::no(node))
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "yielding_joins"
    }

    fn schema_check(&self) -> bool {
        true
    }
}
