//! The one value that says a transaction is open: the branch it commits to and the
//! private branch holding its writes. The catalog reads it (the target's tables read the
//! private branch), writes check it, and the SQL session's `BEGIN`/`COMMIT`/`ROLLBACK`
//! and savepoints change it.

/// An open transaction of a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transaction {
    /// The branch the transaction commits to.
    pub target: String,
    /// The private branch holding its writes.
    pub private: String,
    /// Set by the first failed statement: everything but `ROLLBACK` then fails (25P02).
    pub failed: bool,
    /// The statements run in it, for the commit message.
    pub statements: Vec<String>,
    /// Open savepoints, oldest first.
    pub savepoints: Vec<Savepoint>,
    /// `READ ONLY`: every write in it fails (25006).
    pub read_only: bool,
}

/// A `SAVEPOINT`: where the transaction stood when it was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Savepoint {
    pub name: String,
    /// The private branch's version then: `ROLLBACK TO` is exact while it is unchanged.
    pub version: u64,
    /// How many statements had run.
    pub statements: usize,
}

impl Transaction {
    pub fn new(target: String, private: String) -> Transaction {
        Transaction {
            target,
            private,
            failed: false,
            statements: Vec::new(),
            savepoints: Vec::new(),
            read_only: false,
        }
    }

    /// The branch a read or write of `branch` goes to inside this transaction.
    pub fn redirect<'a>(&'a self, branch: &'a str) -> &'a str {
        if branch == self.target {
            &self.private
        } else {
            branch
        }
    }
}
