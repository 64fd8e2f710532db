//! Statements nested in a statement's arguments, such as a traversal's start query
//! (`neighbors_of('knows', 'SELECT id FROM person')`), are planned with the statement
//! that holds them, before it runs: what they do is then part of what the statement
//! does ([`crate::privilege::required_role`]), and each is planned once.

use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::common::tree_node::TreeNodeRecursion;
use datafusion::datasource::{ViewTable, source_as_provider};
use datafusion::execution::SessionState;
use datafusion::logical_expr::LogicalPlan;
use futures::future::BoxFuture;

use crate::error::DfResult;
use crate::functions::traversal::TraversalTable;

/// Plans every statement nested anywhere in `plan` (subqueries, views and nested
/// statements' own nested statements included) on the statement's `state`.
pub fn plan_nested_statements<'a>(
    state: &'a SessionState,
    plan: &'a LogicalPlan,
) -> BoxFuture<'a, DfResult<()>> {
    Box::pin(async move {
        for holder in statement_holders(plan) {
            if let Some(traversal) = holder.downcast_ref::<TraversalTable>()
                && let Some(start) = traversal.plan_start_query(state).await?
            {
                plan_nested_statements(state, start).await?;
            }
            if let Some(view) = holder.downcast_ref::<ViewTable>() {
                plan_nested_statements(state, view.logical_plan()).await?;
            }
        }
        Ok(())
    })
}

/// The tables in `plan` that may hold nested statements.
fn statement_holders(plan: &LogicalPlan) -> Vec<Arc<dyn TableProvider>> {
    let mut holders = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::TableScan(scan) = node
            && let Ok(provider) = source_as_provider(&scan.source)
            && (provider.downcast_ref::<TraversalTable>().is_some()
                || provider.downcast_ref::<ViewTable>().is_some())
        {
            holders.push(provider);
        }
        Ok(TreeNodeRecursion::Continue)
    });
    holders
}
