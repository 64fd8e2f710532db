//! Physical plans of queries that read nothing and compute the same row every time
//! (`SELECT 1`, a connection pool's health check, `SELECT 'a' || 'b'`), kept per session
//! by statement text. Planning such a query costs far more than running it, and these are
//! the statements clients repeat most.
//!
//! A plan is kept only when nothing it depends on can change under it: it scans no
//! table, has no subquery and no placeholder, and calls only immutable functions (a
//! stable one such as `now()` or `current_setting()` is folded to a constant while the
//! plan is optimized). The session's settings shape plans too, so every statement that
//! is not a query empties the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, LogicalPlan, Volatility};
use datafusion::physical_plan::ExecutionPlan;

/// Entries beyond this many are not worth keeping: past it the cache starts over.
const MAX_PLANS: usize = 64;

/// A plan ready to run again, with the context it was planned in.
#[derive(Clone)]
pub(crate) struct CachedPlan {
    pub schema: SchemaRef,
    pub plan: Arc<dyn ExecutionPlan>,
    pub task_ctx: Arc<TaskContext>,
}

#[derive(Default)]
pub(crate) struct PlanCache {
    plans: Mutex<HashMap<String, CachedPlan>>,
}

impl PlanCache {
    pub fn get(&self, text: &str) -> Option<CachedPlan> {
        self.lock().get(text).cloned()
    }

    pub fn insert(&self, text: String, plan: CachedPlan) {
        let mut plans = self.lock();
        if plans.len() >= MAX_PLANS {
            plans.clear();
        }
        plans.insert(text, plan);
    }

    pub fn clear(&self) {
        let mut plans = self.lock();
        if !plans.is_empty() {
            plans.clear();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, CachedPlan>> {
        self.plans.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Operators that keep no state between runs, so one plan can be executed again and
/// again (a repartition, say, keeps its channels in the plan and cannot).
const RERUNNABLE_OPERATORS: &[&str] = &[
    "ProjectionExec",
    "PlaceholderRowExec",
    "EmptyExec",
    "FilterExec",
    "CoalesceBatchesExec",
    "GlobalLimitExec",
    "LocalLimitExec",
    "DataSourceExec",
];

/// Whether the physical `plan` of a reusable query can run again as it is.
pub(crate) fn is_rerunnable(plan: &Arc<dyn ExecutionPlan>) -> bool {
    RERUNNABLE_OPERATORS.contains(&plan.name()) && plan.children().iter().all(|c| is_rerunnable(c))
}

/// Whether `plan` gives the same rows whenever it runs, whatever the graph holds: one
/// row or a `VALUES` list of expressions, filtered, limited, under aliases.
pub(crate) fn is_reusable(plan: &LogicalPlan) -> bool {
    let mut reusable = true;
    let _ = plan.apply(|node| {
        reusable &= match node {
            LogicalPlan::Projection(_)
            | LogicalPlan::Filter(_)
            | LogicalPlan::EmptyRelation(_)
            | LogicalPlan::Values(_)
            | LogicalPlan::SubqueryAlias(_)
            | LogicalPlan::Limit(_) => {
                let mut expressions_reusable = true;
                let _ = node.apply_expressions(|expr| {
                    expressions_reusable &= expr_is_reusable(expr);
                    Ok(if expressions_reusable {
                        TreeNodeRecursion::Continue
                    } else {
                        TreeNodeRecursion::Stop
                    })
                });
                expressions_reusable
            }
            _ => false,
        };
        Ok(if reusable {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    reusable
}

fn expr_is_reusable(expr: &Expr) -> bool {
    let mut reusable = true;
    let _ = expr.apply(|e| {
        reusable &= match e {
            Expr::ScalarFunction(f) => f.func.signature().volatility == Volatility::Immutable,
            Expr::AggregateFunction(f) => f.func.signature().volatility == Volatility::Immutable,
            Expr::ScalarSubquery(_)
            | Expr::Exists(_)
            | Expr::InSubquery(_)
            | Expr::SetComparison(_)
            | Expr::OuterReferenceColumn(..)
            | Expr::Placeholder(_)
            | Expr::ScalarVariable(..)
            | Expr::HigherOrderFunction(_)
            | Expr::WindowFunction(_) => false,
            _ => true,
        };
        Ok(if reusable {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    reusable
}
