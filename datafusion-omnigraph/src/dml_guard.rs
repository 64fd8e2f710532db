//! An analyzer rule that keeps `UPDATE`/`DELETE` on graph tables honest.
//!
//! DataFusion hands `TableProvider::update/delete_from` the target table plus the filters
//! it extracts from the statement's plan. Filters it cannot extract are dropped, and no
//! filter means every row: a `WHERE` with a subquery (planned as a join) or a `WHERE` the
//! optimizer proves false (planned as an empty relation) would update or delete the
//! whole table. This rule runs before the optimizer: it refuses the shapes whose meaning
//! would be lost (0A000) and turns a statement whose `WHERE` is constantly false into one
//! that reports zero rows without touching the table.

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchemaRef, ScalarValue};
use datafusion::datasource::source_as_provider;
use datafusion::logical_expr::simplify::SimplifyContext;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder, WriteOp, lit};
use datafusion::optimizer::analyzer::AnalyzerRule;
use datafusion::optimizer::simplify_expressions::ExprSimplifier;

use crate::error::{DfResult, to_df};
use crate::provider::GraphTable;

#[derive(Debug, Default)]
pub struct DmlGuard;

impl DmlGuard {
    /// Refuses an input with anything but projections, filters and one scan of the
    /// target, or with subqueries; returns the conjunction of its filters.
    fn filters(input: &LogicalPlan, verb: &str) -> DfResult<Vec<(Expr, DFSchemaRef)>> {
        let mut scans = 0;
        let mut refused: Option<String> = None;
        let mut predicates = Vec::new();
        input.apply(|node| {
            match node {
                LogicalPlan::TableScan(_) => scans += 1,
                LogicalPlan::Filter(f) => {
                    predicates.push((f.predicate.clone(), f.input.schema().clone()))
                }
                LogicalPlan::Projection(_) | LogicalPlan::SubqueryAlias(_) => {}
                other => refused = Some(format!("a {}", other.display())),
            }
            for expr in node.expressions() {
                if expr.exists(|e| {
                    Ok(matches!(
                        e,
                        Expr::Exists(_) | Expr::InSubquery(_) | Expr::ScalarSubquery(_)
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
            None => Ok(predicates),
        }
    }
}

/// Whether `predicate` is false (or NULL) for every row, once simplified.
fn never_true(predicate: &Expr, schema: &DFSchemaRef) -> bool {
    let context = SimplifyContext::builder()
        .with_schema(schema.clone())
        .build();
    let simplified = ExprSimplifier::new(context)
        .simplify(predicate.clone())
        .unwrap_or_else(|_| predicate.clone());
    matches!(
        simplified,
        Expr::Literal(
            ScalarValue::Boolean(Some(false)) | ScalarValue::Boolean(None),
            _
        ) | Expr::Literal(ScalarValue::Null, _)
    )
}

impl AnalyzerRule for DmlGuard {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> DfResult<LogicalPlan> {
        Ok(plan
            .transform_down(|node| {
                let LogicalPlan::Dml(dml) = &node else {
                    return Ok(Transformed::no(node));
                };
                let verb = match dml.op {
                    WriteOp::Delete => "DELETE",
                    WriteOp::Update => "UPDATE",
                    _ => return Ok(Transformed::no(node)),
                };
                let Ok(provider) = source_as_provider(&dml.target) else {
                    return Ok(Transformed::no(node));
                };
                if !provider.is::<GraphTable>() {
                    return Ok(Transformed::no(node));
                }
                let predicates = DmlGuard::filters(&dml.input, verb)?;
                if predicates.iter().any(|(p, schema)| never_true(p, schema)) {
                    let zero = LogicalPlanBuilder::empty(true)
                        .project(vec![lit(0u64).alias("count")])?
                        .build()?;
                    return Ok(Transformed::new(zero, true, TreeNodeRecursion::Jump));
                }
                Ok(Transformed::no(node))
            })?
            .data)
    }

    fn name(&self) -> &str {
        "omnigraph_dml_guard"
    }
}
