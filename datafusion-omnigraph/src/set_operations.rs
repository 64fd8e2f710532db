//! Set operations as PostgreSQL answers them. `UNION` of `varchar` and `text` columns
//! has the first operand's type ([`UnionTypeTags`]).
//!
//! `INTERSECT ALL` and `EXCEPT ALL` with PostgreSQL's multiplicities: a row `m` times on
//! the left and `n` times on the right appears `min(m, n)` times in the intersection and
//! `max(m - n, 0)` times in the difference.
//!
//! DataFusion plans both as a semi (anti) join of the left rows against the right ones,
//! which keeps every copy of a left row that has (has no) match. Numbering the copies of
//! each row on both sides and joining on the number too keeps the first `n` copies (drops
//! them), which is the multiset answer.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, FieldRef};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{Column, DFSchema, NullEquality, Result, exec_err};
use datafusion::functions_window::expr_fn::row_number;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ExprFunctionExt, Join, JoinType, LogicalPlan, LogicalPlanBuilder,
    ReturnFieldArgs, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Union, Volatility,
};
use datafusion::optimizer::analyzer::AnalyzerRule;

use crate::pg_type::pg_type_of;

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

/// The columns of a `UNION` whose operands PostgreSQL types differently but Arrow alike
/// (`varchar`, `bpchar` and `text`, told apart by a [`crate::pg_type`] tag): the result
/// has the first operand's type, as PostgreSQL resolves string types (each converts to
/// the others implicitly, so the first one stays). Runs after the casts that tag character
/// types; the union's schema (and those above it) are computed again from the operands,
/// where DataFusion would keep the one it computed before the tags.
#[derive(Debug, Default)]
pub struct UnionTypeTags;

impl AnalyzerRule for UnionTypeTags {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        let mut changed = false;
        plan.transform_up_with_subqueries(|plan| match plan {
            LogicalPlan::Union(union) => {
                let union = retagged_union(union)?;
                changed |= union.transformed;
                Ok(union)
            }
            other if changed => other.recompute_schema().map(Transformed::yes),
            other => Ok(Transformed::no(other)),
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "postgres_union_type_tags"
    }
}

fn retagged_union(union: Union) -> Result<Transformed<LogicalPlan>> {
    let Some(first) = union.inputs.first().map(Arc::clone) else {
        return Ok(Transformed::no(LogicalPlan::Union(union)));
    };
    let differs = |input: &LogicalPlan, i: usize| {
        pg_type_of(input.schema().field(i)) != pg_type_of(first.schema().field(i))
    };
    let inputs = union
        .inputs
        .iter()
        .map(|input| {
            let width = input.schema().fields().len();
            if !(0..width).any(|i| differs(input, i)) {
                return Ok(Arc::clone(input));
            }
            let columns = input
                .schema()
                .columns()
                .into_iter()
                .enumerate()
                .map(|(i, column)| match differs(input, i) {
                    true => {
                        let name = column.name.clone();
                        let metadata = first.schema().field(i).metadata();
                        Expr::ScalarFunction(ScalarFunction::new_udf(
                            Arc::new(ScalarUDF::new_from_impl(Retagged {
                                metadata: metadata.clone().into_iter().collect(),
                                signature: Signature::any(1, Volatility::Immutable),
                            })),
                            vec![Expr::Column(column)],
                        ))
                        .alias(name)
                    }
                    false => Expr::Column(column),
                })
                .collect::<Vec<_>>();
            LogicalPlanBuilder::from(input.as_ref().clone())
                .project(columns)
                .and_then(|b| b.build())
                .map(Arc::new)
        })
        .collect::<Result<Vec<_>>>()?;
    let fields = union
        .schema
        .iter()
        .enumerate()
        .map(|(i, (qualifier, field))| {
            let mut metadata = HashMap::new();
            for input in &inputs {
                metadata.extend(input.schema().field(i).metadata().clone());
            }
            (
                qualifier.cloned(),
                Arc::new(field.as_ref().clone().with_metadata(metadata)),
            )
        })
        .collect::<Vec<_>>();
    let schema = DFSchema::new_with_metadata(fields, union.schema.metadata().clone())?;
    let rebuilt = inputs
        .iter()
        .zip(&union.inputs)
        .any(|(a, b)| !Arc::ptr_eq(a, b));
    if schema == *union.schema && !rebuilt {
        return Ok(Transformed::no(LogicalPlan::Union(union)));
    }
    Ok(Transformed::yes(LogicalPlan::Union(Union {
        inputs,
        schema: Arc::new(schema),
    })))
}

/// A value as it is, in a field with the metadata (the type tag) of another operand's.
#[derive(Debug, PartialEq, Eq, Hash)]
struct Retagged {
    metadata: BTreeMap<String, String>,
    signature: Signature,
}

impl ScalarUDFImpl for Retagged {
    fn name(&self) -> &str {
        "retagged"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        match arg_types.first() {
            Some(t) => Ok(t.clone()),
            None => exec_err!("retagged takes a value"),
        }
    }

    fn return_field_from_args(&self, args: ReturnFieldArgs) -> Result<FieldRef> {
        let Some(value) = args.arg_fields.first() else {
            return exec_err!("retagged takes a value");
        };
        Ok(Arc::new(
            Field::new(self.name(), value.data_type().clone(), value.is_nullable())
                .with_metadata(self.metadata.clone().into_iter().collect()),
        ))
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> Result<ColumnarValue> {
        match args.args.into_iter().next() {
            Some(value) => Ok(value),
            None => exec_err!("retagged takes a value"),
        }
    }
}
