//! `READ ONLY` and `READ WRITE` transactions, as PostgreSQL has them: `BEGIN READ ONLY`,
//! `SET TRANSACTION READ ONLY`, `SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY`
//! and the settings `default_transaction_read_only` (every later transaction, and each
//! statement outside one) and `transaction_read_only` (the current one). In a read-only
//! transaction any statement whose plan writes fails with 25006, decided from the plan
//! as the role a statement needs is (see `datafusion_omnigraph::required_role`).
//!
//! Isolation levels: every transaction reads one snapshot from `BEGIN` (REPEATABLE READ,
//! which is what `transaction_isolation` shows); `READ COMMITTED` and `READ UNCOMMITTED`
//! are accepted and get it, being weaker; `SERIALIZABLE` is refused, being stronger.

use datafusion::logical_expr::LogicalPlan;
use datafusion::sql::sqlparser::ast::{
    TransactionAccessMode, TransactionIsolationLevel, TransactionMode,
};
use datafusion_omnigraph::Role;

use crate::error::{ErrorKind, Result, SqlError};
use crate::session::Session;

/// The settings that show or set the access mode.
pub const DEFAULT_READ_ONLY: &str = "default_transaction_read_only";
pub const TRANSACTION_READ_ONLY: &str = "transaction_read_only";

/// Whether `name` is one of the access-mode settings.
pub fn is_access_mode_setting(name: &str) -> bool {
    matches!(name, DEFAULT_READ_ONLY | TRANSACTION_READ_ONLY)
}

/// The access mode `modes` ask for (`None`: they do not say); refuses what we do not
/// provide.
pub(crate) fn requested_read_only(modes: &[TransactionMode]) -> Result<Option<bool>> {
    let mut read_only = None;
    for mode in modes {
        match mode {
            TransactionMode::AccessMode(TransactionAccessMode::ReadOnly) => read_only = Some(true),
            TransactionMode::AccessMode(TransactionAccessMode::ReadWrite) => {
                read_only = Some(false)
            }
            TransactionMode::IsolationLevel(TransactionIsolationLevel::Serializable) => {
                return Err(SqlError::new(
                    ErrorKind::NotSupported,
                    "SERIALIZABLE is not supported: transactions run under snapshot isolation \
                     (REPEATABLE READ); use ISOLATION LEVEL REPEATABLE READ",
                ));
            }
            TransactionMode::IsolationLevel(_) => {}
        }
    }
    Ok(read_only)
}

/// A PostgreSQL boolean setting's value (`on`, `off`, `true`, `1`, ...).
pub(crate) fn boolean(name: &str, value: &str) -> Result<bool> {
    match value.trim().to_ascii_lowercase().as_str() {
        "on" | "true" | "yes" | "1" | "t" | "y" => Ok(true),
        "off" | "false" | "no" | "0" | "f" | "n" => Ok(false),
        _ => Err(SqlError::new(
            ErrorKind::InvalidParameter,
            format!("parameter \"{name}\" requires a Boolean value"),
        )),
    }
}

pub(crate) fn on_off(value: bool) -> String {
    if value { "on" } else { "off" }.to_string()
}

impl Session {
    /// Whether the statement running now is in a read-only transaction (its own, outside
    /// a transaction block).
    pub fn read_only(&self) -> bool {
        match self.graph_context().transaction() {
            Some(tx) => tx.read_only,
            None => self.default_read_only(),
        }
    }

    /// Refuses a statement that writes (`verb`: `INSERT`, `COPY FROM`, ...) in a
    /// read-only transaction (25006, as PostgreSQL).
    pub fn require_read_write(&self, verb: &str) -> Result<()> {
        if !self.read_only() {
            return Ok(());
        }
        Err(SqlError::new(
            ErrorKind::ReadOnly,
            format!("cannot execute {verb} in a read-only transaction"),
        ))
    }

    /// [`Session::require_read_write`] for a planned statement: it writes if it needs
    /// more than the read role.
    pub(crate) fn check_access_mode(&self, plan: &LogicalPlan, verb: &str) -> Result<()> {
        if self.read_only() && datafusion_omnigraph::required_role(plan) > Role::Read {
            return self.require_read_write(verb);
        }
        Ok(())
    }

    /// `SET TRANSACTION` (the open transaction) or `SET SESSION CHARACTERISTICS AS
    /// TRANSACTION` (the later ones).
    pub(crate) fn set_characteristics(
        &self,
        modes: &[TransactionMode],
        session: bool,
    ) -> Result<Vec<String>> {
        let read_only = requested_read_only(modes)?;
        if session {
            if let Some(read_only) = read_only {
                self.set_default_read_only(read_only);
            }
            return Ok(vec![]);
        }
        if self.graph_context().transaction().is_none() {
            return Ok(vec![
                "SET TRANSACTION can only be used in transaction blocks".to_string(),
            ]);
        }
        if let Some(read_only) = read_only {
            self.set_transaction_read_only(read_only)?;
        }
        Ok(vec![])
    }

    /// Makes the open transaction read-only or read-write; read-write only before it
    /// ran anything, as in PostgreSQL.
    fn set_transaction_read_only(&self, read_only: bool) -> Result<()> {
        let Some(tx) = self.graph_context().transaction() else {
            return Ok(());
        };
        if tx.read_only && !read_only && !tx.statements.is_empty() {
            return Err(SqlError::new(
                ErrorKind::ActiveTransaction,
                "transaction read-write mode must be set before any query",
            ));
        }
        self.graph_context()
            .update_transaction(|tx| tx.read_only = read_only);
        Ok(())
    }

    /// `SET` of an access-mode setting.
    pub(crate) fn set_access_mode(&self, name: &str, value: &str) -> Result<()> {
        let read_only = boolean(name, value)?;
        match name {
            DEFAULT_READ_ONLY => self.set_default_read_only(read_only),
            _ => self.set_transaction_read_only(read_only)?,
        }
        Ok(())
    }

    /// `SHOW` of an access-mode setting.
    pub(crate) fn show_access_mode(&self, name: &str) -> String {
        match name {
            DEFAULT_READ_ONLY => on_off(self.default_read_only()),
            _ => on_off(self.read_only()),
        }
    }
}
