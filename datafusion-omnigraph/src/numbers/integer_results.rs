//! Integer results in PostgreSQL's widths. DataFusion counts in `UInt64` (`row_number`,
//! `rank`, `dense_rank`, `ntile`, `array_length`, `cardinality`, `array_position`),
//! which has no PostgreSQL type; PostgreSQL answers `bigint` for the ranks and `integer`
//! for `ntile` and the array functions. `gcd` and `lcm` of `integer`s are `integer`
//! (DataFusion computes them in `bigint`). Applied before type coercion, so comparisons
//! are coerced to the narrowed types. Each such result goes through the checked
//! cast, so a value outside the type is 22003, never wrapped.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::DFSchema;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{Expr, ExprSchemable};

use super::rounding::{RoundToWhole, Ties};

/// Scalar functions whose `UInt64` result is an `integer` in PostgreSQL.
const INTEGER_COUNTS: &[&str] = &["array_length", "cardinality", "array_position"];

/// Functions of integers DataFusion computes in `bigint` whose result PostgreSQL types as
/// its (narrower) arguments.
const ARGUMENT_TYPED: &[&str] = &["gcd", "lcm"];

/// `expr` cast to `target`, failing with 22003 outside it.
fn checked(expr: Expr, target: DataType) -> Expr {
    Expr::ScalarFunction(ScalarFunction::new_udf(
        RoundToWhole::cast_udf(Ties::ToEven, target),
        vec![expr],
    ))
}

/// A scalar function call with its result in PostgreSQL's integer type, if it differs.
pub fn scalar_result(function: &ScalarFunction, schema: &DFSchema) -> Option<Expr> {
    let name = function.name();
    let call = || Expr::ScalarFunction(function.clone());
    let result = call().get_type(schema).ok()?;
    if INTEGER_COUNTS.contains(&name) && result == DataType::UInt64 {
        return Some(checked(call(), DataType::Int32));
    }
    if ARGUMENT_TYPED.contains(&name) && result == DataType::Int64 {
        let narrow = function
            .args
            .iter()
            .all(|arg| matches!(arg.get_type(schema), Ok(DataType::Int16 | DataType::Int32)));
        if narrow {
            return Some(checked(call(), DataType::Int32));
        }
    }
    None
}

/// The PostgreSQL type of a window function's `UInt64` result.
fn window_result(expr: &Expr) -> DataType {
    match expr {
        Expr::Alias(alias) => window_result(&alias.expr),
        Expr::WindowFunction(f) if f.fun.name() == "ntile" => DataType::Int32,
        _ => DataType::Int64,
    }
}

/// `column`, the `result` of window function `function`, in PostgreSQL's integer type
/// when DataFusion counts it in `UInt64`.
pub fn count_result(function: &Expr, column: Expr, result: &DataType) -> Option<Expr> {
    (result == &DataType::UInt64).then(|| checked(column, window_result(function)))
}
