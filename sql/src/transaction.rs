//! `BEGIN` … `COMMIT` / `ROLLBACK`: a transaction is a private branch of the session's
//! branch, created at `BEGIN` (snapshot isolation from `BEGIN`). Statements inside write
//! to it, so queries see the transaction's own writes over its snapshot, and nothing is
//! held in memory however large it grows. `COMMIT` merges it into the branch as one commit
//! (three-way, by entity): if a concurrent commit changed the same entities, `COMMIT`
//! fails with 40001 and publishes nothing. `ROLLBACK` drops the private branch.

use datafusion::sql::sqlparser::ast::TransactionMode;
use datafusion_omnigraph::{Savepoint, Transaction};
use omnigraph_engine::{Error as EngineError, MergeStyle, WriteOptions};

use crate::error::{ErrorKind, Result, SqlError};
use crate::result::StatementResult;
use crate::session::Session;
use crate::statement::TransactionControl;

/// The commit message of a transaction: its statements, shortened.
fn message(statements: &[String]) -> String {
    const LIMIT: usize = 500;
    let mut text = format!("transaction: {}", statements.join("; "));
    if text.len() > LIMIT {
        let mut cut = LIMIT;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push_str(" ...");
    }
    text
}

impl Session {
    /// Runs a transaction-control statement. A failed savepoint statement fails the
    /// transaction, as in PostgreSQL.
    pub(crate) async fn transaction_control(
        &self,
        control: &TransactionControl,
    ) -> Result<StatementResult> {
        let result = match control {
            TransactionControl::Begin(modes) => self.begin(modes).await,
            TransactionControl::Commit => self.commit().await,
            TransactionControl::Rollback => self.rollback().await,
            TransactionControl::Savepoint(name) => self.savepoint(name).await,
            TransactionControl::Release(name) => self.release_savepoint(name),
            TransactionControl::RollbackTo(name) => self.rollback_to_savepoint(name).await,
            TransactionControl::SetCharacteristics { modes, session } => self
                .set_characteristics(modes, *session)
                .map(|notices| StatementResult {
                    notices,
                    ..StatementResult::command("SET")
                }),
        };
        let savepoint_statement = matches!(
            control,
            TransactionControl::Savepoint(_)
                | TransactionControl::Release(_)
                | TransactionControl::RollbackTo(_)
        );
        if savepoint_statement && result.is_err() {
            self.statement_failed();
        }
        result
    }

    fn transaction(&self) -> Option<Transaction> {
        self.graph_context().transaction()
    }

    fn update_transaction(&self, f: impl FnOnce(&mut Transaction)) {
        self.graph_context().update_transaction(f);
    }

    async fn begin(&self, modes: &[TransactionMode]) -> Result<StatementResult> {
        if self.transaction().is_some_and(|tx| tx.failed) {
            return Err(crate::session::transaction_aborted());
        }
        let read_only =
            crate::access_mode::requested_read_only(modes)?.unwrap_or(self.default_read_only());
        if self.transaction().is_some() {
            let mut r = StatementResult::command("BEGIN");
            r.notices
                .push("there is already a transaction in progress".to_string());
            return Ok(r);
        }
        let settings = self.graph_context().settings();
        if let Some(as_of) = settings.as_of {
            return Err(EngineError::ReadOnlySession(as_of).into());
        }
        let graph = self.graph_context().graph();
        let private = graph.create_transaction_branch(&settings.branch).await?;
        let mut tx = Transaction::new(settings.branch, private);
        tx.read_only = read_only;
        self.graph_context().set_transaction(Some(tx));
        Ok(StatementResult::command("BEGIN"))
    }

    fn savepoint_transaction(&self, what: &str) -> Result<Transaction> {
        self.transaction().ok_or_else(|| {
            SqlError::new(
                ErrorKind::NoActiveTransaction,
                format!("{what} can only be used in transaction blocks"),
            )
        })
    }

    async fn private_version(&self, tx: &Transaction) -> Result<u64> {
        let graph = self.graph_context().graph();
        Ok(graph.snapshot(&tx.private).await?.version())
    }

    fn savepoint_position(tx: &Transaction, name: &str) -> Result<usize> {
        tx.savepoints
            .iter()
            .rposition(|s| s.name == name)
            .ok_or_else(|| {
                SqlError::new(
                    ErrorKind::InvalidSavepoint,
                    format!("savepoint \"{name}\" does not exist"),
                )
            })
    }

    /// `SAVEPOINT name`.
    async fn savepoint(&self, name: &str) -> Result<StatementResult> {
        let tx = self.savepoint_transaction("SAVEPOINT")?;
        if tx.failed {
            return Err(crate::session::transaction_aborted());
        }
        let savepoint = Savepoint {
            name: name.to_string(),
            version: self.private_version(&tx).await?,
            statements: tx.statements.len(),
        };
        self.update_transaction(|tx| tx.savepoints.push(savepoint));
        Ok(StatementResult::command("SAVEPOINT"))
    }

