//! Functions in FROM under a table alias alone, whose one column PostgreSQL names after
//! the alias.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Ident, Statement, TableFactor, TableWithJoins, VisitMut, VisitorMut,
};

use super::CatalogRewrite;
use super::ast::{aliased, function_call_with, last_name, query, select, table};

/// Functions of one value that PostgreSQL lets a FROM clause read as a one-row table.
const VALUE_FUNCTIONS_IN_FROM: [&str; 3] = [
    "string_to_array",
    "current_schemas",
    "regexp_split_to_array",
];

/// A function in FROM under a table alias alone (`generate_series(1, 3) AS i`,
/// `string_to_array(current_setting('search_path'), ',') s`, as Grafana expands the
/// search path): in PostgreSQL its one column takes the alias's name, so `i` and `s`
/// are columns. DataFusion names `generate_series`'s column `value` and has no functions
/// of one value in FROM; both become a subquery whose column carries the alias.
pub struct FunctionsInFrom;

impl CatalogRewrite for FunctionsInFrom {
    fn name(&self) -> &'static str {
        "functions_in_from"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = statement.visit(&mut AliasedFunctions);
    }
}

struct AliasedFunctions;

impl VisitorMut for AliasedFunctions {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name,
            args: Some(args),
            alias: Some(alias),
            ..
        } = factor
            && alias.columns.is_empty()
            && let Some(function) = last_name(name)
        {
            let function = function.value.to_ascii_lowercase();
            let column = alias.name.clone();
            let subquery = if function == "generate_series" {
                // SELECT value AS column FROM name(args)
                select(
                    vec![aliased(Expr::Identifier(Ident::new("value")), column)],
                    vec![TableWithJoins {
                        relation: table(name.clone(), Some(args.args.clone()), None),
                        joins: vec![],
                    }],
                    None,
                )
            } else if VALUE_FUNCTIONS_IN_FROM.contains(&function.as_str()) {
                // SELECT name(args) AS column
                let call = function_call_with(name.clone(), args.args.clone());
                select(vec![aliased(call, column)], vec![], None)
            } else {
                return ControlFlow::Continue(());
            };
            *factor = TableFactor::Derived {
                lateral: false,
                subquery: Box::new(query(subquery)),
                alias: Some(alias.clone()),
                sample: None,
            };
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{assert_rewrites_to, rewritten};
    use super::*;

    #[test]
    fn functions_in_from_name_their_column_after_the_alias() {
        assert_eq!(
            rewritten(
                "SELECT s[i] FROM generate_series(1, 2) AS i, string_to_array('a,b', ',') s",
                &FunctionsInFrom
            ),
            "SELECT s[i] FROM (SELECT value AS i FROM generate_series(1, 2)) AS i, \
             (SELECT string_to_array('a,b', ',') AS s) s"
        );
        let untouched = "SELECT * FROM generate_series(1, 2) AS g (n), person p";
        assert_eq!(rewritten(untouched, &FunctionsInFrom), untouched);
    }

    #[test]
    fn the_subqueries_are_those_their_text_parses_to() {
        assert_rewrites_to(
            &FunctionsInFrom,
            "SELECT s[i] FROM pg_catalog.generate_series(1, 2) AS i, \
             string_to_array(current_setting('search_path'), ',') \"S\"",
            "SELECT s[i] FROM (SELECT value AS i FROM pg_catalog.generate_series(1, 2)) AS i, \
             (SELECT string_to_array(current_setting('search_path'), ',') AS \"S\") \"S\"",
        );
    }
}
