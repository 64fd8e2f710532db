//! The placeholder types and result columns of a statement, without running it
//! (procedures only run when executed); commands have no result columns.

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Schema, SchemaRef};
use datafusion::logical_expr::LogicalPlan;
use datafusion::scalar::ScalarValue;
use datafusion_omnigraph::StatementContext;

use crate::binding::{
    bind_call_arguments, bind_table_function_arguments, call_placeholders, placeholder_arrays,
    placeholder_casts, placeholder_row_counts,
};
use crate::error::Result;
use crate::session::{Session, result_schema, transaction_aborted};
use crate::settings::{is_graph_setting, show_schema};
use crate::statement::{self, CursorCommand, ParsedStatement, Setting, StatementKind};

/// A statement's parameter types (`None`: unknown) and result columns.
pub type Description = (Vec<Option<DataType>>, SchemaRef);

fn no_columns() -> SchemaRef {
    Arc::new(Schema::empty())
}

impl Session {
    /// [`Session::describe_statement`] of the text of one statement (several describe
    /// as a command).
    pub async fn describe(&self, sql: &str) -> Result<Description> {
        let mut statements = statement::parse(sql)?;
        match statements.len() {
            1 => self.describe_statement(&statements.remove(0)).await,
            _ => Ok((vec![], no_columns())),
        }
    }

    /// The placeholder types and result columns of `statement`.
    pub async fn describe_statement(&self, statement: &ParsedStatement) -> Result<Description> {
        let ast = match &statement.kind {
            StatementKind::Transaction(_) | StatementKind::Copy(_) => {
                return Ok((vec![], no_columns()));
            }
            StatementKind::Cursor(CursorCommand::Fetch {
                name, skip: false, ..
            }) => {
                let columns = self.cursors().schema(name).ok_or_else(|| {
                    crate::error::SqlError::new(
                        crate::error::ErrorKind::InvalidCursorName,
                        format!("cursor \"{name}\" does not exist"),
                    )
                })?;
                return Ok((vec![], columns));
            }
            // A declaration's placeholders are its query's (psycopg binds them).
            StatementKind::Cursor(CursorCommand::Declare { query, .. }) => {
                let query = datafusion::sql::parser::Statement::Statement(Box::new(
                    datafusion::sql::sqlparser::ast::Statement::Query(query.clone()),
                ));
                let (params, _) =
                    Box::pin(self.describe_statement(&ParsedStatement::new(query)?)).await?;
                return Ok((params, no_columns()));
            }
            StatementKind::Cursor(_) => return Ok((vec![], no_columns())),
            StatementKind::Explain(format) => {
                return Ok((vec![], crate::explain::query_plan_schema(*format)));
            }
            StatementKind::Setting(Setting::Show(name)) if is_graph_setting(name) => {
                return Ok((vec![], show_schema(name)));
            }
            StatementKind::Setting(Setting::Set { .. } | Setting::Reset(_) | Setting::Ignored) => {
                return Ok((vec![], no_columns()));
            }
            StatementKind::Call(call) if call.command.is_some() => {
                return Ok((vec![], no_columns()));
            }
            StatementKind::Call(call) => {
                let count = call_placeholders(call);
                if count > 0 {
                    // Procedure arguments are read while planning, so placeholders stand
                    // in as text; the result columns do not depend on them.
                    let sample = vec![ScalarValue::Utf8(Some("x".to_string())); count];
                    let bound = bind_call_arguments(call, &sample)?;
                    let state = self.statement_state(Arc::new(StatementContext::default()));
                    let schema = match state
                        .statement_to_plan(statement::call_as_query(&bound))
                        .await
                    {
                        Ok(plan) => Arc::new(plan.schema().as_arrow().clone()),
                        Err(_) => no_columns(),
                    };
                    return Ok((vec![Some(DataType::Utf8); count], schema));
                }
                statement::call_as_query(call)
            }
            StatementKind::Write => match crate::on_conflict::conflict_insert(&statement.ast) {
                Some(insert) => crate::on_conflict::without_conflict_clause(insert),
                None => statement.ast.clone(),
            },
            _ => statement.ast.clone(),
        };
        if self
            .graph_context()
            .transaction()
            .is_some_and(|tx| tx.failed)
        {
            return Err(transaction_aborted());
        }
        let mut ast = ast;
        let returning = crate::returning::take_returning(&mut ast);
        crate::syntax_passes::with_postgres_syntax(&mut ast);
        self.refresh_branches_for(&ast).await?;
        crate::vector_values::with_vector_casts(self.graph_context(), &mut ast).await;
        let in_table_functions = bind_table_function_arguments(&mut ast, None)?;
        let state = self.statement_state(Arc::new(StatementContext::default()));
        let plan = crate::references::statement_to_plan(&state, ast).await?;
        let mut types = plan.get_parameter_types()?;
        for n in in_table_functions {
            types.insert(format!("${n}"), Some(DataType::Utf8));
        }
        let mut numbered: Vec<(usize, Option<DataType>)> = types
            .into_iter()
            .filter_map(|(name, ty)| {
                name.trim_start_matches('$')
                    .parse::<usize>()
                    .ok()
                    .map(|n| (n, ty))
            })
            .collect();
        numbered.sort_by_key(|(n, _)| *n);
        let count = numbered.last().map(|(n, _)| *n).unwrap_or(0);
        let mut params = vec![None; count];
        for (n, ty) in numbered {
            params[n - 1] = ty;
        }
        // `$1::int`: an untyped placeholder takes the type it is cast to, as in PostgreSQL.
        if params.iter().any(Option::is_none) {
            for (n, ty) in placeholder_casts(&plan)
                .into_iter()
                .chain(placeholder_arrays(&plan))
                .chain(placeholder_row_counts(&plan))
            {
                if let Some(slot @ None) = n.checked_sub(1).and_then(|i| params.get_mut(i)) {
                    *slot = Some(ty);
                }
            }
        }
        let schema = match (&plan, &returning) {
            (LogicalPlan::Dml(_), Some(returning)) => {
                let rows = crate::returning::returning_plan(&state, &plan, returning, vec![])?;
                Arc::new(rows.schema().as_arrow().clone())
            }
            // An EXECUTE's columns are its prepared statement's; looking them up runs nothing.
            (LogicalPlan::Statement(datafusion::logical_expr::Statement::Execute(_)), _) => {
                let df = self.dataframe(state.clone(), plan.clone()).await?;
                Arc::new(df.schema().as_arrow().clone())
            }
            (LogicalPlan::Dml(_) | LogicalPlan::Ddl(_) | LogicalPlan::Statement(_), _) => {
                no_columns()
            }
            (other, _) => crate::output_names::postgres_schema(&result_schema(&state, other)),
        };
        Ok((params, schema))
    }
}
