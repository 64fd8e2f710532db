//! The connection limit, PostgreSQL's `max_connections`. Every accepted socket counts from
//! the moment it is accepted, authenticated or not, since an idle socket that never
//! authenticates holds a file descriptor and a task all the same. Past the limit a client
//! still gets an answer, as from PostgreSQL: its startup packet is read and answered with
//! `FATAL 53300 sorry, too many clients already`, and a cancel request (which arrives on a
//! connection of its own) is still carried out, so a full server can be told to stop a
//! runaway query. Those answers are bounded too: at most as many refused connections as
//! the limit wait for their startup packet at once; beyond that a socket is closed at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use pgwire::error::ErrorInfo;

/// Limits on the server's connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// How many connections may be open at once (PostgreSQL's `max_connections`).
    pub max_connections: usize,
    /// How long a client may take from connecting to being authenticated (PostgreSQL's
    /// `authentication_timeout`); a connection still in its startup after it is closed.
    pub authentication_timeout: Duration,
    /// The default of every session's `idle_session_timeout`: how long a connection may
    /// wait for its next statement outside a transaction (zero: for ever).
    pub idle_session_timeout: Duration,
    /// The default of every session's `idle_in_transaction_session_timeout`: how long a
    /// connection may wait for its next statement inside a transaction (zero: for ever).
    pub idle_in_transaction_session_timeout: Duration,
    /// How long the server waits for a client to take any of what it is sent before the
    /// connection fails (zero: for ever). A client that stops reading a result would
    /// otherwise hold its statement and its place for as long as it stays connected.
    pub client_send_timeout: Duration,
}

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            max_connections: 100,
            authentication_timeout: Duration::from_secs(60),
            idle_session_timeout: Duration::ZERO,
            idle_in_transaction_session_timeout: Duration::ZERO,
            client_send_timeout: Duration::from_secs(300),
        }
    }
}

/// The counts of open connections: those admitted, and those over the limit that are
/// waiting for their startup packet to be refused or to cancel a query.
pub struct Admission {
    max_connections: usize,
    admitted: AtomicUsize,
    over_limit: AtomicUsize,
}

/// Whether a connection was admitted; it holds its place in the count until dropped.
pub struct Ticket {
    admission: Arc<Admission>,
    admitted: bool,
}

impl Admission {
    pub fn new(max_connections: usize) -> Arc<Admission> {
        Arc::new(Admission {
            max_connections,
            admitted: AtomicUsize::new(0),
            over_limit: AtomicUsize::new(0),
        })
    }

    /// The ticket of a newly accepted connection, or `None` when even the connections
    /// over the limit are as many as it allows: that socket is closed without an answer.
    pub fn admit(self: &Arc<Self>) -> Option<Ticket> {
        let ticket = |admitted| Ticket {
            admission: self.clone(),
            admitted,
        };
        if take_place(&self.admitted, self.max_connections) {
            Some(ticket(true))
        } else if take_place(&self.over_limit, self.max_connections) {
            Some(ticket(false))
        } else {
            None
        }
    }
}

fn take_place(count: &AtomicUsize, limit: usize) -> bool {
    count
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < limit).then_some(n + 1)
        })
        .is_ok()
}

impl Ticket {
    pub fn is_admitted(&self) -> bool {
        self.admitted
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let count = if self.admitted {
            &self.admission.admitted
        } else {
            &self.admission.over_limit
        };
        count.fetch_sub(1, Ordering::AcqRel);
    }
}

/// PostgreSQL's answer to a startup packet past `max_connections`.
pub fn too_many_clients() -> ErrorInfo {
    ErrorInfo::new(
        "FATAL".to_string(),
        "53300".to_string(),
        "sorry, too many clients already".to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_past_the_limit_are_refused_and_places_come_back() {
        let admission = Admission::new(2);
        let first = admission.admit().unwrap();
        let second = admission.admit().unwrap();
        assert!(first.is_admitted() && second.is_admitted());
        let refused: Vec<Ticket> = (0..2).map(|_| admission.admit().unwrap()).collect();
        assert!(refused.iter().all(|t| !t.is_admitted()));
        assert!(admission.admit().is_none());
        drop(first);
        let third = admission.admit().unwrap();
        assert!(third.is_admitted());
        drop(refused);
        assert!(!admission.admit().unwrap().is_admitted());
    }
}
