//! Integer literals typed as PostgreSQL types them: `integer` when the value fits in 32
//! bits, `bigint` otherwise (DataFusion's planner makes every integer literal `Int64`).
//! Type resolution then follows PostgreSQL: `int4 + int4` is `int4` (checked for
//! `integer out of range`), `int4 + int8` is `int8`, `ARRAY[1, 2]` is `int4[]`.
//!
//! An analyzer rule placed before type coercion, so coercion widens the literal wherever
//! its context needs a wider type. It leaves alone what must stay `Int64` or cannot be
//! retyped after planning: `LIMIT`/`OFFSET`, literal arguments of aggregate and window
//! functions (`count(1)`, `lag(x, 1)`), writes (their input was planned against the
//! table's types) and recursive queries (their work table's types are fixed at planning).

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field};
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::{Expr, ExprSchemable, LogicalPlan, Union, Values};
use datafusion::optimizer::analyzer::AnalyzerRule;

/// The rule's name; [`super::register`] places it before DataFusion's `type_coercion`.
pub const RULE_NAME: &str = "postgres_integer_literals";

#[derive(Debug, Default)]
pub struct PostgresIntegerLiterals;

impl AnalyzerRule for PostgresIntegerLiterals {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        Ok(retype_plan(plan)?.data)
    }

    fn name(&self) -> &str {
        RULE_NAME
    }
}

/// Whether `plan` and everything under it keep the types they were planned with.
fn keeps_planned_types(plan: &LogicalPlan) -> bool {
    matches!(
        plan,
        LogicalPlan::Dml(_)
            | LogicalPlan::RecursiveQuery(_)
            | LogicalPlan::Extension(_)
            | LogicalPlan::Ddl(_)
            | LogicalPlan::Copy(_)
            | LogicalPlan::Statement(_)
    )
}

fn retype_plan(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    if keeps_planned_types(&plan) {
        return Ok(Transformed::no(plan));
    }
    let plan = plan
        .map_children(retype_plan)?
        .transform_sibling(|plan| plan.map_subqueries(retype_subquery))?;
    let transformed = plan.transformed;
    let plan = match plan.data {
        // LIMIT and OFFSET must stay `Int64` literals for DataFusion's limit pushdown.
        LogicalPlan::Limit(limit) => Transformed::no(LogicalPlan::Limit(limit)),
        // A grouping set's columns are named by the set: renaming them would lose them.
        LogicalPlan::Aggregate(aggregate)
            if aggregate
                .group_expr
                .iter()
                .any(|e| matches!(e, Expr::GroupingSet(_))) =>
        {
            Transformed::no(LogicalPlan::Aggregate(aggregate))
        }
        LogicalPlan::Values(values) => retype_values(values)?,
        LogicalPlan::Union(union) => Transformed::yes(union_typed_by_inputs(union)?),
        plan => retype_expressions(plan)?,
    };
    if !(transformed || plan.transformed) {
        return Ok(plan);
    }
    // A child's or an expression's type may have changed.
    Ok(Transformed::yes(plan.data.recompute_schema()?))
}

fn retype_subquery(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    match plan {
        LogicalPlan::Subquery(mut subquery) => {
            let inner = retype_plan(Arc::unwrap_or_clone(subquery.subquery))?;
            subquery.subquery = Arc::new(inner.data);
            Ok(Transformed::new(
                LogicalPlan::Subquery(subquery),
                inner.transformed,
                TreeNodeRecursion::Jump,
            ))
        }
        other => retype_plan(other),
    }
}

fn retype_expressions(plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    let names = NamePreserver::new(&plan);
    plan.map_expressions(|expr| {
        let name = names.save(&expr);
        Ok(retype_literals(expr)?.update_data(|e| name.restore(e)))
    })
}

/// The `integer` literal `value` would be in PostgreSQL, if it is one.
fn as_integer(value: &ScalarValue) -> Option<ScalarValue> {
    match value {
        ScalarValue::Int64(Some(v)) => i32::try_from(*v).ok().map(|v| ScalarValue::Int32(Some(v))),
        _ => None,
    }
}