    /// `RELEASE [SAVEPOINT] name`: forgets it and every later one; their work stays.
    fn release_savepoint(&self, name: &str) -> Result<StatementResult> {
        let tx = self.savepoint_transaction("RELEASE SAVEPOINT")?;
        if tx.failed {
            return Err(crate::session::transaction_aborted());
        }
        let position = Session::savepoint_position(&tx, name)?;
        self.update_transaction(|tx| tx.savepoints.truncate(position));
        Ok(StatementResult::command("RELEASE"))
    }

    /// `ROLLBACK TO [SAVEPOINT] name`: back to where the transaction stood at the
    /// savepoint, a failed transaction usable again. Only exact while nothing was written
    /// since the savepoint (reads and failed statements are undone); a transaction that
    /// wrote since cannot be wound back, so it stays aborted and says so.
    async fn rollback_to_savepoint(&self, name: &str) -> Result<StatementResult> {
        let tx = self.savepoint_transaction("ROLLBACK TO SAVEPOINT")?;
        let position = Session::savepoint_position(&tx, name)?;
        let savepoint = tx.savepoints[position].clone();
        if self.private_version(&tx).await? != savepoint.version {
            self.update_transaction(|tx| tx.failed = true);
            return Err(SqlError::new(
                ErrorKind::NotSupported,
                format!(
                    "ROLLBACK TO SAVEPOINT {name} after writes since the savepoint is not supported; ROLLBACK the transaction"
                ),
            ));
        }
        self.update_transaction(|tx| {
            tx.failed = false;
            tx.statements.truncate(savepoint.statements);
            tx.savepoints.truncate(position + 1);
        });
        Ok(StatementResult::command("ROLLBACK"))
    }

    /// Ends the transaction: back on its branch, private branch dropped.
    async fn finish(&self, tx: &Transaction) -> Result<()> {
        self.graph_context().set_transaction(None);
        self.graph_context()
            .graph()
            .delete_branch(&tx.private)
            .await?;
        Ok(())
    }

    async fn commit(&self) -> Result<StatementResult> {
        let Some(tx) = self.transaction() else {
            let mut r = StatementResult::command("COMMIT");
            r.notices
                .push("there is no transaction in progress".to_string());
            return Ok(r);
        };
        if tx.failed {
            self.end_transaction_cursors(false).await?;
            self.finish(&tx).await?;
            return Ok(StatementResult::command("ROLLBACK"));
        }
        // `WITH HOLD` cursors read their rows while the transaction's snapshot is there.
        self.end_transaction_cursors(true).await?;
        if tx.read_only {
            // It wrote nothing: there is nothing to merge.
            self.finish(&tx).await?;
            return Ok(StatementResult::command("COMMIT"));
        }
        let settings = self.graph_context().settings();
        let opts = WriteOptions {
            actor: settings.actor,
            message: Some(
                settings
                    .commit_message
                    .unwrap_or_else(|| message(&tx.statements)),
            ),
        };
        let merged = self
            .graph_context()
            .graph()
            .merge_with(&tx.private, &tx.target, MergeStyle::Transaction, &opts)
            .await;
        let finished = self.finish(&tx).await;
        match merged {
            Ok(_) => {
                // The transaction is committed; failing to drop its private branch must not
                // make the client think otherwise (and retry it).
                let mut r = StatementResult::command("COMMIT");
                if let Err(e) = finished {
                    r.notices.push(format!(
                        "the transaction's private branch {} was not dropped: {e}",
                        tx.private
                    ));
                }
                Ok(r)
            }
            Err(EngineError::MergeConflicts(conflicts)) => Err(SqlError::new(
                ErrorKind::SerializationFailure,
                format!(
                    "could not serialize the transaction: a concurrent commit on '{}' changed the same rows; nothing was committed\n{}",
                    tx.target,
                    omnigraph_engine::merge::describe_conflicts(&conflicts)
                ),
            )),
            Err(e) => Err(e.into()),
        }
    }

    async fn rollback(&self) -> Result<StatementResult> {
        match self.transaction() {
            Some(tx) => {
                self.end_transaction_cursors(false).await?;
                self.finish(&tx).await?;
                Ok(StatementResult::command("ROLLBACK"))
            }
            None => {
                let mut r = StatementResult::command("ROLLBACK");
                r.notices
                    .push("there is no transaction in progress".to_string());
                Ok(r)
            }
        }
    }
}

impl Drop for Session {
    /// A session that ends inside a transaction rolls it back: its private branch is
    /// dropped in the background when a runtime is available (otherwise it stays until
    /// dropped by hand; it is never listed and never merged).
    fn drop(&mut self) {
        if let Some(tx) = self.transaction()
            && let Ok(handle) = tokio::runtime::Handle::try_current()
        {
            let graph = self.graph_context().graph().clone();
            handle.spawn(async move {
                let _ = graph.delete_branch(&tx.private).await;
            });
        }
    }
}
