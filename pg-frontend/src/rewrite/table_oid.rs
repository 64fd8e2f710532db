//! `tableoid`, the system column every PostgreSQL row has: the OID of the table it is
//! in. pg_dump identifies each catalog object by `(tableoid, oid)`.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Ident, JoinOperator, ObjectName, Query, Select, SelectItem, SetExpr, Statement,
    TableFactor, VisitMut, VisitorMut, visit_expressions_mut,
};

use super::CatalogRewrite;
use super::ast::{aliased, case_when, column, last_name, null, number, text};
use super::formatted_relation_name::relation_oid;
use crate::catalog::catalog_table_oids::fixed_table_oid;

const TABLE_OID: &str = "tableoid";

fn catalog_table_oid(relation: &Relation) -> Option<i64> {
    if !relation.schema.eq_ignore_ascii_case("pg_catalog") {
        return None;
    }
    fixed_table_oid(&relation.table).map(i64::from)
}

/// `tableoid` of a relation in FROM (by its alias, or unqualified when the FROM has one
/// relation) as that relation's `pg_class.oid`, read by name; NULL where an outer join
/// found no row (a row of the relation has an `oid`). Catalog tables have no such column
/// here, and DataFusion has no hidden columns that `SELECT *` would leave out. Subqueries
/// resolve their own references first, so an inner alias shadows an outer one.
pub struct TableOid;

impl CatalogRewrite for TableOid {
    fn name(&self) -> &'static str {
        "table_oid"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = statement.visit(&mut InnermostFirst);
    }
}

struct InnermostFirst;

impl VisitorMut for InnermostFirst {
    type Break = ();

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        resolve_in(&mut query.body);
        ControlFlow::Continue(())
    }
}

fn resolve_in(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => resolve_in_select(select),
        SetExpr::SetOperation { left, right, .. } => {
            resolve_in(left);
            resolve_in(right);
        }
        _ => {}
    }
}

/// A relation of a FROM clause: what names it there, the schema and name it has, and
/// whether an outer join may give it no row.
struct Relation {
    reference: String,
    schema: String,
    table: String,
    outer: bool,
}

fn relations(select: &Select) -> Vec<Relation> {
    let mut found = Vec::new();
    for from in &select.from {
        found.extend(relation(&from.relation, false));
        for join in &from.joins {
            let outer = matches!(
                join.join_operator,
                JoinOperator::Left(_)
                    | JoinOperator::LeftOuter(_)
                    | JoinOperator::FullOuter(_)
                    | JoinOperator::Right(_)
                    | JoinOperator::RightOuter(_)
            );
            found.extend(relation(&join.relation, outer));
        }
    }
    found
}

/// A named table (not a function or subquery) whose schema is known: written, or
/// `pg_catalog` for an unqualified `pg_*` name (the catalog comes first on every search
/// path).
fn relation(factor: &TableFactor, outer: bool) -> Option<Relation> {
    let TableFactor::Table {
        name,
        alias,
        args: None,
        ..
    } = factor
    else {
        return None;
    };
    let table = last_name(name)?.value.clone();
    let schema = schema_of(name, &table)?;
    let reference = alias
        .as_ref()
        .map_or_else(|| table.clone(), |alias| alias.name.value.clone());
    Some(Relation {
        reference,
        schema,
        table,
        outer,
    })
}

fn schema_of(name: &ObjectName, table: &str) -> Option<String> {
    let parts = &name.0;
    match parts.len() {
        1 if table.to_ascii_lowercase().starts_with("pg_") => Some("pg_catalog".to_string()),
        2 | 3 => Some(parts[parts.len() - 2].as_ident()?.value.clone()),
        _ => None,
    }
}

