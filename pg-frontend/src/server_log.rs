//! The server log, PostgreSQL's stderr log: connections, disconnections, errors with
//! their SQLSTATE, and statements slower than `log_min_duration_statement`, one line
//! each. Every line starts as PostgreSQL's with `log_line_prefix = '%m [%p] %e '`: the
//! time, the session's number and the SQLSTATE, then the severity:
//!
//! ```text
//! 2026-12-05 06:20:01.123 UTC [3] 00000 LOG:  connection authorized: user=ann database=demo
//! 2026-12-05 06:20:01.456 UTC [3] 42P01 ERROR:  table 'nope' not found
//! ```
//!
//! Nothing of a password reaches the log: of the startup packet only the user and the
//! database are written, and nothing of the SCRAM exchange.

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

/// What the server logs besides errors (which it always logs), as PostgreSQL's
/// `log_connections`, `log_disconnections` and `log_min_duration_statement`.
#[derive(Debug, Clone, Default)]
pub struct LogSettings {
    pub connections: bool,
    pub disconnections: bool,
    /// Statements that take at least this long are logged with their duration; `None`
    /// is PostgreSQL's -1 (none are). A session's superuser may change it with `SET`.
    pub min_duration_statement: Option<Duration>,
}

/// The log of the whole server.
pub struct ServerLog {
    settings: LogSettings,
    sessions: AtomicU64,
}

impl ServerLog {
    pub fn new(settings: LogSettings) -> Arc<ServerLog> {
        Arc::new(ServerLog {
            settings,
            sessions: AtomicU64::new(0),
        })
    }

    pub fn settings(&self) -> &LogSettings {
        &self.settings
    }

    /// The log of a connection from `peer`, numbered in the order connections arrive.
    pub fn session(self: &Arc<ServerLog>, peer: Option<SocketAddr>) -> Arc<SessionLog> {
        Arc::new(SessionLog {
            server: self.clone(),
            number: self.sessions.fetch_add(1, Ordering::Relaxed) + 1,
            peer,
            started: Instant::now(),
            authorized: OnceLock::new(),
        })
    }
}

/// The log of one connection.
pub struct SessionLog {
    server: Arc<ServerLog>,
    number: u64,
    peer: Option<SocketAddr>,
    started: Instant,
    /// User and database, once the connection is authorized.
    authorized: OnceLock<(String, String)>,
}

/// PostgreSQL's successful_completion, the SQLSTATE of lines that report no error.
const NO_ERROR: &str = "00000";

impl SessionLog {
    fn write(&self, sqlstate: &str, severity: &str, message: &str) {
        let time = chrono::Utc::now().format("%Y-%m-%d %H:%M:%S%.3f UTC");
        // One line each, even for a message with line breaks (a statement's text).
        let message = message.replace('\n', " ");
        let line = format!(
            "{time} [{}] {sqlstate} {severity}:  {message}\n",
            self.number
        );
        // One write of the whole line, so lines of concurrent sessions do not interleave.
        let _ = std::io::stderr().lock().write_all(line.as_bytes());
    }

    fn host_and_port(&self) -> String {
        match self.peer {
            Some(peer) => format!("host={} port={}", peer.ip(), peer.port()),
            None => "host=[unknown]".to_string(),
        }
    }

    /// A client connected (before TLS and authentication).
    pub fn received(&self) {
        if self.server.settings.connections {
            let peer = self.host_and_port();
            self.write(NO_ERROR, "LOG", &format!("connection received: {peer}"));
        }
    }

    /// The client is authenticated and its database open.
    pub fn authorized(&self, user: &str, database: &str) {
        let _ = self
            .authorized
            .set((user.to_string(), database.to_string()));
        if self.server.settings.connections {
            self.write(
                NO_ERROR,
                "LOG",
                &format!("connection authorized: user={user} database={database}"),
            );
        }
    }

    /// The connection ended. As in PostgreSQL, only a session that got past
    /// authentication logs its end.
    pub fn ended(&self) {
        let Some((user, database)) = self.authorized.get() else {
            return;
        };
        if self.server.settings.disconnections {
            let session_time = session_time(self.started.elapsed());
            let peer = self.host_and_port();
            self.write(
                NO_ERROR,
                "LOG",
                &format!(
                    "disconnection: session time: {session_time} user={user} database={database} {peer}"
                ),
            );
        }
    }

    /// An error the client was sent (`ERROR`, or `FATAL` for one that ends the
    /// connection).
    pub fn error(&self, severity: &str, sqlstate: &str, message: &str) {
        self.write(sqlstate, severity, message);
    }

    /// A statement finished in `elapsed`: logged if that is at least `threshold`.
    /// `what` is PostgreSQL's `statement: TEXT` or `execute NAME: TEXT`.
    pub fn statement_finished(&self, elapsed: Duration, threshold: Option<Duration>, what: &str) {
        if threshold.is_some_and(|t| elapsed >= t) {
            let ms = elapsed.as_secs_f64() * 1000.0;
            self.write(NO_ERROR, "LOG", &format!("duration: {ms:.3} ms  {what}"));
        }
    }
}

/// PostgreSQL's `H:MM:SS.mmm`.
fn session_time(elapsed: Duration) -> String {
    let ms = elapsed.as_millis();
    let (h, rest) = (ms / 3_600_000, ms % 3_600_000);
    let (m, rest) = (rest / 60_000, rest % 60_000);
    format!("{h}:{m:02}:{:02}.{:03}", rest / 1000, rest % 1000)
}

/// `log_min_duration_statement` as PostgreSQL shows it: `-1`, `0`, or milliseconds in
/// the largest unit that holds them whole (`250ms`, `2s`, `1min`).
pub fn show_min_duration(threshold: Option<Duration>) -> String {
    let Some(threshold) = threshold else {
        return "-1".to_string();
    };
    let ms = threshold.as_millis();
    if ms == 0 {
        return "0".to_string();
    }
    let units = [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "min"),
        (1000, "s"),
    ];
    match units.iter().find(|(size, _)| ms % size == 0) {
        Some((size, unit)) => format!("{}{unit}", ms / size),
        None => format!("{ms}ms"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_time_is_postgres_h_mm_ss_mmm() {
        assert_eq!(session_time(Duration::from_millis(1_234)), "0:00:01.234");
        assert_eq!(
            session_time(Duration::from_millis(3_723_004)),
            "1:02:03.004"
        );
    }

    #[test]
    fn min_duration_shows_in_its_largest_whole_unit() {
        assert_eq!(show_min_duration(None), "-1");
        assert_eq!(show_min_duration(Some(Duration::ZERO)), "0");
        assert_eq!(show_min_duration(Some(Duration::from_millis(250))), "250ms");
        assert_eq!(show_min_duration(Some(Duration::from_secs(2))), "2s");
        assert_eq!(show_min_duration(Some(Duration::from_secs(60))), "1min");
    }
}
