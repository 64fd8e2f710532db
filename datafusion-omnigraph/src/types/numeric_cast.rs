//! Casts to `numeric` without a precision and to text where PostgreSQL's result differs
//! from Arrow's. `numeric` alone keeps the scale of what it converts (`1.50::numeric` is
//! `1.50`, `'123.4500'::numeric` is `123.4500`, an integer has none), where DataFusion
//! reads it as `decimal(38, 10)`; a float cast to text is written as PostgreSQL writes it
//! (`1e+20`). A text column read as `numeric` keeps DataFusion's 10 digits after the
//! point, as an Arrow column has one scale.

use datafusion::arrow::datatypes::DataType;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::Transformed;
use datafusion::common::{DFSchema, Result, ScalarValue};
use datafusion::logical_expr::expr::ScalarFunction;
use datafusion::logical_expr::{Cast, Expr, ExprSchemable, LogicalPlan};
use datafusion::optimizer::analyzer::AnalyzerRule;

use crate::expression_rewrite::rewrite_expressions;
use crate::numbers::float_text::FloatText;
use crate::pg_type::pg_type_of;

/// The tag [`super::type_planner`] gives a cast to `numeric` without precision.
pub const UNCONSTRAINED_NUMERIC: &str = "numeric";

/// The scale PostgreSQL's `numeric_in` gives `text`: its digits after the point, less
/// its exponent; `None` when it is no number.
fn text_scale(text: &str) -> Option<i8> {
    let text = text.trim();
    let (mantissa, exponent) = match text.split_once(['e', 'E']) {
        Some((m, e)) => (m, e.parse::<i32>().ok()?),
        None => (text, 0),
    };
    let digits = mantissa.strip_prefix(['+', '-']).unwrap_or(mantissa);
    let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if (whole.is_empty() && fraction.is_empty()) || !all_digits(whole) || !all_digits(fraction) {
        return None;
    }
    let scale = (fraction.len() as i32 - exponent).clamp(0, 38);
    Some(scale as i8)
}

/// The decimal type a cast to unconstrained `numeric` of `inner` gives.
fn numeric_target(inner: &Expr, schema: &DFSchema) -> DataType {
    let text_literal = match inner {
        Expr::Literal(
            ScalarValue::Utf8(Some(t))
            | ScalarValue::Utf8View(Some(t))
            | ScalarValue::LargeUtf8(Some(t)),
            _,
        ) => text_scale(t),
        _ => None,
    };
    if let Some(scale) = text_literal {
        return DataType::Decimal128(38, scale);
    }
    match inner.get_type(schema) {
        Ok(DataType::Decimal128(_, s) | DataType::Decimal256(_, s)) => {
            DataType::Decimal128(38, s.max(0))
        }
        Ok(t) if t.is_integer() => DataType::Decimal128(38, 0),
        _ => DataType::Decimal128(38, 10),
    }
}

/// A cast to unconstrained `numeric` as PostgreSQL converts; other expressions
/// unchanged.
pub fn unconstrained_numeric(expr: Expr, schema: &DFSchema) -> Expr {
    match expr {
        Expr::Cast(Cast { expr: inner, field })
            if pg_type_of(&field) == Some(UNCONSTRAINED_NUMERIC) =>
        {
            let target = numeric_target(&inner, schema);
            Expr::Cast(Cast::new(inner, target))
        }
        other => other,
    }
}

/// A float cast to text as PostgreSQL writes it, still of the cast's type, so what type
/// coercion made of the expressions around it holds; other expressions unchanged.
pub fn float_text(expr: Expr, schema: &DFSchema) -> Expr {
    let Expr::Cast(Cast { expr: inner, field }) = expr else {
        return expr;
    };
    let from_float = inner
        .get_type(schema)
        .is_ok_and(|t| matches!(t, DataType::Float32 | DataType::Float64));
    let to_text = matches!(
        field.data_type(),
        DataType::Utf8 | DataType::Utf8View | DataType::LargeUtf8
    );
    if !(from_float && to_text && field.metadata().is_empty()) {
        return Expr::Cast(Cast { expr: inner, field });
    }
    let text = Expr::ScalarFunction(ScalarFunction::new_udf(FloatText::udf(), vec![*inner]));
    match field.data_type() {
        DataType::Utf8 => text,
        other => Expr::Cast(Cast::new(Box::new(text), other.clone())),
    }
}

/// Casts to unconstrained `numeric` resolved before type coercion, so that coercion
/// meets the scale each one keeps: `1.5 < 3.14::numeric` compares two decimals of one
/// type, and `coalesce`, `CASE` and `UNION` find one type for their branches.
#[derive(Debug, Default)]
pub struct UnconstrainedNumericCasts;

impl AnalyzerRule for UnconstrainedNumericCasts {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        rewrite_expressions(plan, |e, schema| {
            Ok(Transformed::yes(unconstrained_numeric(e, schema)))
        })
    }

    fn name(&self) -> &str {
        "postgres_unconstrained_numeric"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_scales_as_numeric_in_reads_them() {
        assert_eq!(text_scale("123.4500"), Some(4));
        assert_eq!(text_scale(" -1.5 "), Some(1));
        assert_eq!(text_scale("42"), Some(0));
        assert_eq!(text_scale("1.5e-3"), Some(4));
        assert_eq!(text_scale("1.5e3"), Some(0));
        assert_eq!(text_scale(".5"), Some(1));
        assert_eq!(text_scale("abc"), None);
        assert_eq!(text_scale("NaN"), None);
    }
}
