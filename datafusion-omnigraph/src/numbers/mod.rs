//! Numbers as PostgreSQL 15 computes them. DataFusion wraps integer overflow, lets
//! floats reach infinity or NaN, truncates floats cast to integers and sums `bigint`
//! into a `bigint`; PostgreSQL errors (22003, 22012, 2201E, 2201F), rounds, and sums
//! `bigint` into `numeric`. An analyzer rule ([`rule::PostgresNumbers`]) rewrites the
//! expressions whose answer would differ into checked functions, so constant folding
//! checks too, and checked versions of the math functions replace DataFusion's.

pub mod arithmetic;
pub mod averages;
pub mod decimal_literals;
pub mod double_precision;
pub mod float_text;
pub mod integer_literals;
pub mod integer_results;
pub mod math;
pub mod numeric_divide;
pub mod result_casts;
pub mod rounding;
pub mod rule;

use std::fmt;
use std::sync::Arc;

use datafusion::arrow::datatypes::DataType;
use datafusion::error::DataFusionError;
use datafusion::optimizer::analyzer::AnalyzerRule;
use datafusion::prelude::SessionContext;

/// A value PostgreSQL refuses to compute, by SQLSTATE class.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NumericError {
    /// 22003: an integer result outside its type (`bigint out of range`).
    IntegerOutOfRange(IntegerType),
    /// 22003: a float result too large for its type.
    FloatOverflow,
    /// 22003: a float result too small for its type, from nonzero operands.
    FloatUnderflow,
    /// 22012
    DivisionByZero,
    /// 2201E
    LogarithmOfZero,
    /// 2201E
    LogarithmOfNegative,
    /// 2201F
    SquareRootOfNegative,
    /// 2201F: `power(0, y)` with `y < 0`.
    ZeroToNegativePower,
    /// 2201F: `power(x, y)` with `x < 0` and `y` not a whole number.
    NegativeToFractionalPower,
}

/// PostgreSQL's integer types, which name themselves in overflow messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum IntegerType {
    Smallint,
    Integer,
    Bigint,
}

impl IntegerType {
    pub fn of(data_type: &DataType) -> Option<IntegerType> {
        match data_type {
            DataType::Int16 => Some(IntegerType::Smallint),
            DataType::Int32 => Some(IntegerType::Integer),
            DataType::Int64 => Some(IntegerType::Bigint),
            _ => None,
        }
    }
}

impl fmt::Display for NumericError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = match self {
            NumericError::IntegerOutOfRange(IntegerType::Smallint) => "smallint out of range",
            NumericError::IntegerOutOfRange(IntegerType::Integer) => "integer out of range",
            NumericError::IntegerOutOfRange(IntegerType::Bigint) => "bigint out of range",
            NumericError::FloatOverflow => "value out of range: overflow",
            NumericError::FloatUnderflow => "value out of range: underflow",
            NumericError::DivisionByZero => "division by zero",
            NumericError::LogarithmOfZero => "cannot take logarithm of zero",
            NumericError::LogarithmOfNegative => "cannot take logarithm of a negative number",
            NumericError::SquareRootOfNegative => "cannot take square root of a negative number",
            NumericError::ZeroToNegativePower => "zero raised to a negative power is undefined",
            NumericError::NegativeToFractionalPower => {
                "a negative number raised to a non-integer power yields a complex result"
            }
        };
        f.write_str(message)
    }
}

impl std::error::Error for NumericError {}

impl From<NumericError> for DataFusionError {
    fn from(err: NumericError) -> Self {
        DataFusionError::External(Box::new(err))
    }
}

/// Installs the checked math functions and the rewriting rule in `ctx`.
pub fn register(ctx: &SessionContext) -> datafusion::error::Result<()> {
    crate::functions::registry::register_overrides(ctx, math::checked_functions(ctx)?);
    insert_analyzer_rule_before(
        ctx,
        Arc::new(integer_literals::PostgresIntegerLiterals),
        "type_coercion",
    );
    insert_analyzer_rule_before(
        ctx,
        Arc::new(crate::types::resolution::PostgresTypeResolution),
        "type_coercion",
    );
    insert_analyzer_rule_before(
        ctx,
        Arc::new(crate::types::numeric_cast::UnconstrainedNumericCasts),
        "type_coercion",
    );
    ctx.add_analyzer_rule(Arc::new(rule::PostgresNumbers));
    Ok(())
}

/// Adds `rule` to `ctx`'s analyzer just before the rule named `before` (at the end when
/// there is none); `SessionContext` can only append.
pub(crate) fn insert_analyzer_rule_before(
    ctx: &SessionContext,
    rule: Arc<dyn AnalyzerRule + Send + Sync>,
    before: &str,
) {
    crate::rebuilt_state::rebuild(ctx, |mut builder| {
        if let Some(analyzer) = builder.analyzer() {
            let at = analyzer
                .rules
                .iter()
                .position(|r| r.name() == before)
                .unwrap_or(analyzer.rules.len());
            analyzer.rules.insert(at, rule);
        }
        builder
    });
}
