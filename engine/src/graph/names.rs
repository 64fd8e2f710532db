//! Names of graph branches: the rules for names users choose, and the names the engine
//! gives branches itself (`main`, transaction branches, table forks).

use crate::error::{Error, Result};
use crate::values::parse_timestamp;

pub const MAIN_BRANCH: &str = "main";

/// Prefix of the private branches that hold open transactions (hidden from listings).
pub const TRANSACTION_PREFIX: &str = "_tx/";

/// Validates a graph branch name (also used as the Lance branch name of every table)
/// by the engine's rules. A graph may refuse more names: see
/// [`Graph::validate_branch_name`](crate::Graph::validate_branch_name).
pub fn validate_branch_name(name: &str) -> Result<()> {
    let invalid = |reason: &str| Error::InvalidBranchName {
        name: name.to_string(),
        reason: reason.to_string(),
    };
    if name.is_empty() {
        return Err(invalid("it is empty"));
    }
    if name == MAIN_BRANCH {
        return Err(invalid("'main' always exists"));
    }
    if name.len() > 200 {
        return Err(invalid("it is longer than 200 characters"));
    }
    if name.starts_with('/') || name.ends_with('/') || name.contains("//") || name.contains("..") {
        return Err(invalid(
            "'/' separates non-empty segments and '..' is not allowed",
        ));
    }
    if name.chars().all(|c| c.is_ascii_digit())
        || parse_timestamp(name).is_some()
        || looks_like_ulid(name)
    {
        return Err(invalid(
            "it would read as a version number, timestamp or commit id",
        ));
    }
    if name.split('/').any(|seg| seg.starts_with("fork-")) {
        return Err(invalid(
            "segments starting with 'fork-' are reserved for table forks",
        ));
    }
    if name.starts_with(TRANSACTION_PREFIX) {
        return Err(invalid(
            "names starting with '_tx/' are reserved for transactions",
        ));
    }
    if name.ends_with(".lock") {
        return Err(invalid("it may not end in '.lock'"));
    }
    if let Some(c) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | '/')))
    {
        return Err(invalid(&format!(
            "character '{c}' is not allowed (use letters, digits, '.', '-', '_' and '/')"
        )));
    }
    Ok(())
}

pub(crate) fn looks_like_ulid(s: &str) -> bool {
    s.len() == 26 && s.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The prefix of the Lance branch names of table forks made by graph branch `branch`.
fn fork_prefix(branch: &str) -> String {
    format!("{branch}/fork-")
}

/// A new name for a table fork made by graph branch `branch`.
pub(crate) fn new_fork_name(branch: &str) -> String {
    format!("{}{}", fork_prefix(branch), ulid::Ulid::new())
}

/// Whether Lance branch `lance_branch` is a table fork made by graph branch `branch`
/// (`<branch>/fork-<ulid>`; the ULID makes every fork name new, so a name is never
/// reused, reclaimed or confused with another branch's fork).
pub(crate) fn is_fork_of(lance_branch: &str, branch: &str) -> bool {
    lance_branch
        .strip_prefix(&fork_prefix(branch))
        .is_some_and(looks_like_ulid)
}
