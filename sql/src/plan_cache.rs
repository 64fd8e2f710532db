//! What a session keeps of the queries it planned, by statement text, so that running
//! one again skips the work that does not depend on the data.
//!
//! - **Constant queries** (`SELECT 1`, a connection pool's health check, `SELECT 'a' ||
//!   'b'`) read nothing and compute the same row every time: their physical plan is kept
//!   and run again as it is. Such a plan scans no table, has no subquery and no
//!   placeholder, and calls only immutable functions (a stable one such as `now()` or
//!   `current_setting()` is folded to a constant while the plan is optimized).
//! - **Queries over graph tables** (a prepared point lookup, a dashboard's repeated
//!   query) keep their logical plan: analyzed when it has no placeholders; otherwise as
//!   SQL planned it, so that an execution binds its values and analyzes the plan as a
//!   fresh plan does (the analyzer's rules type literals by their values). The
//!   execution then optimizes the plan and plans its scans on the versions its own
//!   statement pins. Parsing and name resolution (and the analysis, without
//!   placeholders) are done once. The scans are planned again each time because they
//!   are planned on a table version and with the filter's values (a key lookup's index
//!   search), and Lance's scan operators run once.
//!
//! A kept plan must not give an answer a fresh plan would not:
//! - It is kept only when everything it depends on is resolved when it runs: its tables
//!   are graph tables read at the statement's snapshot (not catalog tables, whose rows
//!   are computed while planning, nor table functions, whose arguments are).
//! - Settings shape plans (search path, branch), and so does a transaction (a branch's
//!   schema names the transaction's private branch inside one), so a `SET`, DDL, a
//!   procedure or transaction control empties the cache; writes do not change a plan.
//! - A table whose schema changed since (another session's `apply_schema`) refuses the
//!   scan; the session then forgets the plan and plans the statement afresh, as it does
//!   after any error before the query runs, so errors are always a fresh plan's.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
use datafusion::datasource::source_as_provider;
use datafusion::execution::TaskContext;
use datafusion::logical_expr::{Expr, LogicalPlan, Volatility};
use datafusion::physical_plan::ExecutionPlan;
use datafusion::scalar::ScalarValue;
use datafusion_omnigraph::provider::GraphTable;

/// Entries beyond this many are not worth keeping: past it the cache starts over.
const MAX_PLANS: usize = 64;

/// A plan ready to run again, with the context it was planned in.
#[derive(Clone)]
pub(crate) struct CachedPlan {
    pub schema: SchemaRef,
    pub plan: Arc<dyn ExecutionPlan>,
    pub task_ctx: Arc<TaskContext>,
}

/// The logical plan of a query over graph tables, kept for its later executions.
pub(crate) struct GenericPlan {
    plan: LogicalPlan,
    /// Whether `plan` is analyzed: only a plan without placeholders is kept analyzed.
    /// The analyzer's PostgreSQL rules type a literal by its value (an integer that fits
    /// is `integer`, a numeric quotient's scale follows its operands), so values must be
    /// in the plan before it is analyzed, as in a fresh plan.
    analyzed: bool,
}

/// A kept plan with an execution's values in it.
pub(crate) struct BoundPlan {
    pub plan: LogicalPlan,
    /// Whether the analyzer has run on `plan` already.
    pub analyzed: bool,
}

impl GenericPlan {
    /// Whether a query planned as `plan` may be kept: checked before the analysis, which
    /// a query that may not is spared.
    pub fn may_keep(plan: &LogicalPlan) -> bool {
        reads_only_statement_graph_tables(plan)
    }

    /// A plan without placeholders, analyzed.
    pub fn analyzed(plan: LogicalPlan) -> GenericPlan {
        GenericPlan {
            plan,
            analyzed: true,
        }
    }

    /// A plan with placeholders, as SQL planned it.
    pub fn with_placeholders(plan: LogicalPlan) -> GenericPlan {
        GenericPlan {
            plan,
            analyzed: false,
        }
    }

    /// The plan with `params` in place of its placeholders (values without one are
    /// ignored, as in a fresh plan); an error when a placeholder has no value.
    pub fn bind(&self, params: &[ScalarValue]) -> datafusion::common::Result<BoundPlan> {
        let plan = match (self.analyzed, params) {
            (true, _) | (false, []) => self.plan.clone(),
            (false, values) => self.plan.clone().with_param_values(values.to_vec())?,
        };
        Ok(BoundPlan {
            plan,
            analyzed: self.analyzed,
        })
    }
}

/// A plan kept for a statement's text.
#[derive(Clone)]
pub(crate) enum KeptPlan {
    Constant(CachedPlan),
    Generic(Arc<GenericPlan>),
}

#[derive(Default)]
pub(crate) struct PlanCache {
    plans: Mutex<HashMap<String, KeptPlan>>,
}

impl PlanCache {
    pub fn get(&self, text: &str) -> Option<KeptPlan> {
        self.lock().get(text).cloned()
    }

    pub fn insert(&self, text: String, plan: KeptPlan) {
        let mut plans = self.lock();
        if plans.len() >= MAX_PLANS {
            plans.clear();
        }
        plans.insert(text, plan);
    }

    pub fn forget(&self, text: &str) {
        self.lock().remove(text);
    }

    pub fn clear(&self) {
        let mut plans = self.lock();
        if !plans.is_empty() {
            plans.clear();
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, KeptPlan>> {
        self.plans.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Whether every table `plan` reads (in subqueries too) is a graph table read at the
/// statement's snapshot, and there is one; and nothing in it is resolved while planning
/// but those tables (session variables) or does more than read (writes, DDL, commands).
fn reads_only_statement_graph_tables(plan: &LogicalPlan) -> bool {
    let mut graph_tables = 0;
    let mut generic = true;
    let _ = plan.apply_with_subqueries(|node| {
        generic &= match node {
            LogicalPlan::TableScan(scan) => {
                let reads_snapshot = source_as_provider(&scan.source).is_ok_and(|provider| {
                    provider
                        .downcast_ref::<GraphTable>()
                        .is_some_and(GraphTable::reads_statement_snapshot)
                });
                graph_tables += 1;
                reads_snapshot
            }
            LogicalPlan::Extension(_)
            | LogicalPlan::Dml(_)
            | LogicalPlan::Ddl(_)
            | LogicalPlan::Statement(_)
            | LogicalPlan::Copy(_)
            | LogicalPlan::Explain(_)
            | LogicalPlan::Analyze(_)
            | LogicalPlan::DescribeTable(_) => false,
            _ => {
                let mut resolved_when_run = true;
                let _ = node.apply_expressions(|expr| {
                    expr.apply(|e| {
                        resolved_when_run &= !matches!(e, Expr::ScalarVariable(..));
                        Ok(TreeNodeRecursion::Continue)
                    })
                });
                resolved_when_run
            }
        };
        Ok(if generic {
            TreeNodeRecursion::Continue
        } else {
            TreeNodeRecursion::Stop
        })
    });
    generic && graph_tables > 0
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
