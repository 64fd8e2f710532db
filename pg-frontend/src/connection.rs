//! One client connection: its session, who it is, its Postgres settings, and the signal
//! a cancel request fires.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use omnigraph_sql::{ErrorKind, Session, SqlError};
use tokio::sync::watch;

use crate::server::ServerState;
use crate::server_log::{LogSettings, SessionLog, show_min_duration};
use crate::users::Role;
use crate::wire::admission::ConnectionLimits;
use crate::wire::serve_socket::IdleLimit;

/// Who is connected, fixed at startup.
pub struct Identity {
    pub user: String,
    pub role: Role,
    pub database: String,
}

pub struct Connection {
    server: Arc<ServerState>,
    session: OnceLock<Arc<Session>>,
    identity: OnceLock<Identity>,
    settings: Arc<Mutex<PgSettings>>,
    /// Bumped by every cancel request; a running statement stops when it changes.
    cancel: watch::Sender<u64>,
    /// Notices of the statement just run, sent before its completion.
    notices: Mutex<Vec<String>>,
    log: Arc<SessionLog>,
    /// The `COPY ... FROM STDIN` waiting for the client's rows, if any.
    copy_in: Mutex<Option<crate::copy_in::PendingCopy>>,
}

impl Connection {
    /// A connection from `peer`.
    pub fn new(server: Arc<ServerState>, peer: Option<std::net::SocketAddr>) -> Arc<Connection> {
        let settings = PgSettings::for_server(server.log.settings(), &server.limits);
        let log = server.log.session(peer);
        Arc::new(Connection {
            server,
            session: OnceLock::new(),
            identity: OnceLock::new(),
            settings: Arc::new(Mutex::new(settings)),
            cancel: watch::Sender::new(0),
            notices: Mutex::new(Vec::new()),
            log,
            copy_in: Mutex::new(None),
        })
    }

    pub fn log(&self) -> &Arc<SessionLog> {
        &self.log
    }

    /// Logs a statement that finished in `elapsed` if the session's
    /// `log_min_duration_statement` asks for it.
    pub fn statement_finished(&self, elapsed: Duration, what: impl FnOnce() -> String) {
        let threshold = self.settings().min_duration_statement();
        if threshold.is_some_and(|t| elapsed >= t) {
            self.log.statement_finished(elapsed, threshold, &what());
        }
    }

    /// Marks an open transaction failed after a statement failed at any step (Parse,
    /// Describe or Execute), as PostgreSQL does: what follows gets 25P02 until it ends.
    pub fn statement_failed(&self) {
        if let Ok(session) = self.session() {
            session.statement_failed();
        }
    }

    /// Waits for the client's rows of `copy`.
    pub fn start_copy_in(&self, copy: crate::copy_in::PendingCopy) {
        *self.copy_in.lock().unwrap_or_else(|p| p.into_inner()) = Some(copy);
    }

    /// The `COPY` in progress, taken off the connection (its messages come one at a
    /// time: CopyData puts it back when it has read the data).
    pub fn take_copy_in(&self) -> Option<crate::copy_in::PendingCopy> {
        self.copy_in
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take()
    }

    pub fn server(&self) -> &Arc<ServerState> {
        &self.server
    }

    /// Called once authentication succeeded and the database opened.
    pub fn start(&self, session: Session, user: String, role: Role, database: String) {
        session.set_role(role);
        // GRAPH_TABLE knows the graph by the database's name, with or without its
        // `@branch`.
        session.graph_context().add_property_graph_name(&database);
        if let Some((graph, _)) = database.split_once('@') {
            session.graph_context().add_property_graph_name(graph);
        }
        let session = Arc::new(session);
        let roles = match &self.server().users {
            Some(users) => users.roles(),
            None => vec![(user.clone(), role)],
        };
        let other_databases = self.server().registry.list();
        crate::catalog::install(
            &session,
            &database,
            &user,
            roles,
            self.settings.clone(),
            other_databases,
        );
        self.log.authorized(&user, &database);
        let _ = self.session.set(session);
        let _ = self.identity.set(Identity {
            user,
            role,
            database,
        });
    }

    pub fn session(&self) -> Result<&Arc<Session>, SqlError> {
        self.session.get().ok_or_else(|| {
            SqlError::new(
                ErrorKind::ProtocolViolation,
                "the connection has not completed startup",
            )
        })
    }

