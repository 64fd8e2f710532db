//! Casts as PostgreSQL performs them, in place of Arrow's: an analyzer rule that runs
//! after type coercion (so it also sees the casts coercion added) and replaces casts to
//! character types ([`super::character`]), from text to numbers
//! ([`super::text_input`]), between arrays and text ([`super::array_text`],
//! [`super::array_out`]), from floats to text ([`super::numeric_cast`]) and to
//! pgvector's `vector` (`crate::functions::vector`). Casts to
//! unconstrained `numeric` are resolved before type coercion instead.

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::logical_expr::LogicalPlan;
use datafusion::optimizer::analyzer::AnalyzerRule;

use crate::expression_rewrite::rewrite_expressions;

use super::{array_out, array_text, character, numeric_cast, text_input};

#[derive(Debug, Default)]
pub struct PostgresCasts;

impl AnalyzerRule for PostgresCasts {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        rewrite_expressions(plan, |e, schema| {
            let e = crate::functions::vector::rewrite_cast(e).data;
            let e = array_text::literal_cast(e)?.data;
            let e = array_text::column_cast(e, schema)?.data;
            let e = array_out::text_cast(e, schema)?.data;
            let e = numeric_cast::float_text(e, schema);
            let e = text_input::checked_cast(e, schema);
            let e = crate::functions::datetime::casts::checked_cast(e, schema);
            let e = crate::functions::typed_text::rewrite(e, schema).data;
            character::rewrite(e, schema)
        })
    }

    fn name(&self) -> &str {
        "postgres_casts"
    }
}
