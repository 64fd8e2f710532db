//! A subquery whose `FROM` unnests an array of the outer query's row (Django reads a
//! constraint's columns with `ARRAY(SELECT attname FROM unnest(c.conkey) WITH ORDINALITY
//! cols(colid, arridx) JOIN pg_attribute ca ON ... WHERE ca.attrelid = c.conrelid ORDER
//! BY cols.arridx)`). DataFusion decorrelates outer references in a subquery's `WHERE`
//! only, so the unnest reads the catalog table itself, every row's array beside the row's
//! key, and the subquery keeps the outer row's elements by that key:
//!
//! `FROM (SELECT keyed.oid AS outer_key, u.colid, u.arridx FROM pg_catalog.pg_constraint
//! keyed CROSS JOIN LATERAL unnest(keyed.conkey) WITH ORDINALITY AS u(colid, arridx)) cols
//! ... WHERE ... AND cols.outer_key = c.oid`.
//!
//! Only for the outer relations this knows a key of (the catalog tables with an `oid`,
//! `pg_index` by `indexrelid`).

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, Expr, FunctionArg, FunctionArgExpr, Ident, ObjectName, Query, SelectItem,
    SetExpr, Statement, TableAlias, TableAliasColumnDef, TableFactor, TableWithJoins, VisitMut,
    VisitorMut,
};

use super::CatalogRewrite;
use super::ast::{all_of, binary, catalog_table, column, last_name, query, select};

pub struct OuterRowUnnest;

impl CatalogRewrite for OuterRowUnnest {
    fn name(&self) -> &'static str {
        "outer_row_unnest"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = statement.visit(&mut Scopes(vec![]));
    }
}

/// The catalog tables whose rows this can find again, and their key column.
const KEYED_TABLES: [(&str, &str); 6] = [
    ("pg_constraint", "oid"),
    ("pg_class", "oid"),
    ("pg_proc", "oid"),
    ("pg_type", "oid"),
    ("pg_namespace", "oid"),
    ("pg_index", "indexrelid"),
];

const OUTER_KEY: &str = "__outer_key";

/// The relations each enclosing query's `FROM` names: (alias or name, table).
struct Scopes(Vec<Vec<(String, String)>>);

impl VisitorMut for Scopes {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_mut() {
            let own = named_relations(&select.from);
            let mut keys = Vec::new();
            for from in &mut select.from {
                for relation in std::iter::once(&mut from.relation)
                    .chain(from.joins.iter_mut().map(|j| &mut j.relation))
                {
                    if let Some(key) = self.keyed_unnest(relation, &own) {
                        keys.push(key);
                    }
                }
            }
            if !keys.is_empty() {
                let mut conditions: Vec<Expr> = select.selection.take().into_iter().collect();
                conditions.extend(keys);
                select.selection = all_of(conditions);
            }
            self.0.push(own);
        } else {
            self.0.push(vec![]);
        }
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, _: &mut Query) -> ControlFlow<()> {
        self.0.pop();
        ControlFlow::Continue(())
    }
}

impl Scopes {
    /// The catalog table an enclosing query names `alias`, if this knows its key.
    fn outer_table(&self, alias: &str) -> Option<(String, &'static str)> {
        let table = self
            .0
            .iter()
            .rev()
            .find_map(|scope| scope.iter().find(|(name, _)| name == alias))?
            .1
            .clone();
        let key = KEYED_TABLES
            .iter()
            .find(|(keyed, _)| *keyed == table)
            .map(|(_, key)| *key)?;
        Some((table, key))
    }

