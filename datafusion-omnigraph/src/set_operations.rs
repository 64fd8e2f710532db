//! `INTERSECT ALL` and `EXCEPT ALL` with PostgreSQL's multiplicities: a row `m` times on
//! the left and `n` times on the right appears `min(m, n)` times in the intersection and
//! `max(m - n, 0)` times in the difference.
//!
//! DataFusion plans both as a semi (anti) join of the left rows against the right ones,
//! which keeps every copy of a left row that has (has no) match. Numbering the copies of
//! each row on both sides and joining on the number too keeps the first `n` copies (drops
//! them), which is the multiset answer.

use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, NullEquality, Result};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::{
    Expr, ExprFunctionExt, Join, JoinType, LogicalPlan, LogicalPlanBuilder,
};
use datafusion::optimizer::analyzer::AnalyzerRule;

#[derive(Debug, Default)]
pub struct MultisetOperations;

impl AnalyzerRule for MultisetOperations {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| match plan {
            LogicalPlan::Join(join) if is_multiset_operation(&join) => {
                multiset_join(join).map(Transformed::yes)
            }
            other => Ok(Transformed::no(other)),
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "postgres_multiset_operations"
    }
}

/// The join `INTERSECT ALL`/`EXCEPT ALL` plan as: semi or anti, NULLs equal, on every
/// column, over left rows not made distinct (the plain `INTERSECT`/`EXCEPT`). SQL's own
/// joins never treat NULLs as equal, and the planner makes semi joins of `IN` and
/// `EXISTS` only later, in the optimizer.
fn is_multiset_operation(join: &Join) -> bool {
    matches!(join.join_type, JoinType::LeftSemi | JoinType::LeftAnti)
        && join.null_equality == NullEquality::NullEqualsNull
        && join.filter.is_none()
        && !join.null_aware
        && !matches!(join.left.as_ref(), LogicalPlan::Distinct(_))
        && join.on.len() == join.left.schema().fields().len()
        && join
            .on
            .iter()
            .all(|(l, r)| matches!((l, r), (Expr::Column(_), Expr::Column(_))))
}

const LEFT_OCCURRENCE: &str = "__left_occurrence";
const RIGHT_OCCURRENCE: &str = "__right_occurrence";

fn multiset_join(join: Join) -> Result<LogicalPlan> {
    let (mut left_keys, mut right_keys): (Vec<Column>, Vec<Column>) = join
        .on
        .iter()
        .filter_map(|(l, r)| match (l, r) {
            (Expr::Column(l), Expr::Column(r)) => Some((l.clone(), r.clone())),
            _ => None,
        })
        .unzip();
    let left = numbered(join.left.as_ref().clone(), &left_keys, LEFT_OCCURRENCE)?;
    let right = numbered(join.right.as_ref().clone(), &right_keys, RIGHT_OCCURRENCE)?;
    left_keys.push(Column::from_name(LEFT_OCCURRENCE));
    right_keys.push(Column::from_name(RIGHT_OCCURRENCE));
    let left_columns: Vec<Expr> = join
        .left
        .schema()
        .columns()
        .into_iter()
        .map(Expr::Column)
        .collect();
    LogicalPlanBuilder::from(left)
        .join_detailed(
            right,
            join.join_type,
            (left_keys, right_keys),
            None,
            NullEquality::NullEqualsNull,
        )?
        .project(left_columns)?
        .build()
}

/// `input` plus a column `name` numbering the copies of each row from 1.
fn numbered(input: LogicalPlan, keys: &[Column], name: &str) -> Result<LogicalPlan> {
    let occurrence = row_number()
        .partition_by(keys.iter().cloned().map(Expr::Column).collect())
        .build()?;
    let occurrence_column = Expr::Column(Column::from_name(occurrence.schema_name().to_string()));
    let mut columns: Vec<Expr> = input
        .schema()
        .columns()
        .into_iter()
        .map(Expr::Column)
        .collect();
    columns.push(occurrence_column.alias(name));
    LogicalPlanBuilder::from(input)
        .window(vec![occurrence])?
        .project(columns)?
        .build()
}
