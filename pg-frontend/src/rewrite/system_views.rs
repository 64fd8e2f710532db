//! PostgreSQL's system views that datafusion-pg-catalog does not have, defined over the
//! catalogs as PostgreSQL defines them: a query naming one reads its definition (Sequelize's
//! `describeTable` joins `pg_statio_all_tables` for column comments). Block I/O counts are
//! NULL: reads here go through no buffer pool of PostgreSQL's.

use std::ops::ControlFlow;
use std::sync::LazyLock;

use datafusion::sql::sqlparser::ast::{
    Ident, Query, SetExpr, Statement, TableAlias, TableFactor, VisitMut, VisitorMut,
};
use datafusion::sql::sqlparser::dialect::PostgreSqlDialect;
use datafusion::sql::sqlparser::parser::Parser;

use super::CatalogRewrite;
use super::ast::last_name;

/// Each view and its definition (which may read an earlier view: a view's expansion is
/// expanded in turn).
const DEFINITIONS: [(&str, &str); 2] = [
    (
        "pg_statio_all_tables",
        "SELECT c.oid AS relid, n.nspname AS schemaname, c.relname, \
         CAST(NULL AS bigint) AS heap_blks_read, CAST(NULL AS bigint) AS heap_blks_hit, \
         CAST(NULL AS bigint) AS idx_blks_read, CAST(NULL AS bigint) AS idx_blks_hit, \
         CAST(NULL AS bigint) AS toast_blks_read, CAST(NULL AS bigint) AS toast_blks_hit, \
         CAST(NULL AS bigint) AS tidx_blks_read, CAST(NULL AS bigint) AS tidx_blks_hit \
         FROM pg_catalog.pg_class c LEFT JOIN pg_catalog.pg_namespace n \
         ON n.oid = c.relnamespace WHERE c.relkind IN ('r', 't', 'm', 'p')",
    ),
    (
        "pg_statio_user_tables",
        "SELECT * FROM pg_catalog.pg_statio_all_tables \
         WHERE schemaname NOT IN ('pg_catalog', 'information_schema') \
         AND schemaname !~ '^pg_toast'",
    ),
];

/// The definitions, parsed once.
static VIEWS: LazyLock<Vec<(&'static str, Query)>> = LazyLock::new(|| {
    DEFINITIONS
        .iter()
        .map(|(name, sql)| {
            let statement = Parser::parse_sql(&PostgreSqlDialect {}, sql)
                .ok()
                .and_then(|mut statements| statements.pop());
            match statement {
                Some(Statement::Query(query)) => (*name, *query),
                _ => panic!("the definition of {name} is a query"),
            }
        })
        .collect()
});

pub struct SystemViews;

impl CatalogRewrite for SystemViews {
    fn name(&self) -> &'static str {
        "system_views"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = statement.visit(&mut Expand);
    }
}

struct Expand;

impl VisitorMut for Expand {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &mut TableFactor) -> ControlFlow<()> {
        let TableFactor::Table {
            name,
            alias,
            args: None,
            ..
        } = factor
        else {
            return ControlFlow::Continue(());
        };
        let parts = name.0.len();
        let in_catalog = parts == 1
            || name.0[parts - 2]
                .as_ident()
                .is_some_and(|schema| schema.value.eq_ignore_ascii_case("pg_catalog"));
        let Some(view) = last_name(name).map(|n| n.value.to_ascii_lowercase()) else {
            return ControlFlow::Continue(());
        };
        if !in_catalog {
            return ControlFlow::Continue(());
        }
        let Some((_, definition)) = VIEWS.iter().find(|(v, _)| *v == view) else {
            return ControlFlow::Continue(());
        };
        let alias = alias.take().unwrap_or(TableAlias {
            explicit: true,
            name: Ident::new(view),
            columns: vec![],
            at: None,
        });
        debug_assert!(matches!(definition.body.as_ref(), SetExpr::Select(_)));
        *factor = TableFactor::Derived {
            lateral: false,
            subquery: Box::new(definition.clone()),
            alias: Some(alias),
            sample: None,
        };
        ControlFlow::Continue(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_read_their_definitions() {
        let mut statement = Parser::parse_sql(
            &PostgreSqlDialect {},
            "SELECT st.relname FROM pg_catalog.pg_statio_all_tables AS st",
        )
        .unwrap()
        .pop()
        .unwrap();
        SystemViews.rewrite(&mut statement);
        let sql = statement.to_string();
        assert!(sql.contains("FROM (SELECT c.oid AS relid"), "{sql}");
        assert!(sql.ends_with(") AS st"), "{sql}");
    }
}
