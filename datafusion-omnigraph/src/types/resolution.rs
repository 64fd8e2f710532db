//! PostgreSQL's type resolution where DataFusion is more lenient. PostgreSQL finds a
//! common type for the branches of a `UNION` and of a `CASE` only within one type
//! category (numbers with numbers, strings with strings, ...) and refuses other mixes
//! (42804), gives an untyped string literal the type of the other branches (so `SELECT 1
//! UNION SELECT 'abc'` fails to read `'abc'` as an integer, 22P02), and has no `=` between
//! a boolean and a number (42883). An analyzer rule that runs before type coercion, and
//! an expression planner for the comparison.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::{Transformed, TreeNode, TreeNodeRecursion};
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::planner::{
    ExprPlanner, PlannerResult, RawAggregateExpr, RawBinaryExpr, RawWindowExpr,
};
use datafusion::logical_expr::utils::merge_schema;
use datafusion::logical_expr::{
    BinaryExpr, Case, Cast, Expr, ExprSchemable, LogicalPlan, Operator, Projection, Union,
};
use datafusion::optimizer::analyzer::AnalyzerRule;
use datafusion::sql::sqlparser::ast::BinaryOperator;

use super::error::TypeError;
use super::type_name;

/// PostgreSQL's type categories (`pg_type.typcategory`) for the types we have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Category {
    Boolean,
    Numeric,
    String,
    DateTime,
    Timespan,
    Other,
}

fn category(data_type: &DataType) -> Option<Category> {
    Some(match data_type {
        DataType::Null => return None,
        DataType::Boolean => Category::Boolean,
        t if t.is_numeric() => Category::Numeric,
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => Category::String,
        DataType::Date32 | DataType::Date64 | DataType::Timestamp(..) => Category::DateTime,
        DataType::Interval(_) | DataType::Duration(_) => Category::Timespan,
        _ => Category::Other,
    })
}

fn name(data_type: &DataType) -> String {
    type_name(data_type).unwrap_or_else(|| data_type.to_string())
}

/// A string literal: `unknown` in PostgreSQL until its context gives it a type.
fn is_unknown_literal(expr: &Expr) -> bool {
    match expr {
        Expr::Literal(ScalarValue::Utf8(Some(_)), _) => true,
        Expr::Alias(alias) => is_unknown_literal(&alias.expr),
        _ => false,
    }
}

/// The typed branch types of one resolution, in order: the first type of another
/// category than the first branch's is an error.
fn common_category(
    what: &str,
    types: impl IntoIterator<Item = DataType>,
) -> Result<Option<DataType>> {
    let mut first: Option<DataType> = None;
    for t in types {
        let Some(c) = category(&t) else { continue };
        match &first {
            None => first = Some(t),
            // Arrays, structs and the like: DataFusion's coercion decides.
            Some(f) if c == Category::Other || category(f) == Some(Category::Other) => {}
            Some(f) if category(f) == Some(c) => {}
            Some(f) => {
                return Err(TypeError::DatatypeMismatch(format!(
                    "{what} types {} and {} cannot be matched",
                    name(f),
                    name(&t)
                ))
                .into());
            }
        }
    }
    Ok(first)
}

/// The projected expression of column `i` of a union branch, when the branch is a
/// projection (`SELECT 'abc'`).
fn projected(plan: &LogicalPlan, i: usize) -> Option<&Expr> {
    match plan {
        LogicalPlan::Projection(Projection { expr, .. }) => expr.get(i),
        _ => None,
    }
}

