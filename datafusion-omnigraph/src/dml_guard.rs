//! An analyzer rule that keeps `UPDATE`/`DELETE` on graph tables honest.
//!
//! DataFusion hands `TableProvider::update/delete_from` the target table plus the filters
//! it extracts from the statement's plan. Filters it cannot extract are dropped, and no
//! filter means every row: a `WHERE` with a subquery (planned as a join) or a `WHERE` the
//! optimizer proves false (planned as an empty relation) would update or delete the
//! whole table. `DmlGuard` (an analyzer rule) refuses the shapes whose meaning would be
//! lost (0A000); `DmlEmptyGuard` (an optimizer rule) turns a statement whose rows the
//! optimizer proved empty into one that reports zero rows without touching the table.

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};

use datafusion::datasource::source_as_provider;
use std::sync::Arc;

use datafusion::catalog::TableProvider;
use datafusion::logical_expr::{DmlStatement, Expr, LogicalPlan, LogicalPlanBuilder, WriteOp, lit};
use datafusion::optimizer::analyzer::AnalyzerRule;
use datafusion::optimizer::{OptimizerConfig, OptimizerRule};

use crate::error::{DfResult, to_df};
use crate::provider::GraphTable;

#[derive(Debug, Default)]
pub struct DmlGuard;

impl DmlGuard {
    /// Refuses an input with anything but projections, filters and one scan of the
    /// target, or with subqueries.
    fn filters(input: &LogicalPlan, verb: &str) -> DfResult<()> {
        let mut scans = 0;
        let mut refused: Option<String> = None;
        input.apply(|node| {
            match node {
                LogicalPlan::TableScan(_) => scans += 1,
                LogicalPlan::Projection(_)
                | LogicalPlan::Filter(_)
                | LogicalPlan::SubqueryAlias(_) => {}
                other => refused = Some(format!("a {}", other.display())),
            }
            for expr in node.expressions() {
                if expr.exists(|e| {
                    Ok(matches!(
                        e,
                        Expr::Exists(_)
                            | Expr::InSubquery(_)
                            | Expr::ScalarSubquery(_)
                            | Expr::SetComparison(_)
                    ))
                })? {
                    refused = Some("a subquery".to_string());
                }
            }
            Ok(TreeNodeRecursion::Continue)
        })?;
        if scans != 1 && refused.is_none() {
            refused = Some(format!("{scans} table scans"));
        }
        match refused {
            Some(what) => Err(to_df(omnigraph_engine::Error::NotSupported(format!(
                "{verb} with {what}: only WHERE conditions on the table's own columns are supported"
            )))),
            None => Ok(()),
        }
    }
}

/// The verb and table provider of an `UPDATE`/`DELETE` of a graph table.
fn graph_update_or_delete(
    node: &LogicalPlan,
) -> Option<(&'static str, &DmlStatement, Arc<dyn TableProvider>)> {
    let LogicalPlan::Dml(dml) = node else {
        return None;
    };
    let verb = match dml.op {
        WriteOp::Delete => "DELETE",
        WriteOp::Update => "UPDATE",
        _ => return None,
    };
    let provider = source_as_provider(&dml.target).ok()?;
    provider.is::<GraphTable>().then_some((verb, dml, provider))
}

/// The rows of an `INSERT ... VALUES` into a graph table, typed as nullable: DataFusion
/// types them as the table's columns, and a `NULL` for a required column (`VALUES
/// (NULL)`, `upper(NULL)`) would fail as a malformed batch before the write's own checks
/// could say which column it is (23502).
fn nullable_values(input: &LogicalPlan) -> DfResult<Option<LogicalPlan>> {
    let mut relaxed = false;
    let plan = input
        .clone()
        .transform_up(|node| match node {
            LogicalPlan::Values(values)
                if values.schema.fields().iter().any(|f| !f.is_nullable()) =>
            {
                relaxed = true;
                let fields: Vec<_> = values
                    .schema
                    .iter()
                    .map(|(qualifier, field)| {
                        (
                            qualifier.cloned(),
                            Arc::new(field.as_ref().clone().with_nullable(true)),
                        )
                    })
                    .collect();
                let schema = datafusion::common::DFSchema::new_with_metadata(
                    fields,
                    values.schema.metadata().clone(),
                )?;
                Ok(Transformed::yes(LogicalPlan::Values(
                    datafusion::logical_expr::Values {
                        schema: Arc::new(schema),
                        values: values.values,
                    },
                )))
            }
            other if relaxed => Ok(Transformed::yes(other.recompute_schema()?)),
            other => Ok(Transformed::no(other)),
        })?
        .data;
    Ok(relaxed.then_some(plan))
}

impl AnalyzerRule for DmlGuard {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> DfResult<LogicalPlan> {
        Ok(plan
            .transform_down(|node| {
                if let Some((verb, dml, _)) = graph_update_or_delete(&node) {
                    DmlGuard::filters(&dml.input, verb)?;
                }
                if let LogicalPlan::Dml(dml) = &node
                    && matches!(dml.op, WriteOp::Insert(_))
                    && source_as_provider(&dml.target).is_ok_and(|p| p.is::<GraphTable>())
                    && let Some(input) = nullable_values(&dml.input)?
                {
                    let mut dml = dml.clone();
                    dml.input = Arc::new(input);
                    return Ok(Transformed::yes(LogicalPlan::Dml(dml)));
                }
                Ok(Transformed::no(node))
            })?
            .data)
    }

    fn name(&self) -> &str {
        "omnigraph_dml_guard"
    }
}

/// An optimizer rule (last in line) for `UPDATE`/`DELETE` whose rows the optimizer proved
/// empty (`WHERE false`, `WHERE now() < '2000-01-01'`): DataFusion would find no filter
/// in the empty input and hand the table provider none, meaning every row. The statement
/// becomes `SELECT 0 AS count` instead, after the same write checks (read-only session,
/// transaction branch) the table would have made.
#[derive(Debug, Default)]
pub struct DmlEmptyGuard;

impl OptimizerRule for DmlEmptyGuard {
    fn name(&self) -> &str {
        "omnigraph_dml_empty_guard"
    }

    fn rewrite(
        &self,
        plan: LogicalPlan,
        _config: &dyn OptimizerConfig,
    ) -> DfResult<Transformed<LogicalPlan>> {
        plan.transform_down(|node| {
            let Some((_, dml, provider)) = graph_update_or_delete(&node) else {
                return Ok(Transformed::no(node));
            };
            let Some(table) = provider.downcast_ref::<GraphTable>() else {
                return Ok(Transformed::no(node));
            };
            let mut empty = false;
            dml.input.apply(|n| {
                if matches!(n, LogicalPlan::EmptyRelation(e) if !e.produce_one_row) {
                    empty = true;
                }
                Ok(TreeNodeRecursion::Continue)
            })?;
            if !empty {
                return Ok(Transformed::no(node));
            }
            table.write_branch()?;
            let zero = LogicalPlanBuilder::empty(true)
                .project(vec![lit(0u64).alias("count")])?
                .build()?;
            Ok(Transformed::new(zero, true, TreeNodeRecursion::Jump))
        })
    }
}
