//! `information_schema._pg_expandarray(a)`, a set-returning function in PostgreSQL.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, FunctionArg, FunctionArgExpr, FunctionArgumentList, FunctionArguments, Ident, ObjectName,
    Statement, visit_expressions_mut,
};

use super::CatalogRewrite;
use super::ast::last_name_is;

/// `information_schema._pg_expandarray(a)` (pgjdbc's key lookups) as
/// `unnest(_pg_expandarray(a))`: our function returns the `(x, n)` records as a list,
/// `unnest` makes them rows. The call keeps everything else it was written with.
pub struct ExpandArray;

impl CatalogRewrite for ExpandArray {
    fn name(&self) -> &'static str {
        "expand_array"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = visit_expressions_mut(statement, |expr| {
            if let Expr::Function(f) = expr
                && last_name_is(&f.name, "_pg_expandarray")
            {
                let mut inner = f.clone();
                inner.name = ObjectName::from(vec![Ident::new("_pg_expandarray")]);
                let mut unnest = f.clone();
                unnest.name = ObjectName::from(vec![Ident::new("unnest")]);
                unnest.args = FunctionArguments::List(FunctionArgumentList {
                    duplicate_treatment: None,
                    args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(Expr::Function(
                        inner,
                    )))],
                    clauses: vec![],
                });
                *expr = Expr::Function(unnest);
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
    fn expanded_arrays_are_unnested() {
        assert_rewrites_to(
            &ExpandArray,
            "SELECT (information_schema._pg_expandarray(i.indkey)).n FROM pg_index i",
            "SELECT (unnest(_pg_expandarray(i.indkey))).n FROM pg_index i",
        );
    }
}