fn resolve_union(union: Union) -> Result<Transformed<LogicalPlan>> {
    let columns = union.schema.fields().len();
    let mut inputs: Vec<LogicalPlan> = union.inputs.iter().map(|p| p.as_ref().clone()).collect();
    let mut transformed = false;
    for i in 0..columns {
        let typed = inputs.iter().filter_map(|input| {
            let unknown = projected(input, i).is_some_and(is_unknown_literal);
            (!unknown).then(|| input.schema().field(i).data_type().clone())
        });
        let Some(common) = common_category("UNION", typed.collect::<Vec<_>>())? else {
            continue;
        };
        if category(&common) == Some(Category::String) {
            continue;
        }
        // An untyped literal reads as the other branches' type.
        for input in inputs.iter_mut() {
            if let LogicalPlan::Projection(projection) = input
                && let Some(expr) = projection.expr.get_mut(i)
                && is_unknown_literal(expr)
            {
                let (qualifier, field) = projection.schema.qualified_field(i);
                let name = field.name().clone();
                let qualifier = qualifier.cloned();
                let literal = std::mem::replace(expr, Expr::Literal(ScalarValue::Null, None));
                let literal = match literal {
                    Expr::Alias(alias) => *alias.expr,
                    other => other,
                };
                *expr = Expr::Cast(Cast::new(Box::new(literal), common.clone()))
                    .alias_qualified(qualifier, name);
                transformed = true;
            }
        }
    }
    if !transformed {
        return Ok(Transformed::no(LogicalPlan::Union(union)));
    }
    // A cast literal may be NULL at run time as far as the physical plan knows.
    let fields = union
        .schema
        .iter()
        .map(|(qualifier, field)| {
            (
                qualifier.cloned(),
                std::sync::Arc::new(field.as_ref().clone().with_nullable(true)),
            )
        })
        .collect();
    let schema = std::sync::Arc::new(DFSchema::new_with_metadata(
        fields,
        union.schema.metadata().clone(),
    )?);
    let inputs = inputs
        .into_iter()
        .map(|input| match input {
            LogicalPlan::Projection(p) => Projection::try_new(p.expr, p.input)
                .map(LogicalPlan::Projection)
                .map(std::sync::Arc::new),
            other => Ok(std::sync::Arc::new(other)),
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Transformed::yes(LogicalPlan::Union(Union {
        inputs,
        schema,
    })))
}

fn is_comparison(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq
    )
}

/// Aggregates PostgreSQL has for several argument types and no `unknown` one: called
/// with a bare `NULL` it cannot choose.
const AGGREGATES_WITHOUT_UNKNOWN: [&str; 3] = ["sum", "avg", "array_agg"];

/// Refuses `sum(NULL)` (as an aggregate or a window) while planning, as PostgreSQL does
/// (42725); DataFusion finds no result type for it and fails without a kind.
#[derive(Debug, Default)]
pub struct AmbiguousAggregates;

impl AmbiguousAggregates {
    fn check(name: &str, args: &[Expr]) -> Result<()> {
        let name = name.to_ascii_lowercase();
        let untyped_null = matches!(args, [Expr::Literal(ScalarValue::Null, _)]);
        if untyped_null && AGGREGATES_WITHOUT_UNKNOWN.contains(&name.as_str()) {
            return Err(TypeError::AmbiguousFunction(format!("{name}(unknown)")).into());
        }
        Ok(())
    }
}

impl ExprPlanner for AmbiguousAggregates {
    fn plan_aggregate(&self, expr: RawAggregateExpr) -> Result<PlannerResult<RawAggregateExpr>> {
        Self::check(expr.func.name(), &expr.args)?;
        Ok(PlannerResult::Original(expr))
    }

    fn plan_window(&self, expr: RawWindowExpr) -> Result<PlannerResult<RawWindowExpr>> {
        Self::check(expr.func_def.name(), &expr.args)?;
        Ok(PlannerResult::Original(expr))
    }
}

/// Refuses a comparison of a boolean with a number while planning (DataFusion's planner
/// refuses it too, as a plan error without a kind).
#[derive(Debug, Default)]
pub struct BooleanNumberComparison;

impl ExprPlanner for BooleanNumberComparison {
    fn plan_binary_op(
        &self,
        expr: RawBinaryExpr,
        schema: &DFSchema,
    ) -> Result<PlannerResult<RawBinaryExpr>> {
        if !is_comparison(&expr.op) {
            return Ok(PlannerResult::Original(expr));
        }
        if let (Ok(l), Ok(r)) = (expr.left.get_type(schema), expr.right.get_type(schema)) {
            let mixed = matches!(
                (category(&l), category(&r)),
                (Some(Category::Boolean), Some(Category::Numeric))
                    | (Some(Category::Numeric), Some(Category::Boolean))
            );
            if mixed {
                return Err(TypeError::UndefinedOperator(format!(
                    "operator does not exist: {} {} {}",
                    name(&l),
                    expr.op,
                    name(&r)
                ))
                .into());
            }
        }
        Ok(PlannerResult::Original(expr))
    }
}

fn check_expr(expr: &Expr, schema: &DFSchema) -> Result<()> {
    expr.apply(|e| {
        if let Expr::Case(Case {
            when_then_expr,
            else_expr,
            ..
        }) = e
        {
            let results = when_then_expr
                .iter()
                .map(|(_, then)| then.as_ref())
                .chain(else_expr.as_deref())
                .filter(|e| !is_unknown_literal(e))
                .filter_map(|e| e.get_type(schema).ok())
                .collect::<Vec<_>>();
            common_category("CASE", results)?;
        }
        Ok(TreeNodeRecursion::Continue)
    })?;
    Ok(())
}

fn is_arithmetic(op: &Operator) -> bool {
    matches!(
        op,
        Operator::Plus | Operator::Minus | Operator::Multiply | Operator::Divide | Operator::Modulo
    )
}

