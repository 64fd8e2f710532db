//! Private transaction branches: creating them, and dropping the ones a crashed session
//! left behind.

use chrono::Utc;

use super::handle::Graph;
use super::names::{MAIN_BRANCH, TRANSACTION_PREFIX};
use crate::error::Result;

/// Age after which a read-write open drops a private transaction branch as abandoned.
pub const ABANDONED_TRANSACTION_SECS: u64 = 24 * 60 * 60;

/// Whether branch `name`, created at `created` (Unix seconds), is a transaction branch
/// left behind long enough ago to be dropped at `now`.
fn is_abandoned_transaction(name: &str, created: u64, now: u64) -> bool {
    name.starts_with(TRANSACTION_PREFIX) && now.saturating_sub(created) > ABANDONED_TRANSACTION_SECS
}

impl Graph {
    /// Creates a private branch `_tx/<ulid>` from the head of `branch`, for a transaction.
    pub async fn create_transaction_branch(&self, branch: &str) -> Result<String> {
        let name = format!(
            "{TRANSACTION_PREFIX}{}",
            ulid::Ulid::new().to_string().to_ascii_lowercase()
        );
        self.create_branch_unchecked(&name, None, branch).await?;
        Ok(name)
    }

    /// Drops private transaction branches older than [`ABANDONED_TRANSACTION_SECS`]: their
    /// session ended without committing or rolling back (a crash), so they are never
    /// merged.
    /// Younger ones may belong to a live session of another process and are kept.
    pub(crate) async fn drop_abandoned_transactions(&self) -> Result<()> {
        let main = self.manifest_head(MAIN_BRANCH).await?;
        let now = Utc::now().timestamp().max(0) as u64;
        let abandoned: Vec<String> = crate::storage::branch_refs(&main)
            .await?
            .into_iter()
            .filter(|(name, contents)| is_abandoned_transaction(name, contents.create_at, now))
            .map(|(name, _)| name)
            .collect();
        for name in abandoned {
            self.delete_branch(&name).await?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_transaction_branches_are_abandoned() {
        let day = ABANDONED_TRANSACTION_SECS;
        assert!(is_abandoned_transaction("_tx/abc", 0, day + 1));
        assert!(
            !is_abandoned_transaction("_tx/abc", 10, day),
            "a young one may be live"
        );
        assert!(
            !is_abandoned_transaction("feature", 0, 10 * day),
            "users' branches stay"
        );
        assert!(
            !is_abandoned_transaction("_tx/abc", 100, 50),
            "clock skew keeps it"
        );
    }
}
