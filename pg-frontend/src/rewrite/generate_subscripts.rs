//! `generate_subscripts(a, dim)`, a set-returning function DataFusion does not have.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArguments, Ident, ObjectName, Statement, visit_expressions_mut,
};

use super::CatalogRewrite;
use super::ast::{function_call, function_call_with, last_name_is, number};

/// `generate_subscripts(a, dim)` (SQLAlchemy's key reflection) as
/// `unnest(generate_series(1, array_length(a, dim)))`: the same positions, row for row
/// beside `unnest(a)`.
pub struct GenerateSubscripts;

impl CatalogRewrite for GenerateSubscripts {
    fn name(&self) -> &'static str {
        "generate_subscripts"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = visit_expressions_mut(statement, |expr| {
            if let Expr::Function(f) = expr
                && last_name_is(&f.name, "generate_subscripts")
                && let FunctionArguments::List(list) = &f.args
                && let [array, dimension] = list.args.as_slice()
            {
                let length = function_call_with(
                    ObjectName::from(vec![Ident::new("array_length")]),
                    vec![array.clone(), dimension.clone()],
                );
                let positions = function_call("generate_series", vec![number(1), length]);
                *expr = function_call("unnest", vec![positions]);
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_rewrites_to;
    use super::*;

    #[test]
    fn subscripts_are_a_series_as_long_as_the_array() {
        assert_rewrites_to(
            &GenerateSubscripts,
            "SELECT generate_subscripts(i.indkey, 1) AS k FROM pg_index i",
            "SELECT unnest(generate_series(1, array_length(i.indkey, 1))) AS k FROM pg_index i",
        );
        let one_argument = "SELECT generate_subscripts(a) FROM t";
        assert_rewrites_to(&GenerateSubscripts, one_argument, one_argument);
    }
}
