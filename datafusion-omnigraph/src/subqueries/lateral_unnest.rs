//! `FROM t CROSS JOIN LATERAL unnest(t.a) AS k(x)` (and `FROM t, unnest(t.a)`): an
//! `unnest` that reads the columns of a relation before it, once per row of that
//! relation. DataFusion plans the relation as a subquery whose outer references it cannot
//! execute; here the subquery's steps run over the preceding relation's rows instead of
//! its single placeholder row, carrying that relation's columns along, which is what
//! PostgreSQL's lateral join means. An inner join (or cross join) only: a `LEFT JOIN
//! LATERAL` keeps rows whose array is empty and stays as DataFusion plans it.

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode};
use datafusion::common::{DFSchema, Result};
use datafusion::logical_expr::{
    Expr, Filter, Join, JoinType, LogicalPlan, LogicalPlanBuilder, Projection, Subquery,
    SubqueryAlias,
};
use datafusion::optimizer::analyzer::AnalyzerRule;

#[derive(Debug, Default)]
pub struct LateralUnnest;

impl AnalyzerRule for LateralUnnest {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| match plan {
            LogicalPlan::Join(join) if join.join_type == JoinType::Inner => {
                match over_preceding_rows(&join)? {
                    Some(plan) => Ok(Transformed::yes(plan)),
                    None => Ok(Transformed::no(LogicalPlan::Join(join))),
                }
            }
            other => Ok(Transformed::no(other)),
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "postgres_lateral_unnest"
    }
}

/// The join's right side, a lateral subquery of projections, filters and unnests over one
/// placeholder row, run over the left side's rows; `None` for any other join.
fn over_preceding_rows(join: &Join) -> Result<Option<LogicalPlan>> {
    let (alias, subquery) = match join.right.as_ref() {
        LogicalPlan::SubqueryAlias(SubqueryAlias { input, alias, .. }) => match input.as_ref() {
            LogicalPlan::Subquery(subquery) => (Some(alias.clone()), subquery),
            _ => return Ok(None),
        },
        LogicalPlan::Subquery(subquery) => (None, subquery),
        _ => return Ok(None),
    };
    let Some(steps) = steps_over_one_row(subquery) else {
        return Ok(None);
    };
    let left = join.left.as_ref().clone();
    let left_columns: Vec<Expr> = left
        .schema()
        .columns()
        .into_iter()
        .map(Expr::Column)
        .collect();
    let mut plan = left.clone();
    for step in steps.iter().rev() {
        plan = match step {
            LogicalPlan::Projection(Projection { expr, .. }) => {
                let mut exprs = left_columns.clone();
                for e in expr {
                    exprs.push(outer_references_as_columns(e.clone())?);
                }
                LogicalPlanBuilder::from(plan).project(exprs)?.build()?
            }
            LogicalPlan::Filter(Filter { predicate, .. }) => LogicalPlanBuilder::from(plan)
                .filter(outer_references_as_columns(predicate.clone())?)?
                .build()?,
            LogicalPlan::Unnest(unnest) => LogicalPlanBuilder::from(plan)
                .unnest_columns_with_options(unnest.exec_columns.clone(), unnest.options.clone())?
                .build()?,
            _ => return Ok(None),
        };
    }
    // The left side's columns as they were, then the lateral relation's under its alias.
    let right_schema: &DFSchema = join.right.schema();
    let produced = plan.schema().columns();
    let skip = left_columns.len();
    let mut output = left_columns;
    for (i, (qualifier, field)) in right_schema.iter().enumerate() {
        let Some(column) = produced.get(skip + i) else {
            return Ok(None);
        };
        let qualifier = qualifier.cloned().or_else(|| alias.clone());
        output.push(Expr::Column(column.clone()).alias_qualified(qualifier, field.name()));
    }
    let mut builder = LogicalPlanBuilder::from(plan).project(output)?;
    if let Some(condition) = &join.filter {
        builder = builder.filter(condition.clone())?;
    }
    if !join.on.is_empty() {
        let equal = join
            .on
            .iter()
            .map(|(l, r)| l.clone().eq(r.clone()))
            .reduce(Expr::and)
            .expect("non-empty");
        builder = builder.filter(equal)?;
    }
    Ok(Some(builder.build()?))
}

/// The subquery's steps from the top down, if each is a projection, filter or unnest and
/// the last reads DataFusion's one placeholder row (`EmptyRelation`), and the
/// subquery refers to the outer query (else it is not lateral and plans as it is).
fn steps_over_one_row(subquery: &Subquery) -> Option<Vec<LogicalPlan>> {
    if subquery.outer_ref_columns.is_empty() {
        return None;
    }
    let mut steps = Vec::new();
    let mut node = subquery.subquery.as_ref();
    loop {
        match node {
            LogicalPlan::Projection(Projection { input, .. })
            | LogicalPlan::Filter(Filter { input, .. }) => {
                steps.push(node.clone());
                node = input.as_ref();
            }
            LogicalPlan::Unnest(unnest) => {
                steps.push(node.clone());
                node = unnest.input.as_ref();
            }
            LogicalPlan::EmptyRelation(empty) if empty.produce_one_row => return Some(steps),
            _ => return None,
        }
    }
}

fn outer_references_as_columns(expr: Expr) -> Result<Expr> {
    expr.transform(|e| match e {
        Expr::OuterReferenceColumn(_, column) => Ok(Transformed::yes(Expr::Column(column))),
        other => Ok(Transformed::no(other)),
    })
    .map(|t| t.data)
}
