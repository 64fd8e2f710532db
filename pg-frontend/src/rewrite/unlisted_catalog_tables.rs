//! Catalog tables datafusion-pg-catalog does not know by their unqualified names.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Ident, ObjectName, ObjectNamePart, Statement, TableFactor, VisitMut, VisitorMut,
};

use super::CatalogRewrite;
use crate::catalog::dump_catalog::UNLISTED_EMPTY_TABLES;

/// The catalog tables and views this server adds to datafusion-pg-catalog's (besides the
/// [`UNLISTED_EMPTY_TABLES`]).
const ADDED_TABLES: [&str; 3] = ["pg_indexes", "pg_stat_activity", "pg_stat_progress_copy"];

/// An unqualified name of one of [`UNLISTED_EMPTY_TABLES`] or [`ADDED_TABLES`] (pg_dump
/// reads `FROM pg_transform`, DuckDB's scanner `FROM pg_indexes`) as `pg_catalog.<name>`:
/// `pg_catalog` comes first on every search path, and datafusion-pg-catalog qualifies only
/// the tables it lists.
pub struct UnlistedCatalogTables;

impl CatalogRewrite for UnlistedCatalogTables {
    fn name(&self) -> &'static str {
        "unlisted_catalog_tables"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = statement.visit(&mut Qualify);
    }
}

struct Qualify;

impl VisitorMut for Qualify {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        if let TableFactor::Table {
            name, args: None, ..
        } = factor
            && let [ObjectNamePart::Identifier(table)] = name.0.as_slice()
            && UNLISTED_EMPTY_TABLES
                .iter()
                .chain(ADDED_TABLES.iter())
                .any(|unlisted| table.value.eq_ignore_ascii_case(unlisted))
        {
            *name = ObjectName::from(vec![Ident::new("pg_catalog"), table.clone()]);
        }
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_rewrites_to;
    use super::*;

    #[test]
    fn unlisted_tables_are_qualified() {
        assert_rewrites_to(
            &UnlistedCatalogTables,
            "SELECT trftype FROM pg_transform WHERE EXISTS (SELECT 1 FROM pg_seclabels s)",
            "SELECT trftype FROM pg_catalog.pg_transform \
             WHERE EXISTS (SELECT 1 FROM pg_catalog.pg_seclabels s)",
        );
        assert_rewrites_to(
            &UnlistedCatalogTables,
            "SELECT n.oid, tablename FROM pg_indexes JOIN pg_namespace n ON schemaname = nspname",
            "SELECT n.oid, tablename FROM pg_catalog.pg_indexes JOIN pg_namespace n ON schemaname = nspname",
        );
    }
}
