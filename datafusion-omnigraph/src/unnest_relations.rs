//! `unnest` in `FROM` as PostgreSQL writes it:
//!
//! - `LATERAL unnest(a)` is the `unnest` relation (every function in `FROM` may read the
//!   relations before it; the keyword changes nothing), where DataFusion looks for a table
//!   function of that name;
//! - `unnest(a) WITH ORDINALITY [AS t(x, n)]` adds the element's position, a `bigint`
//!   counted from 1: planned as `unnest(a, generate_series(1, array_length(a, 1)))`, whose
//!   two arrays DataFusion unnests side by side. Unnamed columns are PostgreSQL's:
//!   `unnest` (or the alias's name) and `ordinality`.

use datafusion::logical_expr::planner::{
    RelationPlanner, RelationPlannerContext, RelationPlanning,
};
use datafusion::sql::sqlparser::ast::{
    CastKind, DataType, Expr, FunctionArg, FunctionArgExpr, Ident, ObjectName, TableAlias,
    TableAliasColumnDef, TableFactor, Value,
};

use crate::error::DfResult;
use crate::syntax_builders::function_call as call;

#[derive(Debug, Default)]
pub struct UnnestRelations;

impl RelationPlanner for UnnestRelations {
    fn plan_relation(
        &self,
        relation: TableFactor,
        _context: &mut dyn RelationPlannerContext,
    ) -> DfResult<RelationPlanning> {
        let relation = match relation {
            TableFactor::Function {
                name,
                args,
                with_ordinality,
                alias,
                ..
            } if is_unnest(&name) => match arguments(&args) {
                Some(array_exprs) => TableFactor::UNNEST {
                    alias,
                    array_exprs,
                    with_offset: false,
                    with_offset_alias: None,
                    with_ordinality,
                },
                None => TableFactor::Function {
                    lateral: true,
                    name,
                    args,
                    with_ordinality,
                    alias,
                },
            },
            other => other,
        };
        let relation = match relation {
            TableFactor::UNNEST {
                alias,
                mut array_exprs,
                with_offset: false,
                with_offset_alias,
                with_ordinality: true,
            } if !array_exprs.is_empty() => {
                let alias = named_columns(alias, array_exprs.len());
                let ordinality = positions_of(&array_exprs);
                array_exprs.push(ordinality);
                TableFactor::UNNEST {
                    alias: Some(alias),
                    array_exprs,
                    with_offset: false,
                    with_offset_alias,
                    with_ordinality: false,
                }
            }
            other => other,
        };
        Ok(RelationPlanning::Original(Box::new(relation)))
    }
}

/// `unnest` or `pg_catalog.unnest`.
fn is_unnest(name: &ObjectName) -> bool {
    let parts: Vec<&Ident> = name.0.iter().filter_map(|p| p.as_ident()).collect();
    match parts.as_slice() {
        [f] => f.value.eq_ignore_ascii_case("unnest"),
        [schema, f] => {
            schema.value.eq_ignore_ascii_case("pg_catalog")
                && f.value.eq_ignore_ascii_case("unnest")
        }
        _ => false,
    }
}

/// The arguments as expressions, if each is a plain (unnamed) one.
fn arguments(args: &[FunctionArg]) -> Option<Vec<Expr>> {
    args.iter()
        .map(|arg| match arg {
            FunctionArg::Unnamed(FunctionArgExpr::Expr(e)) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

/// `generate_series(1, greatest(array_length(a, 1), ...)::bigint)`: the positions of the
/// longest array's elements (PostgreSQL pads the shorter arrays with NULLs).
fn positions_of(arrays: &[Expr]) -> Expr {
    let lengths: Vec<Expr> = arrays
        .iter()
        .map(|a| call("array_length", vec![a.clone(), number("1")]))
        .collect();
    let longest = if lengths.len() == 1 {
        lengths.into_iter().next().expect("one length")
    } else {
        call("greatest", lengths)
    };
    let longest = Expr::Cast {
        kind: CastKind::Cast,
        expr: Box::new(longest),
        data_type: DataType::BigInt(None),
        array: false,
        format: None,
    };
    call("generate_series", vec![number("1"), longest])
}

/// The alias with a name for every column: those it names, then PostgreSQL's (`unnest`,
/// or for a single array the alias's own name), then `ordinality`.
fn named_columns(alias: Option<TableAlias>, arrays: usize) -> TableAlias {
    let mut alias = alias.unwrap_or_else(|| TableAlias {
        explicit: false,
        name: Ident::new("unnest"),
        columns: vec![],
        at: None,
    });
    let element_name = if arrays == 1 {
        alias.name.clone()
    } else {
        Ident::new("unnest")
    };
    while alias.columns.len() < arrays {
        alias.columns.push(TableAliasColumnDef {
            name: element_name.clone(),
            data_type: None,
        });
    }
    if alias.columns.len() == arrays {
        alias.columns.push(TableAliasColumnDef {
            name: Ident::new("ordinality"),
            data_type: None,
        });
    }
    alias
}

fn number(digits: &str) -> Expr {
    Expr::Value(Value::Number(digits.to_string(), false).into())
}