/// `real` with an integer or a `numeric` is `double precision` in PostgreSQL (it has no
/// such operator, and reads both as `double precision`); DataFusion computes in `real`.
/// Also narrows the `UInt64` counts of array functions and `gcd`/`lcm` of `integer`s
/// ([`crate::numbers::integer_results`]).
fn resolve_result_type(expr: Expr, schema: &DFSchema) -> Result<Transformed<Expr>> {
    // Integer results in PostgreSQL's widths, before comparisons are coerced to them.
    if let Expr::ScalarFunction(f) = &expr
        && let Some(narrowed) = crate::numbers::integer_results::scalar_result(f, schema)
    {
        return Ok(Transformed::yes(narrowed));
    }
    if let Expr::ScalarFunction(f) = &expr
        && let Some(widened) = crate::numbers::double_precision::widened(f, schema)
    {
        return Ok(Transformed::yes(widened));
    }
    // Exact averages, before their callers are coerced to their type.
    if let Expr::AggregateFunction(f) = &expr
        && let Some(exact) = crate::numbers::averages::exact_average(f, schema)
    {
        return Ok(Transformed::yes(Expr::AggregateFunction(exact)));
    }
    if let Expr::WindowFunction(w) = &expr
        && let Some(args) = crate::numbers::averages::exact_window_average(w, schema)
    {
        let mut exact = w.clone();
        exact.params.args = args;
        return Ok(Transformed::yes(Expr::WindowFunction(exact)));
    }
    let Expr::BinaryExpr(BinaryExpr { left, op, right }) = expr else {
        return Ok(Transformed::no(expr));
    };
    let exact = |t: &DataType| t.is_integer() || matches!(t, DataType::Decimal128(..));
    let (l, r) = (left.get_type(schema), right.get_type(schema));
    let double = |e: Box<Expr>| Box::new(Expr::Cast(Cast::new(e, DataType::Float64)));
    Ok(match (l, r) {
        (Ok(DataType::Float32), Ok(t)) if is_arithmetic(&op) && exact(&t) => {
            Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(double(left), op, right)))
        }
        (Ok(t), Ok(DataType::Float32)) if is_arithmetic(&op) && exact(&t) => {
            Transformed::yes(Expr::BinaryExpr(BinaryExpr::new(left, op, double(right))))
        }
        _ => Transformed::no(Expr::BinaryExpr(BinaryExpr { left, op, right })),
    })
}

/// `plan` with [`resolve_result_type`] applied, its schema recomputed when it or a plan
/// below it changed.
fn resolve_result_types_in(
    plan: LogicalPlan,
    schema: &DFSchema,
    changed_below: bool,
) -> Result<Transformed<LogicalPlan>> {
    if matches!(
        plan,
        LogicalPlan::Dml(_)
            | LogicalPlan::RecursiveQuery(_)
            | LogicalPlan::Extension(_)
            | LogicalPlan::Ddl(_)
            | LogicalPlan::Copy(_)
            | LogicalPlan::Statement(_)
    ) {
        return Ok(Transformed::no(plan));
    }
    let names = NamePreserver::new(&plan);
    let widened = plan.map_expressions(|expr| {
        let name = names.save(&expr);
        Ok(expr
            .transform_up(|e| resolve_result_type(e, schema))?
            .update_data(|e| name.restore(e)))
    })?;
    if widened.transformed || changed_below {
        let transformed = widened.transformed;
        let plan = widened.data.recompute_schema()?;
        return Ok(Transformed::new_transformed(plan, transformed));
    }
    Ok(widened)
}

/// Checks and resolves types as PostgreSQL does before DataFusion coerces them.
#[derive(Debug, Default)]
pub struct PostgresTypeResolution;

impl AnalyzerRule for PostgresTypeResolution {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        let widened_below = std::cell::Cell::new(false);
        plan.transform_up_with_subqueries(|plan| {
            let schema = merge_schema(&plan.inputs());
            for expr in plan.expressions() {
                check_expr(&expr, &schema)?;
            }
            match plan {
                LogicalPlan::Union(union) => resolve_union(union),
                other => {
                    let widened = resolve_result_types_in(other, &schema, widened_below.get())?;
                    // Aggregates' and windows' results in PostgreSQL's types, in a
                    // projection over them, before their callers are coerced.
                    let widened =
                        match crate::numbers::result_casts::with_result_casts(&widened.data)? {
                            Some(projected) => Transformed::yes(projected),
                            None => widened,
                        };
                    widened_below.set(widened_below.get() || widened.transformed);
                    Ok(widened)
                }
            }
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "postgres_type_resolution"
    }
}
