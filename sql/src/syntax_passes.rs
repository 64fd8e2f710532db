//! The rewrites of a parsed statement into syntax DataFusion plans as PostgreSQL would,
//! in the order they must run. Describing and running a statement apply the same list,
//! so a statement describes as it runs.

use datafusion::sql::parser::Statement as DFStatement;

type SyntaxPass = fn(&mut DFStatement);

const PASSES: &[SyntaxPass] = &[
    crate::procedure_arguments::with_positional_procedure_arguments,
    crate::output_names::with_output_names,
    crate::array_syntax::with_postgres_array_syntax,
    crate::cte_columns::with_cte_column_names,
    crate::fetch_first::with_fetch_as_limit,
    crate::datetime_syntax::with_postgres_datetime_syntax,
    crate::operator_syntax::with_planned_operators,
];

/// Applies every pass to `ast` (to the statement an `EXPLAIN` explains, so it is
/// explained as it runs).
pub(crate) fn with_postgres_syntax(ast: &mut DFStatement) {
    if let DFStatement::Explain(explain) = ast {
        return with_postgres_syntax(&mut explain.statement);
    }
    for pass in PASSES {
        pass(ast);
    }
}