/// A literal with an exponent (`1e20`) as the whole `numeric` PostgreSQL reads: the
/// decimal parser gives it a negative scale, which PostgreSQL's numeric has not.
fn whole_decimal(value: &ScalarValue) -> Option<ScalarValue> {
    let ScalarValue::Decimal128(Some(v), precision, scale) = value else {
        return None;
    };
    if *scale >= 0 {
        return None;
    }
    let digits = u32::from(*precision) + scale.unsigned_abs() as u32;
    if digits > 38 {
        return None;
    }
    let whole = v.checked_mul(10_i128.checked_pow(scale.unsigned_abs() as u32)?)?;
    Some(ScalarValue::Decimal128(Some(whole), digits as u8, 0))
}

/// `expr` with its integer literals typed `integer` where they fit, except the literal
/// arguments of aggregate and window functions, which some of them read as `Int64`.
fn retype_literals(expr: Expr) -> Result<Transformed<Expr>> {
    expr.transform_down(|e| match e {
        Expr::Literal(value, metadata) => {
            Ok(match as_integer(&value).or_else(|| whole_decimal(&value)) {
                Some(integer) => Transformed::yes(Expr::Literal(integer, metadata)),
                None => Transformed::no(Expr::Literal(value, metadata)),
            })
        }
        Expr::AggregateFunction(mut f) => {
            let mut transformed = false;
            let args = std::mem::take(&mut f.params.args);
            f.params.args = args
                .into_iter()
                .map(|arg| match arg {
                    Expr::Literal(..) => Ok(arg),
                    arg => {
                        let t = retype_literals(arg)?;
                        transformed |= t.transformed;
                        Ok(t.data)
                    }
                })
                .collect::<Result<Vec<_>>>()?;
            Ok(Transformed::new(
                Expr::AggregateFunction(f),
                transformed,
                TreeNodeRecursion::Jump,
            ))
        }
        Expr::WindowFunction(w) => Ok(Transformed::new(
            Expr::WindowFunction(w),
            false,
            TreeNodeRecursion::Jump,
        )),
        other => Ok(Transformed::no(other)),
    })
}

/// `VALUES`: a column becomes `integer` when every row's value does (or is NULL);
/// otherwise the column keeps the type it was planned with, and its values too.
fn retype_values(values: Values) -> Result<Transformed<LogicalPlan>> {
    let Values { schema, values } = values;
    let empty = DFSchema::empty();
    let mut rows = values.clone();
    let mut fields = Vec::with_capacity(schema.fields().len());
    let mut transformed = false;
    for (column, (qualifier, field)) in schema.iter().enumerate() {
        let mut retyped = Vec::with_capacity(values.len());
        let mut all_integer = field.data_type() == &DataType::Int64;
        for row in &values {
            if !all_integer {
                break;
            }
            let expr = retype_literals(row[column].clone())?.data;
            all_integer = matches!(
                expr.get_type(&empty),
                Ok(DataType::Int32) | Ok(DataType::Null)
            );
            retyped.push(expr);
        }
        if all_integer && !values.is_empty() {
            for (row, expr) in rows.iter_mut().zip(retyped) {
                row[column] = expr;
            }
            let integer = Field::new(field.name(), DataType::Int32, field.is_nullable())
                .with_metadata(field.metadata().clone());
            fields.push((qualifier.cloned(), Arc::new(integer)));
            transformed = true;
        } else {
            fields.push((qualifier.cloned(), Arc::clone(field)));
        }
    }
    if !transformed {
        return Ok(Transformed::no(LogicalPlan::Values(Values {
            schema,
            values,
        })));
    }
    let schema = DFSchema::new_with_metadata(fields, schema.metadata().clone())?;
    Ok(Transformed::yes(LogicalPlan::Values(Values {
        schema: Arc::new(schema),
        values: rows,
    })))
}

/// A union typed by its first input, as planned; type coercion then widens it to what
/// every input needs (it starts from the union's own types, which the planner took from
/// the inputs before their literals were retyped).
fn union_typed_by_inputs(union: Union) -> Result<LogicalPlan> {
    let first = Arc::clone(union.inputs[0].schema());
    let fields = union
        .schema
        .iter()
        .zip(first.fields())
        .map(|((qualifier, field), input)| {
            let typed = Field::new(field.name(), input.data_type().clone(), field.is_nullable())
                .with_metadata(field.metadata().clone());
            (qualifier.cloned(), Arc::new(typed))
        })
        .collect();
    let schema = DFSchema::new_with_metadata(fields, union.schema.metadata().clone())?;
    Ok(LogicalPlan::Union(Union {
        inputs: union.inputs,
        schema: Arc::new(schema),
    }))
}
