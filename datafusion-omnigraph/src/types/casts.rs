//! Casts as PostgreSQL performs them, in place of Arrow's: an analyzer rule that runs
//! after type coercion (so it also sees the casts coercion added) and replaces casts to
//! character types ([`super::character`]), from text to numbers
//! ([`super::text_input`]), between arrays and text ([`super::array_text`],
//! [`super::array_out`]) and from floats to text ([`super::numeric_cast`]). Casts to
//! unconstrained `numeric` are resolved before type coercion instead.

use datafusion::common::Result;
use datafusion::common::config::ConfigOptions;
use datafusion::common::tree_node::TreeNode;
use datafusion::logical_expr::LogicalPlan;
use datafusion::logical_expr::expr_rewriter::NamePreserver;
use datafusion::logical_expr::utils::merge_schema;
use datafusion::optimizer::analyzer::AnalyzerRule;

use super::{array_out, array_text, character, numeric_cast, text_input};

#[derive(Debug, Default)]
pub struct PostgresCasts;

impl AnalyzerRule for PostgresCasts {
    fn analyze(&self, plan: LogicalPlan, _config: &ConfigOptions) -> Result<LogicalPlan> {
        plan.transform_up_with_subqueries(|plan| {
            let schema = merge_schema(&plan.inputs());
            let names = NamePreserver::new(&plan);
            plan.map_expressions(|expr| {
                let name = names.save(&expr);
                let rewritten = expr.transform_up(|e| {
                    let e = array_text::literal_cast(e)?.data;
                    let e = array_text::column_cast(e, &schema)?.data;
                    let e = array_out::text_cast(e, &schema)?.data;
                    let e = numeric_cast::float_text(e, &schema);
                    let e = text_input::checked_cast(e, &schema);
                    let e = crate::functions::datetime::casts::checked_cast(e, &schema);
                    let e = crate::functions::typed_text::rewrite(e, &schema).data;
                    character::rewrite(e, &schema)
                })?;
                Ok(rewritten.update_data(|e| name.restore(e)))
            })?
            .map_data(|plan| plan.recompute_schema())
        })
        .map(|t| t.data)
    }

    fn name(&self) -> &str {
        "postgres_casts"
    }
}