/// The relation a `tableoid` reference names, if `expr` is one.
fn referenced<'a>(expr: &Expr, relations: &'a [Relation]) -> Option<&'a Relation> {
    let is_table_oid = |ident: &Ident| ident.value.eq_ignore_ascii_case(TABLE_OID);
    match expr {
        Expr::Identifier(ident) if is_table_oid(ident) => match relations {
            [only] => Some(only),
            _ => None,
        },
        Expr::CompoundIdentifier(parts) => match parts.as_slice() {
            [qualifier, ident] if is_table_oid(ident) => relations
                .iter()
                .find(|r| r.reference.eq_ignore_ascii_case(&qualifier.value)),
            _ => None,
        },
        _ => None,
    }
}

fn resolve_in_select(select: &mut Select) {
    let relations = relations(select);
    if relations.is_empty() {
        return;
    }
    // A bare `tableoid` in the select list keeps its name as its column's.
    for item in &mut select.projection {
        if let SelectItem::UnnamedExpr(expr) = item
            && referenced(expr, &relations).is_some()
        {
            *item = aliased(expr.clone(), Ident::new(TABLE_OID));
        }
    }
    let _ = visit_expressions_mut(select, |expr| {
        if let Some(relation) = referenced(expr, &relations) {
            *expr = table_oid(relation);
        }
        ControlFlow::<()>::Continue(())
    });
}

fn table_oid(relation: &Relation) -> Expr {
    let oid = match catalog_table_oid(relation) {
        Some(oid) => number(oid),
        None => relation_oid(text(&relation.schema), text(&relation.table)),
    };
    if !relation.outer {
        return oid;
    }
    match case_when(
        Expr::IsNull(Box::new(column(&relation.reference, "oid"))),
        null(),
    ) {
        Expr::Case {
            case_token,
            end_token,
            operand,
            conditions,
            ..
        } => Expr::Case {
            case_token,
            end_token,
            operand,
            conditions,
            else_result: Some(Box::new(oid)),
        },
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_rewrites_to;
    use super::*;

    const CLASS_OID: &str = "(SELECT max(named_relation.oid) \
        FROM pg_catalog.pg_class named_relation JOIN pg_catalog.pg_namespace named_schema \
        ON named_relation.relnamespace = named_schema.oid \
        WHERE named_schema.nspname = 'pg_catalog' AND named_relation.relname = ";

    #[test]
    fn a_bare_table_oid_keeps_its_name() {
        assert_rewrites_to(
            &TableOid,
            "SELECT tableoid, oid FROM pg_type",
            "SELECT 1247 AS tableoid, oid FROM pg_type",
        );
    }

    #[test]
    fn qualified_references_follow_their_alias_and_outer_joins() {
        assert_rewrites_to(
            &TableOid,
            "SELECT c.tableoid AS contableoid FROM pg_catalog.pg_index i \
             LEFT JOIN pg_catalog.pg_constraint c ON i.indexrelid = c.conindid",
            "SELECT CASE WHEN c.oid IS NULL THEN NULL ELSE 2606 END \
             AS contableoid FROM pg_catalog.pg_index i \
             LEFT JOIN pg_catalog.pg_constraint c ON i.indexrelid = c.conindid",
        );
    }

    #[test]
    fn subqueries_resolve_their_own_first() {
        assert_rewrites_to(
            &TableOid,
            "SELECT (SELECT tableoid FROM pg_am) FROM pg_class c WHERE c.tableoid > 0",
            "SELECT (SELECT 2601 AS tableoid FROM pg_am) FROM pg_class c WHERE 1259 > 0",
        );
    }

    #[test]
    fn other_relations_are_looked_up_by_name() {
        assert_rewrites_to(
            &TableOid,
            "SELECT p.tableoid FROM pg_catalog.pg_settings p",
            &format!("SELECT {CLASS_OID}'pg_settings') AS tableoid FROM pg_catalog.pg_settings p"),
        );
    }

    #[test]
    fn other_columns_are_left_alone() {
        let sql = "SELECT x.tableoid FROM generate_series(1, 2) x";
        assert_rewrites_to(&TableOid, sql, sql);
    }
}
