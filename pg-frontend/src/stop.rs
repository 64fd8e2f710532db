//! Stopping a running statement: a cancel request or `statement_timeout` ends it with
//! 57014 while it plans, runs or streams.

use tokio::sync::watch;

use omnigraph_sql::SqlError;

use crate::errors::canceled;

/// How a running statement may be stopped.
pub struct Stop {
    pub(crate) cancel: watch::Receiver<u64>,
    pub(crate) deadline: Option<tokio::time::Instant>,
}

impl Stop {
    /// Resolves when the statement must stop, with the reason.
    pub async fn wait(&mut self) -> SqlError {
        let timeout = async {
            match self.deadline {
                Some(d) => tokio::time::sleep_until(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            _ = self.cancel.changed() => canceled("canceling statement due to user request"),
            _ = timeout => canceled("canceling statement due to statement timeout"),
        }
    }
}
