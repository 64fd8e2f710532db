//! Which role a statement needs. Reads need `read`; writes and the branch procedures
//! `write`; schema changes and server-side file loads `admin`. Procedures are found
//! wherever they appear (`CALL p()` or `SELECT * FROM p()`), so no query sneaks a write
//! past a read-only role.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{ObjectName, Statement, TableFactor, Visit, Visitor};
use omnigraph_sql::{ErrorKind, SqlError};

use crate::users::Role;

/// The role `procedure` needs; `None` when it is not a procedure.
pub fn procedure_role(procedure: &str) -> Option<Role> {
    match procedure {
        "merge_conflicts" => Some(Role::Read),
        "create_branch" | "delete_branch" | "merge" => Some(Role::Write),
        "apply_schema" | "load" => Some(Role::Admin),
        _ => None,
    }
}

fn last_part(name: &ObjectName) -> String {
    name.0
        .last()
        .and_then(|p| p.as_ident())
        .map(|i| i.value.to_ascii_lowercase())
        .unwrap_or_default()
}

/// Raises the needed role for every procedure called as a table function.
struct ProcedureFinder {
    needed: Role,
}

impl Visitor for ProcedureFinder {
    type Break = ();

    fn pre_visit_table_factor(&mut self, factor: &TableFactor) -> ControlFlow<()> {
        let name = match factor {
            TableFactor::Table {
                name,
                args: Some(_),
                ..
            } => Some(name),
            TableFactor::Function { name, .. } => Some(name),
            _ => None,
        };
        if let Some(role) = name.and_then(|n| procedure_role(&last_part(n))) {
            self.needed = self.needed.max(role);
        }
        ControlFlow::Continue(())
    }
}

/// The least role that may run `statement`.
pub fn required_role(statement: &DFStatement) -> Role {
    let DFStatement::Statement(statement) = statement else {
        // EXPLAIN, SET/RESET of DataFusion options, COPY TO: reads.
        return match statement {
            DFStatement::Explain(explain) => required_role(&explain.statement),
            DFStatement::CopyTo(_) => Role::Write,
            _ => Role::Read,
        };
    };
    let base = match statement.as_ref() {
        Statement::Explain {
            statement: inner,
            analyze: true,
            ..
        } => required_role(&DFStatement::Statement(inner.clone())),
        Statement::Query(_)
        | Statement::Explain { .. }
        | Statement::ExplainTable { .. }
        | Statement::ShowVariable { .. }
        | Statement::ShowVariables { .. }
        | Statement::ShowTables { .. }
        | Statement::ShowColumns { .. }
        | Statement::ShowFunctions { .. }
        | Statement::ShowCreate { .. }
        | Statement::Set(_)
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. }
        | Statement::Prepare { .. }
        | Statement::Deallocate { .. }
        | Statement::Discard { .. } => Role::Read,
        Statement::Execute { .. } => Role::Write,
        Statement::Call(function) => {
            procedure_role(&last_part(&function.name)).unwrap_or(Role::Admin)
        }
        _ => Role::Write,
    };
    let mut finder = ProcedureFinder { needed: base };
    let _ = statement.visit(&mut finder);
    finder.needed
}

/// Refuses `statement` unless `role` may run it (42501, as PostgreSQL's permission errors).
pub fn check(statement: &DFStatement, user: &str, role: Role) -> Result<(), SqlError> {
    let needed = required_role(statement);
    if role >= needed {
        return Ok(());
    }
    Err(SqlError::new(
        ErrorKind::InsufficientPrivilege,
        format!(
            "permission denied: user \"{user}\" has role {role}; this statement needs role {needed}"
        ),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn role_of(sql: &str) -> Role {
        let statements = omnigraph_sql::Session::parse(sql).unwrap();
        required_role(&statements[0])
    }

    #[test]
    fn statements_need_the_role_of_what_they_do() {
        assert_eq!(role_of("SELECT * FROM person"), Role::Read);
        assert_eq!(role_of("SHOW omnigraph.branch"), Role::Read);
        assert_eq!(role_of("BEGIN"), Role::Read);
        assert_eq!(role_of("SELECT * FROM merge_conflicts('x')"), Role::Read);
        assert_eq!(
            role_of("INSERT INTO person (name) VALUES ('a')"),
            Role::Write
        );
        assert_eq!(role_of("UPDATE person SET age = 1"), Role::Write);
        assert_eq!(role_of("DELETE FROM person"), Role::Write);
        assert_eq!(role_of("CALL create_branch('x')"), Role::Write);
        assert_eq!(role_of("SELECT * FROM merge('x')"), Role::Write);
        assert_eq!(
            role_of("SELECT * FROM person WHERE id IN (SELECT outcome FROM merge('x'))"),
            Role::Write
        );
        assert_eq!(role_of("CALL load('/etc/passwd')"), Role::Admin);
        assert_eq!(role_of("SELECT * FROM load('/tmp/x.ndjson')"), Role::Admin);
        assert_eq!(
            role_of("CALL apply_schema('node A { n: String @key }')"),
            Role::Admin
        );
        assert_eq!(role_of("EXPLAIN SELECT * FROM person"), Role::Read);
        assert_eq!(role_of("EXPLAIN ANALYZE DELETE FROM person"), Role::Write);
    }
}
