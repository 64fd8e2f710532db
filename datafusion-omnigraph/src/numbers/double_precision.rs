//! Math functions of `real` computed in `double precision`. PostgreSQL defines them
//! (all but `abs`) for `double precision` and `numeric` only, so a `real` argument is
//! widened and the result is `double precision`: `ln(0.1::real)` is
//! `-2.3025850780928847`. DataFusion computes them in `real`, keeping seven digits.
//! Applied before type coercion, so what the call meets is coerced to its real type.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::DFSchema;
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{Cast, Expr, ExprSchemable};

/// Functions PostgreSQL has for `double precision` but not for `real`.
const DOUBLE_ONLY: &[&str] = &[
    "acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "ceil", "cos", "cosh",
    "cot", "degrees", "exp", "floor", "ln", "log", "log10", "pow", "power", "radians", "round",
    "sign", "signum", "sin", "sinh", "sqrt", "tan", "tanh", "trunc",
];

/// `function` with its `real` arguments widened to `double precision`, if it has any.
pub fn widened(function: &ScalarFunction, schema: &DFSchema) -> Option<Expr> {
    if !DOUBLE_ONLY.contains(&function.name()) {
        return None;
    }
    let is_real = |a: &Expr| a.get_type(schema).is_ok_and(|t| t == DataType::Float32);
    if !function.args.iter().any(is_real) {
        return None;
    }
    let args = function
        .args
        .iter()
        .map(|a| match is_real(a) {
            true => Expr::Cast(Cast::new(Box::new(a.clone()), DataType::Float64)),
            false => a.clone(),
        })
        .collect();
    Some(Expr::ScalarFunction(ScalarFunction::new_udf(
        function.func.clone(),
        args,
    )))
}
