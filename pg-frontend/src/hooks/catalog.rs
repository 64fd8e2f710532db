//! Catalog queries (psql's `\d`, drivers' and BI tools' introspection) go through
//! datafusion-pg-catalog's rewrites (`::regclass`, `OPERATOR(pg_catalog.~)`, ...) and
//! ours ([`crate::rewrite`]). A statement is a catalog query by what it references: a
//! `pg_*` relation, `pg_catalog` or `information_schema`, or a cast to an object
//! identifier type (`regclass`, `oid`, ...).

use std::ops::ControlFlow;
use std::sync::LazyLock;

use datafusion::sql::sqlparser::ast::{DataType, Expr, ObjectName, Statement, Visit};
use datafusion_pg_catalog::sql::rules::{
    AliasDuplicatedProjectionRewrite, CurrentUserVariableToSessionUserFunctionCall,
    FixArrayLiteral, FixVersionColumnName, PrependUnqualifiedPgTableName,
    ResolveUnqualifiedIdentifier, RewriteArrayAnyAllOperation, RewritePgCatalogOperator,
    RewriteRegCastToSubquery, SqlStatementRewriteRule, StripCallableQualifier, StripCollate,
};
use omnigraph_sql::{ParsedStatement, names};

use super::StatementHook;
use crate::rewrite;

pub struct CatalogQueries;

/// datafusion-pg-catalog's statement rewrites, in its order, but for
/// `RemoveSubqueryFromProjection`: it replaces a correlated scalar subquery in a select
/// list with NULL (a wrong answer: Django's foreign-key target, pgcli's keys), where
/// [`crate::rewrite`] aggregates it so DataFusion decorrelates it; and it caps the others
/// at one row, where PostgreSQL fails on a second (as [`datafusion_omnigraph`]'s scalar
/// subquery rule does).
static COMPATIBILITY: LazyLock<Vec<Box<dyn SqlStatementRewriteRule>>> = LazyLock::new(|| {
    vec![
        Box::new(AliasDuplicatedProjectionRewrite),
        Box::new(ResolveUnqualifiedIdentifier),
        Box::new(RewriteArrayAnyAllOperation),
        Box::new(PrependUnqualifiedPgTableName),
        Box::new(StripCallableQualifier),
        Box::new(FixArrayLiteral),
        Box::new(CurrentUserVariableToSessionUserFunctionCall),
        Box::new(StripCollate),
        Box::new(RewritePgCatalogOperator),
        Box::new(RewriteRegCastToSubquery::new()),
        Box::new(FixVersionColumnName),
    ]
});

impl StatementHook for CatalogQueries {
    fn rewrite(&self, statement: &mut ParsedStatement) {
        let Some(sql) = statement.sql_statement_mut() else {
            return;
        };
        if is_catalog_query(sql) {
            rewrite::before_compatibility(sql);
            *sql = COMPATIBILITY
                .iter()
                .fold(sql.clone(), |statement, rule| rule.rewrite(statement));
            rewrite::as_datafusion_catalog_query(sql);
        }
    }
}

fn is_catalog_relation(name: &ObjectName) -> bool {
    let parts = names::object_parts(name);
    parts
        .iter()
        .any(|p| p == "pg_catalog" || p == "information_schema")
        || parts.last().is_some_and(|table| table.starts_with("pg_"))
}

fn is_object_identifier_type(data_type: &DataType) -> bool {
    let name = match data_type {
        DataType::Custom(name, _) => names::object_parts(name).pop().unwrap_or_default(),
        DataType::Regclass => return true,
        _ => return false,
    };
    name == "oid" || name.starts_with("reg")
}

/// Whether `statement` references the catalog.
pub fn is_catalog_query(statement: &Statement) -> bool {
    let relation = statement.visit(&mut RelationFinder);
    relation.is_break()
}

struct RelationFinder;

impl datafusion::sql::sqlparser::ast::Visitor for RelationFinder {
    type Break = ();

    fn pre_visit_relation(&mut self, relation: &ObjectName) -> ControlFlow<()> {
        if is_catalog_relation(relation) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn pre_visit_expr(&mut self, expr: &Expr) -> ControlFlow<()> {
        match expr {
            Expr::Cast { data_type, .. } if is_object_identifier_type(data_type) => {
                ControlFlow::Break(())
            }
            // `pg_get_userbyid(...)`, `format_type(...)` and the like read the catalog.
            Expr::Function(f) if is_catalog_relation(&f.name) => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog(sql: &str) -> bool {
        let parsed = omnigraph_sql::statement::parse_one(sql).unwrap();
        is_catalog_query(parsed.sql_statement().unwrap())
    }

    #[test]
    fn catalog_queries_are_known_by_what_they_reference() {
        assert!(catalog("SELECT relname FROM pg_class"));
        assert!(catalog("SELECT * FROM pg_catalog.pg_namespace n"));
        assert!(catalog("SELECT table_name FROM information_schema.tables"));
        assert!(catalog("SELECT 'person'::regclass"));
        assert!(catalog("SELECT x FROM t WHERE oid = $1::oid"));
        assert!(catalog("SELECT pg_catalog.pg_get_userbyid(10)"));
        assert!(!catalog("SELECT name FROM person WHERE name = 'pg_class'"));
        assert!(!catalog("SELECT 1"));
    }
}
