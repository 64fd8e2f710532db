//! `INSERT`/`UPDATE`/`DELETE ... RETURNING`. DataFusion plans writes without it, so the
//! list is taken off the statement before planning; the write keeps the rows it wrote
//! in the statement's context (the new rows of an insert or update, the old rows of a
//! delete, see `datafusion_omnigraph::dml`) and the list is evaluated over them once the
//! write is done: one statement, one commit, the command tag unchanged.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::common::TableReference;
use datafusion::datasource::{MemTable, provider_as_source};
use datafusion::execution::SessionState;
use datafusion::logical_expr::{Expr, LogicalPlan, LogicalPlanBuilder};
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, ExprWithAlias, FromTable, Ident, SelectItem, Statement, TableFactor,
};

use crate::column_name::column_name;
use crate::error::{ErrorKind, Result, SqlError};
use crate::names::normalized;

/// A write's `RETURNING` list, and the name its rows go by there (the table's alias).
#[derive(Debug, Clone)]
pub(crate) struct Returning {
    items: Vec<SelectItem>,
    alias: Option<Ident>,
}

/// Takes the `RETURNING` list off a write, leaving the write DataFusion plans.
pub(crate) fn take_returning(ast: &mut DFStatement) -> Option<Returning> {
    let DFStatement::Statement(statement) = ast else {
        return None;
    };
    let relation_alias = |factor: &TableFactor| match factor {
        TableFactor::Table {
            alias: Some(alias), ..
        } => Some(alias.name.clone()),
        _ => None,
    };
    let (returning, alias) = match statement.as_mut() {
        // The alias only names the rows for the list (DataFusion plans no insert alias).
        Statement::Insert(insert) if insert.returning.is_some() => (
            &mut insert.returning,
            insert.table_alias.take().map(|a| a.alias),
        ),
        Statement::Update(update) => (
            &mut update.returning,
            relation_alias(&update.table.relation),
        ),
        Statement::Delete(delete) => {
            let tables = match &delete.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            let alias = tables.first().and_then(|t| relation_alias(&t.relation));
            (&mut delete.returning, alias)
        }
        _ => return None,
    };
    returning.take().map(|items| Returning { items, alias })
}

/// The plan of `returning` over `rows` written by `write` (a planned `INSERT`, `UPDATE`
/// or `DELETE`); without rows, it gives the columns the statement returns.
pub(crate) fn returning_plan(
    state: &SessionState,
    write: &LogicalPlan,
    returning: &Returning,
    rows: Vec<RecordBatch>,
) -> Result<LogicalPlan> {
    let LogicalPlan::Dml(dml) = write else {
        return Err(SqlError::new(
            ErrorKind::NotSupported,
            "RETURNING is supported on INSERT, UPDATE and DELETE of a graph table",
        ));
    };
    // The rows' own schema: it may differ from the table's in nullability or metadata.
    let schema = rows
        .first()
        .map_or_else(|| dml.target.schema(), RecordBatch::schema);
    let rows = MemTable::try_new(schema, vec![rows])?;
    let name = match &returning.alias {
        Some(alias) => TableReference::bare(normalized(alias)),
        None => TableReference::bare(dml.table_name.table()),
    };
    let scan = LogicalPlanBuilder::scan(name, provider_as_source(Arc::new(rows)), None)?;
    let columns = scan.schema().clone();
    let mut exprs: Vec<Expr> = Vec::with_capacity(returning.items.len());
    for item in &returning.items {
        match item {
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..) => {
                exprs.extend(columns.columns().into_iter().map(Expr::Column));
            }
            SelectItem::UnnamedExpr(expr) => {
                // Named as PostgreSQL names it: a column by its name, others `?column?`,
                // a function by its name.
                let alias = match expr {
                    SqlExpr::Identifier(_) | SqlExpr::CompoundIdentifier(_) => None,
                    other => Some(Ident::with_quote('"', column_name(other))),
                };
                exprs.push(state.create_logical_expr_from_sql_expr(
                    ExprWithAlias {
                        expr: expr.clone(),
                        alias,
                    },
                    &columns,
                )?);
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                exprs.push(state.create_logical_expr_from_sql_expr(
                    ExprWithAlias {
                        expr: expr.clone(),
                        alias: Some(alias.clone()),
                    },
                    &columns,
                )?);
            }
            SelectItem::ExprWithAliases { .. } => {
                return Err(SqlError::new(
                    ErrorKind::Syntax,
                    "RETURNING takes one name per expression",
                ));
            }
        }
    }
    Ok(scan.project(exprs)?.build()?)
}
