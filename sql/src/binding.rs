//! Values of `$n` placeholders. DataFusion binds them in the logical plan; the arguments
//! of table functions and procedures are read while the statement is planned, before
//! that, so those become literals in the syntax first.

use datafusion::arrow::datatypes::DataType;
use datafusion::logical_expr::LogicalPlan;
use datafusion::scalar::ScalarValue;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, FunctionArg, FunctionArgExpr, TableFactor, Value, VisitMut, VisitorMut,
};
use datafusion_omnigraph::pg_type::pg_type_of;

use crate::error::{ErrorKind, Result, SqlError};
use crate::statement::Call;

/// Placeholders cast to a type somewhere in `plan`: `(n, type)` for `CAST($n AS type)`.
pub(crate) fn placeholder_casts(plan: &LogicalPlan) -> Vec<(usize, DataType)> {
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::logical_expr::Expr;
    let mut found = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        node.apply_expressions(|expr| {
            expr.apply(|e| {
                let cast = match e {
                    Expr::Cast(c) => Some((&*c.expr, &c.field)),
                    Expr::TryCast(c) => Some((&*c.expr, &c.field)),
                    _ => None,
                };
                if let Some((Expr::Placeholder(p), field)) = cast
                    && let Ok(n) = p.id.trim_start_matches('$').parse::<usize>()
                {
                    // `$1::vector` is pgvector's text (`[1,2,3]`), read by the cast; there
                    // is no `vector` type on the wire yet.
                    let ty = if pg_type_of(field) == Some("vector") {
                        DataType::Utf8
                    } else {
                        field.data_type().clone()
                    };
                    found.push((n, ty));
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    });
    found
}

/// Placeholders searched as arrays: `(n, list type)` for `x = ANY($n)` and `x <> ALL($n)`,
/// which DataFusion plans as `array_has($n, x)`. PostgreSQL types `$n` as an array of
/// `x`'s type; without that a client's untyped `{a,b}` would be read as one text.
pub(crate) fn placeholder_arrays(plan: &LogicalPlan) -> Vec<(usize, DataType)> {
    use datafusion::arrow::datatypes::Field;
    use datafusion::common::ExprSchema;
    use datafusion::common::tree_node::{TreeNode, TreeNodeRecursion};
    use datafusion::logical_expr::{Expr, ExprSchemable};
    let mut found = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        let inputs = node.inputs();
        node.apply_expressions(|expr| {
            expr.apply(|e| {
                if let Expr::ScalarFunction(f) = e
                    && f.name() == "array_has"
                    && let [Expr::Placeholder(p), needle] = f.args.as_slice()
                    && let Ok(n) = p.id.trim_start_matches('$').parse::<usize>()
                    && let Some(element) = inputs.iter().find_map(|input| {
                        needle
                            .get_type(input.schema().as_ref() as &dyn ExprSchema)
                            .ok()
                    })
                    && element != DataType::Null
                {
                    found.push((
                        n,
                        DataType::List(std::sync::Arc::new(Field::new_list_field(element, true))),
                    ));
                }
                Ok(TreeNodeRecursion::Continue)
            })
        })
    });
    found
}

/// Placeholders that count rows: `(n, Int64)` for `LIMIT $n` and `OFFSET $n`, which
/// PostgreSQL types `bigint` (node-postgres sends every parameter untyped).
pub(crate) fn placeholder_row_counts(plan: &LogicalPlan) -> Vec<(usize, DataType)> {
    use datafusion::common::tree_node::TreeNodeRecursion;
    use datafusion::logical_expr::Expr;
    let mut found = Vec::new();
    let _ = plan.apply_with_subqueries(|node| {
        if let LogicalPlan::Limit(limit) = node {
            for expr in [&limit.skip, &limit.fetch].into_iter().flatten() {
                if let Expr::Placeholder(p) = expr.as_ref()
                    && let Ok(n) = p.id.trim_start_matches('$').parse::<usize>()
                {
                    found.push((n, DataType::Int64));
                }
            }
        }
        Ok(TreeNodeRecursion::Continue)
    });
    found
}

/// Refuses a negative `LIMIT $n` or `OFFSET $n` of a query as PostgreSQL does, with its
/// SQLSTATE, once the values are known (DataFusion's optimizer refuses it as a plan error).
pub(crate) fn check_row_counts(ast: &DFStatement, values: &[ScalarValue]) -> Result<()> {
    use datafusion::sql::sqlparser::ast::{LimitClause, Statement};
    let DFStatement::Statement(statement) = ast else {
        return Ok(());
    };
    let Statement::Query(query) = statement.as_ref() else {
        return Ok(());
    };
    let Some(LimitClause::LimitOffset { limit, offset, .. }) = &query.limit_clause else {
        return Ok(());
    };
    let negative = |expr: &SqlExpr| -> Result<bool> {
        let SqlExpr::Value(v) = expr else {
            return Ok(false);
        };
        let Value::Placeholder(name) = &v.value else {
            return Ok(false);
        };
        let Some(n) = name.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) else {
            return Ok(false);
        };
        let value = bound_value(values, n)?;
        Ok(match value.cast_to(&DataType::Int64) {
            Ok(ScalarValue::Int64(Some(v))) => v < 0,
            _ => false,
        })
    };
    if let Some(limit) = limit
        && negative(limit)?
    {
        return Err(SqlError::new(
            ErrorKind::NegativeLimit,
            "LIMIT must not be negative",
        ));
    }
    if let Some(offset) = offset
        && negative(&offset.value)?
    {
        return Err(SqlError::new(
            ErrorKind::NegativeOffset,
            "OFFSET must not be negative",
        ));
    }
    Ok(())
}

