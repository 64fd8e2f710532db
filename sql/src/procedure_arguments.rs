//! Procedure calls in named notation (`cleanup(keep_versions => 10)`), as PostgreSQL
//! binds them: each `name => value` goes to the parameter's position, parameters skipped
//! before it are `NULL` (their default). DataFusion's table functions take positional
//! arguments only, so `CALL` and procedures in `FROM` are rewritten to them.

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{
    Expr as SqlExpr, FunctionArg, FunctionArgExpr, TableFactor, Value, VisitMut, VisitorMut,
};
use datafusion_omnigraph::ProcedureSpec;

use crate::error::{ErrorKind, Result, SqlError};
use crate::names;

/// `args` of a call of `procedure` in positional notation.
pub(crate) fn positional_arguments(
    procedure: &ProcedureSpec,
    args: Vec<FunctionArg>,
) -> Result<Vec<FunctionArg>> {
    if args.iter().all(|a| matches!(a, FunctionArg::Unnamed(_))) {
        return Ok(args);
    }
    let parameters = procedure.parameters();
    let mut positional: Vec<Option<FunctionArg>> = Vec::new();
    let mut named_seen = false;
    for arg in args {
        let (name, value) = match arg {
            FunctionArg::Unnamed(value) => {
                if named_seen {
                    return Err(SqlError::new(
                        ErrorKind::Syntax,
                        "positional argument cannot follow named argument",
                    ));
                }
                positional.push(Some(FunctionArg::Unnamed(value)));
                continue;
            }
            FunctionArg::Named { name, arg, .. } => (names::normalized(&name), arg),
            FunctionArg::ExprNamed {
                name: SqlExpr::Identifier(name),
                arg,
                ..
            } => (names::normalized(&name), arg),
            FunctionArg::ExprNamed { name, .. } => {
                return Err(SqlError::new(
                    ErrorKind::Syntax,
                    format!("an argument name must be an identifier, got {name}"),
                ));
            }
        };
        named_seen = true;
        let position = parameters.iter().position(|p| *p == name).ok_or_else(|| {
            SqlError::new(
                ErrorKind::UndefinedFunction,
                format!(
                    "procedure {}{} has no parameter named \"{name}\"",
                    procedure.name, procedure.signature
                ),
            )
        })?;
        if positional.len() <= position {
            positional.resize(position + 1, None);
        }
        if positional[position].is_some() {
            return Err(SqlError::new(
                ErrorKind::Syntax,
                format!("argument name \"{name}\" used more than once"),
            ));
        }
        positional[position] = Some(FunctionArg::Unnamed(value));
    }
    Ok(positional
        .into_iter()
        .map(|arg| {
            arg.unwrap_or_else(|| {
                FunctionArg::Unnamed(FunctionArgExpr::Expr(SqlExpr::value(Value::Null)))
            })
        })
        .collect())
}

/// Rewrites procedures called in `FROM` to positional notation. A call whose names do not
/// fit its procedure is left as written; planning it reports the error.
pub(crate) fn with_positional_procedure_arguments(statement: &mut DFStatement) {
    struct Rewrite;
    impl VisitorMut for Rewrite {
        type Break = ();
        fn pre_visit_table_factor(
            &mut self,
            factor: &mut TableFactor,
        ) -> std::ops::ControlFlow<()> {
            let (name, args) = match factor {
                TableFactor::Table {
                    name,
                    args: Some(args),
                    ..
                } => (&*name, &mut args.args),
                TableFactor::Function { name, args, .. } => (&*name, args),
                _ => return std::ops::ControlFlow::Continue(()),
            };
            let procedure = name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map(names::normalized)
                .and_then(|n| datafusion_omnigraph::procedure(&n));
            if let Some(procedure) = procedure
                && let Ok(positional) = positional_arguments(procedure, args.clone())
            {
                *args = positional;
            }
            std::ops::ControlFlow::Continue(())
        }
    }
    if let DFStatement::Statement(statement) = statement {
        let _ = statement.visit(&mut Rewrite);
    }
}
