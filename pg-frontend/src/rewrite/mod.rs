//! Rewrites of the catalog queries psql, drivers and BI tools send, into SQL DataFusion
//! plans with the same answer. They apply only to statements that read `pg_catalog` or
//! `information_schema` (see `handler::parse_statements`); other statements run exactly
//! as written. The session names result columns as PostgreSQL does.
//!
//! Each rewrite is a [`CatalogRewrite`] in its own module, building the nodes it puts in
//! place directly; [`CATALOG_REWRITES`] lists them in the order they apply.

mod array_subquery;
mod ast;
mod boolean_flags;
mod correlated_scalar;
mod empty_catalog_query;
mod empty_catalog_subquery;
mod empty_tables;
mod expand_array;
mod formatted_relation_name;
mod function_identifiers;
mod functions_in_from;
mod generate_subscripts;
mod in_subquery_in_select;
mod name_subscript;
mod object_identifiers;
mod outer_row_unnest;
mod record_field;
mod regproc_columns;
mod system_views;
mod table_oid;
mod unequal_correlation;
mod unlisted_catalog_tables;

use datafusion::sql::sqlparser::ast::Statement;

/// One rewrite of a catalog query: finds the constructs DataFusion cannot plan and puts
/// in their place ones it can, with the same answer.
pub trait CatalogRewrite: Sync {
    /// What the rewrite is known by in tests and reports.
    fn name(&self) -> &'static str;

    fn rewrite(&self, statement: &mut Statement);
}

/// Every catalog rewrite, in the order they apply. Later ones see the earlier ones'
/// output: `tableoid` is a relation's OID before anything else reads the query, a
/// query that can only return no rows is an empty select before any other rewrite
/// works on what it computes, the formatted relation lookup's scalar subquery is
/// aggregated already, and subqueries over always-empty tables are gone before
/// correlated ones are aggregated.
pub const CATALOG_REWRITES: &[&dyn CatalogRewrite] = &[
    &system_views::SystemViews,
    &unlisted_catalog_tables::UnlistedCatalogTables,
    &table_oid::TableOid,
    &name_subscript::NameSubscript,
    &regproc_columns::RegprocColumns,
    &empty_catalog_query::EmptyCatalogQuery,
    &formatted_relation_name::FormattedRelationName,
    &array_subquery::ArraySubquery,
    &outer_row_unnest::OuterRowUnnest,
    &expand_array::ExpandArray,
    &generate_subscripts::GenerateSubscripts,
    &record_field::RecordField,
    &boolean_flags::BooleanFlags,
    &empty_catalog_subquery::EmptyCatalogSubquery,
    &unequal_correlation::UnequalCorrelation,
    &correlated_scalar::CorrelatedScalarSubquery,
    &functions_in_from::FunctionsInFrom,
    &in_subquery_in_select::InSubqueryInSelect,
];

/// The rewrites that read the statement as the client wrote it, before
/// datafusion-pg-catalog's own rewrites (which turn `'name'::regclass` into a lookup).
pub const BEFORE_COMPATIBILITY_REWRITES: &[&dyn CatalogRewrite] = &[
    &object_identifiers::ObjectIdentifierNames,
    &function_identifiers::FunctionIdentifiers,
];

/// Every rewrite of [`BEFORE_COMPATIBILITY_REWRITES`], in order.
pub fn before_compatibility(statement: &mut Statement) {
    for rule in BEFORE_COMPATIBILITY_REWRITES {
        rule.rewrite(statement);
    }
}

/// Every rewrite of [`CATALOG_REWRITES`], in order.
pub fn as_datafusion_catalog_query(statement: &mut Statement) {
    for rule in CATALOG_REWRITES {
        rule.rewrite(statement);
    }
}

#[cfg(test)]
mod test_support {
    use datafusion::sql::sqlparser::ast::Statement;
    use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
    use datafusion::sql::sqlparser::parser::Parser;

    use super::CatalogRewrite;

    pub fn parsed(sql: &str) -> Statement {
        Parser::parse_sql(&PostgreSqlDialect {}, sql)
            .expect("parses")
            .remove(0)
    }

    /// `sql` after `rule`, as text.
    pub fn rewritten(sql: &str, rule: &dyn CatalogRewrite) -> String {
        let mut statement = parsed(sql);
        rule.rewrite(&mut statement);
        statement.to_string()
    }

    /// Asserts that `rule` turns `sql` into the very nodes the parser makes of `expected`,
    /// not only the same text.
    pub fn assert_rewrites_to(rule: &dyn CatalogRewrite, sql: &str, expected: &str) {
        let mut statement = parsed(sql);
        rule.rewrite(&mut statement);
        assert_eq!(statement.to_string(), expected, "{}", rule.name());
        assert_eq!(statement, parsed(expected), "{}", rule.name());
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::{assert_rewrites_to, parsed};
    use super::*;

    #[test]
    fn rewrites_have_distinct_names() {
        let mut names: Vec<&str> = CATALOG_REWRITES
            .iter()
            .chain(BEFORE_COMPATIBILITY_REWRITES)
            .map(|r| r.name())
            .collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(
            names.len(),
            CATALOG_REWRITES.len() + BEFORE_COMPATIBILITY_REWRITES.len()
        );
    }

    #[test]
    fn a_query_without_catalog_constructs_is_left_alone() {
        let sql = "SELECT c.relname, count(*) FROM pg_catalog.pg_class c \
                   WHERE c.relkind = 'r' GROUP BY c.relname ORDER BY 1";
        let mut statement = parsed(sql);
        as_datafusion_catalog_query(&mut statement);
        assert_eq!(statement, parsed(sql));
    }

    #[test]
    fn rewrites_apply_in_order() {
        // The subquery the formatted name becomes is aggregated already, so the later
        // correlated-subquery rewrite leaves it be.
        struct Everything;
        impl CatalogRewrite for Everything {
            fn name(&self) -> &'static str {
                "everything"
            }
            fn rewrite(&self, statement: &mut Statement) {
                as_datafusion_catalog_query(statement);
            }
        }
        assert_rewrites_to(
            &Everything,
            "SELECT CAST(format('%I.%I', c.s, c.t) AS REGCLASS), \
             (SELECT d.adbin FROM pg_attrdef d WHERE d.adrelid = c.oid) FROM c",
            "SELECT (SELECT max(named_relation.oid) \
             FROM pg_catalog.pg_class named_relation JOIN pg_catalog.pg_namespace named_schema \
             ON named_relation.relnamespace = named_schema.oid \
             WHERE named_schema.nspname = c.s AND named_relation.relname = c.t), \
             (SELECT max(d.adbin) AS \"adbin\" FROM pg_attrdef d WHERE d.adrelid = c.oid) FROM c",
        );
    }
}