/// The highest `$n` among a call's arguments.
pub(crate) fn call_placeholders(call: &Call) -> usize {
    call.args
        .iter()
        .filter_map(|a| {
            let text = a.to_string();
            text.strip_prefix('$')?.parse::<usize>().ok()
        })
        .max()
        .unwrap_or(0)
}

/// The `$n` placeholders among function arguments, with their numbers.
fn placeholder_arguments(args: &mut [FunctionArg]) -> Vec<(usize, &mut SqlExpr)> {
    args.iter_mut()
        .filter_map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e))
            | FunctionArg::Named {
                arg: FunctionArgExpr::Expr(e),
                ..
            } => Some(e),
            _ => None,
        })
        .filter_map(|expr| {
            let SqlExpr::Value(v) = &*expr else {
                return None;
            };
            let Value::Placeholder(name) = &v.value else {
                return None;
            };
            let n = name.strip_prefix('$')?.parse::<usize>().ok()?;
            Some((n, expr))
        })
        .collect()
}

/// The value bound to placeholder `$n`.
fn bound_value(values: &[ScalarValue], n: usize) -> Result<&ScalarValue> {
    n.checked_sub(1).and_then(|i| values.get(i)).ok_or_else(|| {
        SqlError::new(
            ErrorKind::InvalidParameter,
            format!("no value bound for parameter ${n}"),
        )
    })
}

/// `call` with each `$n` argument replaced by the literal of its value. Procedure
/// arguments are read while the call is planned, before placeholders are bound.
pub(crate) fn bind_call_arguments(call: &Call, values: &[ScalarValue]) -> Result<Call> {
    let mut call = call.clone();
    for (n, expr) in placeholder_arguments(&mut call.args) {
        *expr = scalar_literal(bound_value(values, n)?);
    }
    Ok(call)
}

/// Binds the placeholders among table functions' arguments (`neighbors('knows', $1)`):
/// a table function reads its arguments while the statement is planned, before
/// placeholder values are bound, so they become literals first. With `values` absent
/// (describing the statement) each stands in as `1`, which every argument kind reads
/// (an id or a name as text, a depth as a number), with the same result columns.
struct TableFunctionPlaceholders<'a> {
    values: Option<&'a [ScalarValue]>,
    bound: Vec<usize>,
    error: Option<SqlError>,
}

impl VisitorMut for TableFunctionPlaceholders<'_> {
    type Break = ();

    fn pre_visit_table_factor(
        &mut self,
        table_factor: &mut TableFactor,
    ) -> std::ops::ControlFlow<()> {
        let TableFactor::Table {
            args: Some(args), ..
        } = table_factor
        else {
            return std::ops::ControlFlow::Continue(());
        };
        for (n, expr) in placeholder_arguments(&mut args.args) {
            *expr = match self.values {
                None => SqlExpr::value(Value::Number("1".to_string(), false)),
                Some(values) => match bound_value(values, n) {
                    Ok(value) => table_function_literal(value),
                    Err(e) => {
                        self.error = Some(e);
                        return std::ops::ControlFlow::Break(());
                    }
                },
            };
            self.bound.push(n);
        }
        std::ops::ControlFlow::Continue(())
    }
}

pub(crate) fn bind_table_function_arguments(
    statement: &mut DFStatement,
    values: Option<&[ScalarValue]>,
) -> Result<Vec<usize>> {
    let DFStatement::Statement(statement) = statement else {
        return Ok(vec![]);
    };
    let mut visitor = TableFunctionPlaceholders {
        values,
        bound: vec![],
        error: None,
    };
    let _ = statement.visit(&mut visitor);
    match visitor.error {
        Some(e) => Err(e),
        None => Ok(visitor.bound),
    }
}

/// A table function's argument from a parameter value. Parameters are described as text,
/// so a depth arrives as `'2'`: text that is exactly an integer becomes a number, which
/// table functions read as a number or, for ids and names, as the same text.
fn table_function_literal(value: &ScalarValue) -> SqlExpr {
    use ScalarValue;
    if let ScalarValue::Utf8(Some(text)) | ScalarValue::LargeUtf8(Some(text)) = value
        && text.parse::<i64>().is_ok_and(|n| n.to_string() == *text)
    {
        return SqlExpr::value(Value::Number(text.clone(), false));
    }
    scalar_literal(value)
}

/// A SQL literal holding `value`.
fn scalar_literal(value: &ScalarValue) -> SqlExpr {
    if value.is_null() {
        return SqlExpr::value(Value::Null);
    }
    let text = value.to_string();
    match value.data_type() {
        DataType::Boolean => SqlExpr::value(Value::Boolean(text == "true")),
        t if t.is_numeric() => SqlExpr::value(Value::Number(text, false)),
        _ => SqlExpr::value(Value::SingleQuotedString(text)),
    }
}
