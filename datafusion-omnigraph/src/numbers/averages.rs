//! `avg` of integers and of `numeric`s is an exact `numeric` in PostgreSQL, with at
//! least 16 digits after the point (`avg(1, 2)` is `1.5000000000000000`); DataFusion
//! averages integers as floats and `decimal(p, s)` at scale `s + 4`, truncated. The
//! argument is read as a decimal three digits short of the scale wanted, so DataFusion's
//! truncated quotient carries one digit more than wanted, and the result is rounded
//! (half away from zero, as PostgreSQL rounds) to the scale wanted.
//!
//! The scale is PostgreSQL's for averages of magnitude one to 9999 (see
//! [`super::numeric_divide`]): PostgreSQL's own depends on each value.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::DFSchema;
use datafusion::logical_expr::expr::{AggregateFunction, WindowFunction};
use datafusion::logical_expr::{Cast, Expr, ExprSchemable};

use super::numeric_divide::assumed_division_scale;

/// The digits DataFusion's decimal `avg` adds to its argument's scale.
const AVERAGE_EXTRA_DIGITS: i8 = 4;
/// The largest scale of a `Decimal128`.
const MAX_SCALE: i8 = 38;

/// The scale PostgreSQL shows the average of values of scale `scale` with.
fn average_scale(scale: i8) -> i8 {
    assumed_division_scale(scale, 0)
}

/// The arguments of an `avg` of an integer or decimal, read as the decimal that gives one
/// digit more than the average's scale; `None` for other functions and averages.
fn exact_arguments(name: &str, args: &[Expr], schema: &DFSchema) -> Option<Vec<Expr>> {
    let [arg] = args else { return None };
    if name != "avg" {
        return None;
    }
    let argument_type = arg.get_type(schema).ok()?;
    let scale = match argument_type {
        ref t if t.is_integer() => 0,
        DataType::Decimal128(_, s) if s >= 0 => s,
        _ => return None,
    };
    let wanted = average_scale(scale);
    let read = (wanted + 1 - AVERAGE_EXTRA_DIGITS).max(scale);
    if read + AVERAGE_EXTRA_DIGITS > MAX_SCALE || argument_type == DataType::Decimal128(38, read) {
        return None;
    }
    Some(vec![Expr::Cast(Cast::new(
        Box::new(arg.clone()),
        DataType::Decimal128(38, read),
    ))])
}

/// `avg(x)` prepared for an exact result ([`rounded_scale`] finishes it).
pub fn exact_average(function: &AggregateFunction, schema: &DFSchema) -> Option<AggregateFunction> {
    let args = exact_arguments(function.func.name(), &function.params.args, schema)?;
    let mut rewritten = function.clone();
    rewritten.params.args = args;
    Some(rewritten)
}

/// The arguments of `avg(x) OVER (...)` prepared for an exact result.
pub fn exact_window_average(function: &WindowFunction, schema: &DFSchema) -> Option<Vec<Expr>> {
    exact_arguments(function.fun.name(), &function.params.args, schema)
}

/// The scale the result of `expr` (an aggregate or window expression) is rounded to, if
/// it is an average [`exact_average`] prepared.
pub fn rounded_scale(expr: &Expr, result: &DataType) -> Option<i8> {
    let function = match expr {
        Expr::Alias(alias) => return rounded_scale(&alias.expr, result),
        Expr::AggregateFunction(f) => f.func.name(),
        Expr::WindowFunction(f) => f.fun.name(),
        _ => return None,
    };
    match (function, result) {
        ("avg", DataType::Decimal128(38, s)) if *s >= AVERAGE_EXTRA_DIGITS => {
            let wanted = average_scale(*s - AVERAGE_EXTRA_DIGITS);
            (wanted < *s).then_some(wanted)
        }
        _ => None,
    }
}