    pub fn identity(&self) -> Option<&Identity> {
        self.identity.get()
    }

    pub fn settings(&self) -> std::sync::MutexGuard<'_, PgSettings> {
        self.settings.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn push_notices(&self, notices: Vec<String>) {
        self.notices
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .extend(notices);
    }

    pub fn take_notices(&self) -> Vec<String> {
        std::mem::take(&mut *self.notices.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// Fires the cancel signal of whatever statement runs now.
    pub fn cancel(&self) {
        self.cancel.send_modify(|n| *n += 1);
    }

    /// How the statement starting now may be stopped: a cancel request, or the
    /// connection's `statement_timeout` from now.
    pub fn stop(&self) -> crate::stop::Stop {
        crate::stop::Stop {
            cancel: self.cancel_watch(),
            deadline: self
                .settings()
                .statement_timeout()
                .map(|t| tokio::time::Instant::now() + t),
        }
    }

    /// How long the connection may now wait for its next message, and what it is told
    /// after that (PostgreSQL's idle timeouts); `None` before startup completes (the
    /// authentication timeout covers that) and when the timeout in force is off.
    pub fn idle_limit(&self) -> Option<IdleLimit> {
        let in_transaction = self.session().ok()?.in_transaction();
        let after = self.settings().idle_timeout(in_transaction)?;
        Some(match in_transaction {
            true => IdleLimit {
                after,
                code: "25P03",
                message: "terminating connection due to idle-in-transaction timeout",
            },
            false => IdleLimit {
                after,
                code: "57P05",
                message: "terminating connection due to idle-session timeout",
            },
        })
    }

    /// A watch that changes when the statement starting now is cancelled.
    pub fn cancel_watch(&self) -> watch::Receiver<u64> {
        let mut rx = self.cancel.subscribe();
        rx.mark_unchanged();
        rx
    }
}

/// Postgres run-time parameters a client may `SET` and `SHOW`. `statement_timeout`,
/// the idle timeouts and `log_min_duration_statement` change behaviour; the others are
/// kept so drivers and BI tools that set them at connect (and read them back) work.
#[derive(Debug, Clone)]
pub struct PgSettings {
    values: BTreeMap<String, String>,
    /// Reported parameters changed since the client was last told (`ParameterStatus`).
    changed: Vec<(&'static str, String)>,
    /// Defaults the server's command line sets (the log's), which `RESET` returns to.
    server_defaults: BTreeMap<String, String>,
}

/// Parameters PostgreSQL reports to the client whenever they change (`GUC_REPORT`), by
/// our key and by the name PostgreSQL reports them under.
const REPORTED: &[(&str, &str)] = &[
    ("application_name", "application_name"),
    ("client_encoding", "client_encoding"),
    ("datestyle", "DateStyle"),
    ("intervalstyle", "IntervalStyle"),
    ("standard_conforming_strings", "standard_conforming_strings"),
    ("timezone", "TimeZone"),
];

/// Parameter `name` (our lower-case key) as PostgreSQL spells it in `pg_settings.name` and
/// as the column name of `SHOW` (`DateStyle`, `TimeZone`).
pub fn display_name(name: &str) -> &str {
    REPORTED
        .iter()
        .find(|(key, _)| *key == name)
        .map_or(name, |(_, shown)| shown)
}

/// Parameters with their defaults, as PostgreSQL 15 names them.
const DEFAULTS: &[(&str, &str)] = &[
    ("application_name", ""),
    ("bytea_output", "hex"),
    ("client_encoding", "UTF8"),
    ("client_min_messages", "notice"),
    ("datestyle", "ISO, MDY"),
    // SQLAlchemy compares each table's access method (`heap`) with it.
    ("default_table_access_method", "heap"),
    ("default_transaction_isolation", "repeatable read"),
    ("default_transaction_read_only", "off"),
    ("extra_float_digits", "1"),
    ("idle_in_transaction_session_timeout", "0"),
    ("idle_session_timeout", "0"),
    ("integer_datetimes", "on"),
    ("intervalstyle", "postgres"),
    ("block_size", "8192"),
    ("lc_collate", "C"),
    ("lc_ctype", "C"),
    ("lc_messages", "C"),
    ("lc_monetary", "C"),
    ("lc_numeric", "C"),
    ("lc_time", "C"),
    ("lock_timeout", "0"),
    // pg_dump turns both off for its session.
    ("row_security", "on"),
    ("max_identifier_length", "63"),
    ("max_index_keys", "32"),
    ("search_path", "\"$user\", public"),
    ("server_encoding", "UTF8"),
    ("server_version", crate::server::SERVER_VERSION),
    ("server_version_num", crate::server::SERVER_VERSION_NUM),
    ("standard_conforming_strings", "on"),
    ("statement_timeout", "0"),
    ("synchronize_seqscans", "on"),
    ("timezone", "UTC"),
    ("transaction_isolation", "repeatable read"),
    ("transaction_read_only", "off"),
];

/// Parameters a client may read but not change.
const READ_ONLY: &[&str] = &[
    "block_size",
    "integer_datetimes",
    "lc_collate",
    "lc_ctype",
    "log_connections",
    "log_disconnections",
    "max_identifier_length",
    "max_index_keys",
    "server_encoding",
    "server_version",
    "server_version_num",
];

impl Default for PgSettings {
    fn default() -> Self {
        PgSettings {
            values: DEFAULTS
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            changed: Vec::new(),
            server_defaults: BTreeMap::new(),
        }
    }
}

/// Parameters only a superuser (our admin role) may change, as PostgreSQL's `SUSET` ones.
const SUPERUSER_ONLY: &[&str] = &[MIN_DURATION];

/// Whether `role` may change parameter `name`.
pub fn may_set(name: &str, role: Role) -> Result<(), SqlError> {
    if SUPERUSER_ONLY.contains(&name) && role != Role::Admin {
        return Err(SqlError::new(
            ErrorKind::InsufficientPrivilege,
            format!("permission denied to set parameter \"{name}\""),
        ));
    }
    Ok(())
}

const MIN_DURATION: &str = "log_min_duration_statement";

fn on_off(on: bool) -> String {
    (if on { "on" } else { "off" }).to_string()
}

impl PgSettings {
    /// The defaults with the server's log settings and idle timeouts.
    pub fn for_server(log: &LogSettings, limits: &ConnectionLimits) -> PgSettings {
        let millis = |d: Duration| d.as_millis().to_string();
        let server_defaults = BTreeMap::from([
            (
                "idle_session_timeout".to_string(),
                millis(limits.idle_session_timeout),
            ),
            (
                "idle_in_transaction_session_timeout".to_string(),
                millis(limits.idle_in_transaction_session_timeout),
            ),
            ("log_connections".to_string(), on_off(log.connections)),
            ("log_disconnections".to_string(), on_off(log.disconnections)),
            (
                MIN_DURATION.to_string(),
                show_min_duration(log.min_duration_statement),
            ),
        ]);
        let mut settings = PgSettings {
            server_defaults,
            ..PgSettings::default()
        };
        settings.values.extend(settings.server_defaults.clone());
        settings
    }

    /// Whether `name` is one of these parameters (or a custom `prefix.name` one).
    pub fn knows(&self, name: &str) -> bool {
        self.values.contains_key(name) || name.contains('.')
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn all(&self) -> impl Iterator<Item = (&String, &String)> {
        self.values.iter()
    }

    pub fn set(&mut self, name: &str, value: &str) -> Result<(), SqlError> {
        if READ_ONLY.contains(&name) {
            return Err(SqlError::new(
                ErrorKind::ReadOnlyParameter,
                format!("parameter \"{name}\" cannot be changed"),
            ));
        }
        if !self.knows(name) {
            return Err(unknown(name));
        }
        let value = match name {
            "statement_timeout"
            | "lock_timeout"
            | "idle_in_transaction_session_timeout"
            | "idle_session_timeout" => parse_duration(value)?.as_millis().to_string(),
            MIN_DURATION => show_min_duration(parse_min_duration(value)?),
            _ => value.to_string(),
        };
        self.report(name, &value);
        self.values.insert(name.to_string(), value);
        Ok(())
    }

    fn report(&mut self, name: &str, value: &str) {
        if let Some((_, reported)) = REPORTED.iter().find(|(key, _)| *key == name) {
            self.changed.retain(|(n, _)| n != reported);
            self.changed.push((reported, value.to_string()));
        }
    }

    /// The reported parameters changed since the last call, with their new values.
    pub fn take_changed(&mut self) -> Vec<(&'static str, String)> {
        std::mem::take(&mut self.changed)
    }

    pub fn reset(&mut self, name: &str) -> Result<(), SqlError> {
        if let Some(value) = self.server_defaults.get(name) {
            self.values.insert(name.to_string(), value.clone());
            return Ok(());
        }
        match DEFAULTS.iter().find(|(k, _)| *k == name) {
            Some((k, v)) => {
                self.report(k, v);
                self.values.insert(k.to_string(), v.to_string());
                Ok(())
            }
            None if name.contains('.') => {
                self.values.remove(name);
                Ok(())
            }
            None => Err(unknown(name)),
        }
    }

    /// `statement_timeout`, `None` when off.
    pub fn statement_timeout(&self) -> Option<Duration> {
        self.duration("statement_timeout")
    }

    /// How long the session may wait for its next statement: `idle_in_transaction_session_timeout`
    /// inside a transaction, else `idle_session_timeout`; `None` when off.
    pub fn idle_timeout(&self, in_transaction: bool) -> Option<Duration> {
        self.duration(match in_transaction {
            true => "idle_in_transaction_session_timeout",
            false => "idle_session_timeout",
        })
    }

    /// A duration parameter (stored in milliseconds), `None` when zero.
    fn duration(&self, name: &str) -> Option<Duration> {
        let ms: u64 = self.get(name)?.parse().ok()?;
        (ms > 0).then(|| Duration::from_millis(ms))
    }

    /// `log_min_duration_statement`, `None` when off (-1).
    pub fn min_duration_statement(&self) -> Option<Duration> {
        parse_min_duration(self.get(MIN_DURATION)?).ok().flatten()
    }
}

/// A `log_min_duration_statement` value: -1 (off) or a duration.
pub fn parse_min_duration(text: &str) -> Result<Option<Duration>, SqlError> {
    match text.trim().trim_matches('\'') {
        "-1" => Ok(None),
        other => parse_duration(other).map(Some),
    }
}

pub fn unknown(name: &str) -> SqlError {
    SqlError::new(
        ErrorKind::UndefinedObject,
        format!("unrecognized configuration parameter \"{name}\""),
    )
}

/// A Postgres duration setting: a number of milliseconds, or a number with a unit
/// (`us`, `ms`, `s`, `min`, `h`, `d`).
pub fn parse_duration(text: &str) -> Result<Duration, SqlError> {
    let t = text.trim().trim_matches('\'');
    let split = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(split);
    let bad = || {
        SqlError::new(
            ErrorKind::InvalidParameter,
            format!("invalid value for a duration: \"{text}\" (e.g. 500, '2s', '1min')"),
        )
    };
    let n: f64 = number.parse().map_err(|_| bad())?;
    let ms = match unit.trim() {
        "" | "ms" => n,
        "us" => n / 1000.0,
        "s" => n * 1000.0,
        "min" => n * 60_000.0,
        "h" => n * 3_600_000.0,
        "d" => n * 86_400_000.0,
        _ => return Err(bad()),
    };
    if !ms.is_finite() || ms < 0.0 {
        return Err(bad());
    }
    Ok(Duration::from_millis(ms as u64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_take_postgres_units() {
        assert_eq!(parse_duration("250").unwrap(), Duration::from_millis(250));
        assert_eq!(parse_duration("'2s'").unwrap(), Duration::from_secs(2));
        assert_eq!(parse_duration("1min").unwrap(), Duration::from_secs(60));
        assert!(parse_duration("soon").is_err());
        let mut s = PgSettings::default();
        s.set("statement_timeout", "1s").unwrap();
        assert_eq!(s.statement_timeout(), Some(Duration::from_secs(1)));
        s.reset("statement_timeout").unwrap();
        assert_eq!(s.statement_timeout(), None);
        assert_eq!(s.set("no_such_thing", "1").unwrap_err().sqlstate(), "42704");
        assert!(s.set("server_version", "1").is_err());
        s.set("myapp.tenant", "7").unwrap();
        assert_eq!(s.get("myapp.tenant"), Some("7"));
    }
}
