//! `LOCK TABLE ... IN ACCESS SHARE MODE`, which pg_dump takes on every table it dumps.
//!
//! A transaction here reads one snapshot of the graph for its whole life, and no
//! statement here changes a table's structure under a reader, so the lock readers take
//! is held by construction. Stronger modes would have to keep writers out, which
//! nothing here does (conflicting writes fail at commit instead): they are refused
//! rather than accepted without effect.

use std::sync::Arc;

use arrow::datatypes::Schema;
use async_trait::async_trait;
use datafusion::common::TableReference;
use datafusion::scalar::ScalarValue;
use datafusion::sql::parser::Statement as DFStatement;
use datafusion::sql::sqlparser::ast::{Lock, LockTableMode, ObjectName, Statement};
use omnigraph_sql::{Description, ErrorKind, ParsedStatement, SqlError};

use super::StatementHook;
use crate::connection::Connection;
use crate::outcome::Outcome;

pub struct LockTable;

fn lock(statement: &ParsedStatement) -> Option<&Lock> {
    match &statement.ast {
        DFStatement::Statement(statement) => match statement.as_ref() {
            Statement::Lock(lock) => Some(lock),
            _ => None,
        },
        _ => None,
    }
}

fn table_reference(name: &ObjectName) -> Option<TableReference> {
    let parts: Option<Vec<String>> = name
        .0
        .iter()
        .map(|part| part.as_ident().map(|i| i.value.clone()))
        .collect();
    Some(match parts?.as_slice() {
        [table] => TableReference::bare(table.as_str()),
        [schema, table] => TableReference::partial(schema.as_str(), table.as_str()),
        [catalog, schema, table] => {
            TableReference::full(catalog.as_str(), schema.as_str(), table.as_str())
        }
        _ => return None,
    })
}

#[async_trait]
impl StatementHook for LockTable {
    fn describe(
        &self,
        _connection: &Connection,
        statement: &ParsedStatement,
    ) -> Option<Description> {
        lock(statement).map(|_| (vec![], Arc::new(Schema::empty())))
    }

    async fn run(
        &self,
        connection: &Connection,
        statement: &ParsedStatement,
        _params: &[ScalarValue],
    ) -> Option<Result<Outcome, SqlError>> {
        let lock = lock(statement)?;
        Some(take(connection, lock))
    }
}

fn take(connection: &Connection, lock: &Lock) -> Result<Outcome, SqlError> {
    let session = connection.session()?;
    if !session.in_transaction() {
        return Err(SqlError::new(
            ErrorKind::NoActiveTransaction,
            "LOCK TABLE can only be used in transaction blocks",
        ));
    }
    // PostgreSQL's default mode is ACCESS EXCLUSIVE.
    let mode = lock
        .lock_mode
        .as_ref()
        .unwrap_or(&LockTableMode::AccessExclusive);
    if !matches!(mode, LockTableMode::AccessShare) {
        return Err(SqlError::new(
            ErrorKind::NotSupported,
            format!("LOCK TABLE IN {mode} MODE is not supported"),
        )
        .with_hint(
            "a transaction reads one snapshot and conflicting writes fail at COMMIT; \
             only ACCESS SHARE, which readers hold anyway, is accepted",
        ));
    }
    for target in &lock.tables {
        let exists = table_reference(&target.name)
            .map(|reference| session.context().table_exist(reference))
            .transpose()
            .map_err(SqlError::from)?
            .unwrap_or(false);
        if !exists {
            return Err(SqlError::new(
                ErrorKind::UndefinedTable,
                format!("relation \"{}\" does not exist", target.name),
            ));
        }
    }
    Ok(Outcome::Command("LOCK TABLE".to_string()))
}
