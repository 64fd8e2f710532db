//! `relation.tableoid`, the system column that holds the OID of the catalog table a row
//! is in (psql's `\dd` matches it with `pg_description.classoid`). DataFusion has no
//! system columns: the column becomes the catalog table's OID, PostgreSQL's fixed one.

use std::collections::HashMap;
use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    Expr, Query, Select, SetExpr, Statement, TableFactor, VisitMut, VisitorMut,
    visit_expressions_mut,
};

use super::CatalogRewrite;
use super::ast::{last_name, number};

/// The fixed OIDs of the `pg_catalog` tables whose rows clients tell apart by `tableoid`.
const CATALOG_TABLE_OIDS: &[(&str, i64)] = &[
    ("pg_aggregate", 2600),
    ("pg_am", 2601),
    ("pg_attrdef", 2604),
    ("pg_cast", 2605),
    ("pg_constraint", 2606),
    ("pg_conversion", 2607),
    ("pg_depend", 2608),
    ("pg_description", 2609),
    ("pg_index", 2610),
    ("pg_inherits", 2611),
    ("pg_language", 2612),
    ("pg_namespace", 2615),
    ("pg_opclass", 2616),
    ("pg_operator", 2617),
    ("pg_rewrite", 2618),
    ("pg_trigger", 2620),
    ("pg_opfamily", 2753),
    ("pg_class", 1259),
    ("pg_attribute", 1249),
    ("pg_proc", 1255),
    ("pg_type", 1247),
    ("pg_database", 1262),
    ("pg_collation", 3456),
    ("pg_extension", 3079),
    ("pg_policy", 3256),
    ("pg_event_trigger", 3466),
    ("pg_ts_config", 3602),
    ("pg_ts_dict", 3600),
    ("pg_ts_parser", 3601),
    ("pg_ts_template", 3764),
];

pub struct TableOid;

impl CatalogRewrite for TableOid {
    fn name(&self) -> &'static str {
        "table_oid"
    }

    /// Innermost queries first, so a subquery's own aliases decide its `tableoid`s.
    fn rewrite(&self, statement: &mut Statement) {
        struct Queries;
        impl VisitorMut for Queries {
            type Break = ();

            fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
                with_table_oids(query.body.as_mut());
                ControlFlow::Continue(())
            }
        }
        let _ = statement.visit(&mut Queries);
    }
}

fn with_table_oids(body: &mut SetExpr) {
    match body {
        SetExpr::Select(select) => {
            let tables = catalog_tables_by_alias(select);
            if tables.is_empty() {
                return;
            }
            let _ = visit_expressions_mut(select.as_mut(), |expr| {
                if let Expr::CompoundIdentifier(parts) = expr
                    && let [relation, column] = parts.as_slice()
                    && column.value.eq_ignore_ascii_case("tableoid")
                    && let Some(oid) = tables.get(&relation.value.to_ascii_lowercase())
                {
                    *expr = number(*oid);
                }
                ControlFlow::<()>::Continue(())
            });
        }
        SetExpr::SetOperation { left, right, .. } => {
            with_table_oids(left);
            with_table_oids(right);
        }
        _ => {}
    }
}

/// The catalog tables `select` reads (not its subqueries), by the name or alias it gives
/// them, with their OIDs.
fn catalog_tables_by_alias(select: &Select) -> HashMap<String, i64> {
    select
        .from
        .iter()
        .flat_map(|from| {
            std::iter::once(&from.relation).chain(from.joins.iter().map(|j| &j.relation))
        })
        .filter_map(|relation| {
            let TableFactor::Table { name, alias, .. } = relation else {
                return None;
            };
            let table = last_name(name)?;
            let oid = CATALOG_TABLE_OIDS
                .iter()
                .find(|(t, _)| table.value.eq_ignore_ascii_case(t))?
                .1;
            let key = alias.as_ref().map_or(&table.value, |a| &a.name.value);
            Some((key.to_ascii_lowercase(), oid))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::rewritten;
    use super::*;

    #[test]
    fn table_oids_are_the_catalog_tables_oids() {
        assert_eq!(
            rewritten(
                "SELECT o.oid, o.tableoid FROM pg_catalog.pg_opclass o \
                 UNION ALL SELECT pg_proc.tableoid FROM pg_proc",
                &TableOid
            ),
            "SELECT o.oid, 2616 FROM pg_catalog.pg_opclass o \
             UNION ALL SELECT 1255 FROM pg_proc"
        );
        // Each select's own aliases count; other tables have no OID here.
        assert_eq!(
            rewritten(
                "SELECT t.tableoid FROM pg_type t UNION SELECT t.tableoid FROM pg_trigger t",
                &TableOid
            ),
            "SELECT 1247 FROM pg_type t UNION SELECT 2620 FROM pg_trigger t"
        );
        let graph_table = "SELECT p.tableoid FROM person p";
        assert_eq!(rewritten(graph_table, &TableOid), graph_table);
    }
}
