//! Casts of the catalog's `regproc` columns, which hold function names here.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{
    BinaryOperator, DataType, Expr, Ident, ObjectName, Query, SelectItem, SetExpr, Statement,
    TableWithJoins, VisitMut, VisitorMut, visit_expressions_mut,
};

use super::CatalogRewrite;
use super::ast::{aliased, binary, column, function_call, last_name, number, query, select, table};

/// PostgreSQL 15's `regproc` columns of `pg_catalog`; datafusion-pg-catalog has each as
/// the function's name (what PostgreSQL prints for one).
const REGPROC_COLUMNS: &[&str] = &[
    "aggfnoid",
    "aggtransfn",
    "aggfinalfn",
    "aggcombinefn",
    "aggserialfn",
    "aggdeserialfn",
    "aggmtransfn",
    "aggminvtransfn",
    "aggmfinalfn",
    "amhandler",
    "conproc",
    "oprcode",
    "oprrest",
    "oprjoin",
    "prosupport",
    "rngcanonical",
    "rngsubdiff",
    "prsstart",
    "prstoken",
    "prsend",
    "prsheadline",
    "prslextype",
    "tmplinit",
    "tmpllexize",
    "typsubscript",
    "typinput",
    "typoutput",
    "typreceive",
    "typsend",
    "typmodin",
    "typmodout",
    "typanalyze",
];

/// `column::regproc` as the column itself (the name it holds), and `column::oid` as the
/// OID of the function of that name in `pg_proc` (0 for `-`, no function, as PostgreSQL;
/// the lowest OID where overloads share the name). pg_dump reads `oprcode::oid` and
/// `amhandler::pg_catalog.regproc`.
pub struct RegprocColumns;

impl CatalogRewrite for RegprocColumns {
    fn name(&self) -> &'static str {
        "regproc_columns"
    }

    fn rewrite(&self, statement: &mut Statement) {
        let _ = statement.visit(&mut KeepColumnNames);
        let _ = visit_expressions_mut(statement, |expr| {
            if let Expr::Cast {
                expr: operand,
                data_type,
                ..
            } = expr
                && is_regproc_column(operand)
            {
                match type_name(data_type).as_deref() {
                    Some("regproc") => *expr = operand.as_ref().clone(),
                    Some("oid") => *expr = function_oid(operand.as_ref().clone()),
                    _ => {}
                }
            }
            ControlFlow::<()>::Continue(())
        });
    }
}

/// A select list's `column::oid` is named `column`, as PostgreSQL names a cast; the
/// lookup it becomes would not be.
struct KeepColumnNames;

impl VisitorMut for KeepColumnNames {
    type Break = ();

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        if let SetExpr::Select(select) = query.body.as_mut() {
            for item in &mut select.projection {
                if let SelectItem::UnnamedExpr(expr) = item
                    && let Expr::Cast { expr: operand, .. } = expr
                    && let Some(name) = column_name(operand)
                {
                    *item = aliased(expr.clone(), name);
                }
            }
        }
        ControlFlow::Continue(())
    }
}

/// The regproc column `expr` names, if it names one.
fn column_name(expr: &Expr) -> Option<Ident> {
    let ident = match expr {
        Expr::Identifier(ident) => ident,
        Expr::CompoundIdentifier(parts) => parts.last()?,
        _ => return None,
    };
    is_regproc_column(expr).then(|| ident.clone())
}

fn is_regproc_column(expr: &Expr) -> bool {
    let column = match expr {
        Expr::Identifier(ident) => ident,
        Expr::CompoundIdentifier(parts) => match parts.last() {
            Some(ident) => ident,
            None => return false,
        },
        _ => return false,
    };
    REGPROC_COLUMNS
        .iter()
        .any(|name| column.value.eq_ignore_ascii_case(name))
}

/// `oid` or `regproc` (optionally `pg_catalog.`-qualified), lower case.
fn type_name(data_type: &DataType) -> Option<String> {
    let DataType::Custom(name, modifiers) = data_type else {
        return None;
    };
    if !modifiers.is_empty() || name.0.len() > 2 {
        return None;
    }
    Some(last_name(name)?.value.to_ascii_lowercase())
}

/// `coalesce((SELECT min(regproc_function.oid) FROM pg_catalog.pg_proc regproc_function
/// WHERE regproc_function.proname = name), 0)`: PostgreSQL's `regproc` columns are never
/// NULL (0 where there is no function), ours are where there is none.
fn function_oid(name: Expr) -> Expr {
    let pg_proc = ObjectName::from(vec![Ident::new("pg_catalog"), Ident::new("pg_proc")]);
    let from = TableWithJoins {
        relation: table(pg_proc, None, Some("regproc_function")),
        joins: vec![],
    };
    let lookup = Expr::Subquery(Box::new(query(select(
        vec![SelectItem::UnnamedExpr(function_call(
            "min",
            vec![column("regproc_function", "oid")],
        ))],
        vec![from],
        Some(binary(
            column("regproc_function", "proname"),
            BinaryOperator::Eq,
            name.clone(),
        )),
    ))));
    function_call("coalesce", vec![lookup, number(0)])
}

#[cfg(test)]
mod tests {
    use super::super::test_support::assert_rewrites_to;
    use super::*;

    #[test]
    fn regproc_columns_read_as_names_and_oids() {
        assert_rewrites_to(
            &RegprocColumns,
            "SELECT amhandler::pg_catalog.regproc AS amhandler, o.oprcode::oid FROM t",
            "SELECT amhandler AS amhandler, \
             coalesce((SELECT min(regproc_function.oid) FROM pg_catalog.pg_proc regproc_function \
             WHERE regproc_function.proname = o.oprcode), 0) AS oprcode FROM t",
        );
        // Other casts stay; a cast column keeps its name, as PostgreSQL names it.
        assert_rewrites_to(
            &RegprocColumns,
            "SELECT x::oid, oprcode::text FROM t",
            "SELECT x::oid, oprcode::TEXT AS oprcode FROM t",
        );
    }
}
