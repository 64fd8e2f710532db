//! Results of aggregates and window functions given PostgreSQL's types. Their node's
//! output types are those of the functions, so the casts go in a projection over the
//! node that keeps every column's name.

use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::common::{Column, Result};
use datafusion::logical_expr::{Cast, Expr, LogicalPlan, Projection};

use super::{averages, integer_results};

/// The expression giving output `column` of function `function` its PostgreSQL type.
fn result_cast(function: &Expr, column: Expr, result: &DataType) -> Option<Expr> {
    if let Some(scale) = averages::rounded_scale(function, result) {
        return Some(Expr::Cast(Cast::new(
            Box::new(column),
            DataType::Decimal128(38, scale),
        )));
    }
    integer_results::count_result(function, column, result)
}

/// `plan` (an aggregate or a window) under a projection that casts its functions'
/// results; `None` when none needs it.
pub fn with_result_casts(plan: &LogicalPlan) -> Result<Option<LogicalPlan>> {
    let functions = match plan {
        LogicalPlan::Aggregate(aggregate) => &aggregate.aggr_expr,
        LogicalPlan::Window(window) => &window.window_expr,
        _ => return Ok(None),
    };
    let schema = plan.schema();
    let first_function = schema.fields().len() - functions.len();
    let mut any = false;
    let exprs = schema
        .iter()
        .enumerate()
        .map(|(i, (qualifier, field))| {
            let column = Expr::Column(Column::new(qualifier.cloned(), field.name()));
            if i < first_function {
                return column;
            }
            match result_cast(
                &functions[i - first_function],
                column.clone(),
                field.data_type(),
            ) {
                Some(cast) => {
                    any = true;
                    cast.alias_qualified(qualifier.cloned(), field.name())
                }
                None => column,
            }
        })
        .collect::<Vec<_>>();
    if !any {
        return Ok(None);
    }
    Ok(Some(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(plan.clone()),
    )?)))
}