    /// `relation` as the keyed unnest of the outer table, if it unnests an outer row's
    /// column; the condition that keeps the outer row's elements.
    fn keyed_unnest(&self, relation: &mut TableFactor, own: &[(String, String)]) -> Option<Expr> {
        let (array, with_ordinality, alias) = match relation {
            TableFactor::UNNEST {
                array_exprs,
                with_ordinality,
                alias,
                with_offset: false,
                ..
            } if array_exprs.len() == 1 => {
                (array_exprs[0].clone(), *with_ordinality, alias.clone())
            }
            TableFactor::Function {
                name,
                args,
                with_ordinality,
                alias,
                ..
            } if last_name(name).is_some_and(|n| n.value.eq_ignore_ascii_case("unnest")) => {
                let [FunctionArg::Unnamed(FunctionArgExpr::Expr(array))] = args.as_slice() else {
                    return None;
                };
                (array.clone(), *with_ordinality, alias.clone())
            }
            _ => return None,
        };
        let Expr::CompoundIdentifier(parts) = &array else {
            return None;
        };
        let [outer, array_column] = parts.as_slice() else {
            return None;
        };
        // A name of this query's own FROM is not an outer row.
        let outer_alias = outer.value.to_ascii_lowercase();
        if own.iter().any(|(name, _)| *name == outer_alias) {
            return None;
        }
        let (table, key) = self.outer_table(&outer_alias)?;
        let alias_name = alias
            .as_ref()
            .map_or_else(|| Ident::new("unnest"), |a| a.name.clone());
        let mut columns: Vec<Ident> = alias
            .as_ref()
            .map(|a| a.columns.iter().map(|c| c.name.clone()).collect())
            .unwrap_or_default();
        if columns.is_empty() {
            columns.push(alias_name.clone());
        }
        if with_ordinality && columns.len() == 1 {
            columns.push(Ident::new("ordinality"));
        }
        let unnested = TableFactor::Function {
            lateral: true,
            name: ObjectName::from(vec![Ident::new("unnest")]),
            args: vec![FunctionArg::Unnamed(FunctionArgExpr::Expr(column(
                "__keyed_row",
                &array_column.value,
            )))],
            with_ordinality,
            alias: Some(TableAlias {
                explicit: true,
                name: Ident::new("__unnested"),
                columns: columns
                    .iter()
                    .map(|name| TableAliasColumnDef {
                        name: name.clone(),
                        data_type: None,
                    })
                    .collect(),
                at: None,
            }),
        };
        let mut projection = vec![SelectItem::ExprWithAlias {
            expr: column("__keyed_row", key),
            alias: Ident::new(OUTER_KEY),
        }];
        projection.extend(columns.iter().map(|name| {
            SelectItem::UnnamedExpr(Expr::CompoundIdentifier(vec![
                Ident::new("__unnested"),
                name.clone(),
            ]))
        }));
        let keyed_rows = TableWithJoins {
            relation: super::ast::table(catalog_table(&table), None, Some("__keyed_row")),
            joins: vec![datafusion::sql::sqlparser::ast::Join {
                relation: unnested,
                global: false,
                join_operator: datafusion::sql::sqlparser::ast::JoinOperator::CrossJoin(
                    datafusion::sql::sqlparser::ast::JoinConstraint::None,
                ),
            }],
        };
        *relation = TableFactor::Derived {
            lateral: false,
            subquery: Box::new(query(select(projection, vec![keyed_rows], None))),
            alias: Some(TableAlias {
                explicit: true,
                name: alias_name.clone(),
                columns: vec![],
                at: None,
            }),
            sample: None,
        };
        Some(binary(
            Expr::CompoundIdentifier(vec![alias_name, Ident::new(OUTER_KEY)]),
            BinaryOperator::Eq,
            column(&outer.value, key),
        ))
    }
}

/// The names a query's `FROM` gives its catalog tables (alias, else table name), with
/// the tables' names.
fn named_relations(from: &[TableWithJoins]) -> Vec<(String, String)> {
    from.iter()
        .flat_map(|f| std::iter::once(&f.relation).chain(f.joins.iter().map(|j| &j.relation)))
        .filter_map(|relation| match relation {
            TableFactor::Table {
                name,
                alias,
                args: None,
                ..
            } => {
                let table = last_name(name)?.value.to_ascii_lowercase();
                let named = alias
                    .as_ref()
                    .map_or_else(|| table.clone(), |a| a.name.value.to_ascii_lowercase());
                Some((named, table))
            }
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_rewrites_to;
    use super::*;

    #[test]
    fn an_outer_rows_array_is_unnested_from_its_table_by_key() {
        assert_rewrites_to(
            &OuterRowUnnest,
            "SELECT c.conname, ARRAY(SELECT attname FROM unnest(c.conkey) WITH ORDINALITY \
             cols(colid, arridx) JOIN pg_attribute AS ca ON cols.colid = ca.attnum \
             WHERE ca.attrelid = c.conrelid ORDER BY cols.arridx) FROM pg_constraint AS c",
            "SELECT c.conname, ARRAY(SELECT attname FROM (SELECT __keyed_row.oid AS __outer_key, \
             __unnested.colid, __unnested.arridx FROM pg_catalog.pg_constraint __keyed_row \
             CROSS JOIN LATERAL unnest(__keyed_row.conkey) WITH ORDINALITY AS \
             __unnested (colid, arridx)) AS cols JOIN pg_attribute AS ca ON cols.colid = ca.attnum \
             WHERE ca.attrelid = c.conrelid AND cols.__outer_key = c.oid ORDER BY cols.arridx) \
             FROM pg_constraint AS c",
        );
        // An array of the query's own row stays as it is.
        let own = "SELECT k.x FROM pg_constraint c CROSS JOIN LATERAL unnest(c.conkey) AS k (x)";
        assert_rewrites_to(&OuterRowUnnest, own, own);
    }
}
