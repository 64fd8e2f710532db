//! The server's own statement handling, as a list of hooks tried in order before a
//! statement goes to the connection's SQL session: catalog-query rewrites when a
//! statement is parsed, then Postgres settings, `COPY`, transaction control and
//! `LOCK TABLE` when it runs. A new server-side statement is one more hook in [`HOOKS`].

mod catalog;
mod copy;
mod lock;
mod settings;
mod transactions;

use async_trait::async_trait;
use datafusion::scalar::ScalarValue;
use omnigraph_sql::{Description, ParsedStatement, SqlError};

use crate::connection::Connection;
use crate::outcome::Outcome;

/// One part of the server's statement handling.
#[async_trait]
pub trait StatementHook: Send + Sync {
    /// Changes a statement once, right after it is parsed.
    fn rewrite(&self, _statement: &mut ParsedStatement) {}

    /// The description of a statement this hook runs (`None`: not one of them).
    fn describe(
        &self,
        _connection: &Connection,
        _statement: &ParsedStatement,
    ) -> Option<Description> {
        None
    }

    /// Runs a statement this hook handles (`None`: not one of them).
    async fn run(
        &self,
        _connection: &Connection,
        _statement: &ParsedStatement,
        _params: &[ScalarValue],
    ) -> Option<Result<Outcome, SqlError>> {
        None
    }
}

/// Every hook, in the order they are tried.
pub static HOOKS: &[&dyn StatementHook] = &[
    &catalog::CatalogQueries,
    &settings::PostgresSettings,
    &copy::CopyToClient,
    &copy::CopyFromClient,
    &transactions::TransactionControl,
    &lock::LockTable,
];

/// Applies every hook's rewrite to a freshly parsed statement.
pub fn rewrite(statement: &mut ParsedStatement) {
    for hook in HOOKS {
        hook.rewrite(statement);
    }
}

/// The description a hook gives of `statement`, if one runs it.
pub fn describe(connection: &Connection, statement: &ParsedStatement) -> Option<Description> {
    HOOKS
        .iter()
        .find_map(|hook| hook.describe(connection, statement))
}

/// Runs `statement` by the first hook that handles it.
pub async fn run(
    connection: &Connection,
    statement: &ParsedStatement,
    params: &[ScalarValue],
) -> Option<Result<Outcome, SqlError>> {
    for hook in HOOKS {
        if let Some(outcome) = hook.run(connection, statement, params).await {
            return Some(outcome);
        }
    }
    None
}
