//! The server log on standard error, from the real binary: connections, disconnections,
//! errors with their SQLSTATE, statements slower than `log_min_duration_statement`, and
//! never a password.

use std::io::Write;
use std::time::{Duration, Instant};

use omnigraph_pg::users::{Role, ScramSecret, User};
use tokio_postgres::{Client, NoTls};

use crate::common::sqlstate;
use crate::limits::ChildServer;

const PASSWORD: &str = "s3cret-never-logged";

async fn connect(server: &ChildServer, user: &str, password: Option<&str>) -> Client {
    let mut url = format!(
        "host={} port={} user={user} dbname=demo",
        server.addr.ip(),
        server.addr.port()
    );
    if let Some(password) = password {
        url.push_str(&format!(" password={password}"));
    }
    let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
    tokio::spawn(async move {
        let _ = connection.await;
    });
    client
}

/// The log lines that contain `needle`, once at least `count` do (waiting up to 10 s:
/// the server writes some of them after the client has gone).
async fn lines_with(server: &ChildServer, needle: &str) -> Vec<String> {
    at_least(server, needle, 1).await
}

async fn at_least(server: &ChildServer, needle: &str, count: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let found: Vec<String> = server
            .log()
            .into_iter()
            .filter(|l| l.contains(needle))
            .collect();
        if found.len() >= count || Instant::now() > deadline {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `YYYY-MM-DD HH:MM:SS.mmm UTC [N] SQLSTATE SEVERITY:  message`, as PostgreSQL's
/// `log_line_prefix = '%m [%p] %e '`; returns (session, sqlstate, severity, message).
fn parse(line: &str) -> (String, String, String, String) {
    let (date, rest) = line.split_once(' ').unwrap();
    assert_eq!(date.len(), 10, "{line}");
    let (time, rest) = rest.split_once(" UTC [").unwrap();
    assert_eq!(time.len(), 12, "{line}");
    let (session, rest) = rest.split_once("] ").unwrap();
    let (sqlstate, rest) = rest.split_once(' ').unwrap();
    let (severity, message) = rest.split_once(":  ").unwrap();
    (
        session.to_string(),
        sqlstate.to_string(),
        severity.to_string(),
        message.to_string(),
    )
}

#[tokio::test]
async fn connections_errors_and_slow_statements_are_logged_one_line_each() {
    let server = ChildServer::start(
        1024,
        &[
            "--log-connections",
            "--log-disconnections",
            "--log-min-duration-statement",
            "0",
        ],
    );
    let client = connect(&server, "tester", None).await;
    client.simple_query("SELECT 1").await.unwrap();
    let err = client.simple_query("SELECT * FROM nope").await.unwrap_err();
    assert_eq!(sqlstate(&err), "42P01");
    client
        .query("SELECT name FROM person WHERE age > $1", &[&30i32])
        .await
        .unwrap();
    drop(client);

    let received = lines_with(&server, "connection received: host=127.0.0.1 port=").await;
    assert_eq!(received.len(), 1, "{:?}", server.log());
    let (session, state, severity, _) = parse(&received[0]);
    assert_eq!((state.as_str(), severity.as_str()), ("00000", "LOG"));
    let authorized = lines_with(&server, "connection authorized: user=tester database=demo").await;
    assert_eq!(authorized.len(), 1, "{:?}", server.log());
    assert_eq!(parse(&authorized[0]).0, session);

    let error = lines_with(&server, "ERROR:").await;
    assert_eq!(error.len(), 1, "{:?}", server.log());
    let (error_session, state, severity, message) = parse(&error[0]);
    assert_eq!(
        (error_session.as_str(), state.as_str(), severity.as_str()),
        (session.as_str(), "42P01", "ERROR")
    );
    assert!(message.contains("nope"), "{message}");

    let simple = lines_with(&server, "statement: SELECT 1").await;
    assert_eq!(simple.len(), 1, "{:?}", server.log());
    let (_, _, _, message) = parse(&simple[0]);
    let ms: f64 = message
        .strip_prefix("duration: ")
        .and_then(|m| m.strip_suffix(" ms  statement: SELECT 1"))
        .unwrap_or_else(|| panic!("{message}"))
        .parse()
        .unwrap();
    assert!(ms >= 0.0);
    let extended = lines_with(&server, "  execute ").await;
    assert!(
        extended
            .iter()
            .any(|l| l.contains("FROM person WHERE age > $1")),
        "{extended:?}"
    );

    let ended = lines_with(&server, "disconnection: session time: ").await;
    assert_eq!(ended.len(), 1, "{:?}", server.log());
    let (ended_session, _, _, message) = parse(&ended[0]);
    assert_eq!(ended_session, session);
    assert!(
        message.contains(" user=tester database=demo host=127.0.0.1 port="),
        "{message}"
    );
}

#[tokio::test]
async fn by_default_only_errors_are_logged_and_an_admin_may_set_the_duration() {
    let server = ChildServer::start(1024, &[]);
    let client = connect(&server, "tester", None).await;
    let show = client
        .simple_query("SHOW log_min_duration_statement")
        .await
        .unwrap();
    let value = match &show[1] {
        tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).unwrap().to_string(),
        other => panic!("{other:?}"),
    };
    assert_eq!(value, "-1");
    client.simple_query("SELECT 41").await.unwrap();
    client
        .simple_query("SET log_min_duration_statement = 0")
        .await
        .unwrap();
    client.simple_query("SELECT 42").await.unwrap();
    let err = client
        .simple_query("SET log_connections = on")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "55P02");
    drop(client);
    let slow = lines_with(&server, "statement: SELECT 42").await;
    assert_eq!(slow.len(), 1, "{:?}", server.log());
    let log = server.log();
    assert!(!log.iter().any(|l| l.contains("SELECT 41")), "{log:?}");
    assert!(
        !log.iter().any(|l| l.contains("LOG:  connection ")),
        "{log:?}"
    );
    assert!(!log.iter().any(|l| l.contains("disconnection")), "{log:?}");
}

#[tokio::test]
async fn passwords_never_reach_the_log_and_only_admins_change_the_duration() {
    let dir = tempfile::tempdir().unwrap();
    let users = dir.path().join("users");
    let mut file = std::fs::File::create(&users).unwrap();
    for (name, role) in [("boss", Role::Admin), ("reader", Role::Read)] {
        let user = User {
            name: name.to_string(),
            role,
            secret: ScramSecret::generate(PASSWORD).unwrap(),
        };
        writeln!(file, "{user}").unwrap();
    }
    drop(file);
    let users = users.to_str().unwrap();
    let server = ChildServer::start(
        1024,
        &[
            "--users",
            users,
            "--log-connections",
            "--log-disconnections",
        ],
    );
    let reader = connect(&server, "reader", Some(PASSWORD)).await;
    let err = reader
        .simple_query("SET log_min_duration_statement = 0")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "42501");
    let boss = connect(&server, "boss", Some(PASSWORD)).await;
    boss.simple_query("SET log_min_duration_statement = 0")
        .await
        .unwrap();
    let url = format!(
        "host={} port={} user=boss dbname=demo password=wrong-{PASSWORD}",
        server.addr.ip(),
        server.addr.port()
    );
    let Err(refused) = tokio_postgres::connect(&url, NoTls).await else {
        panic!("a wrong password was accepted");
    };
    assert_eq!(sqlstate(&refused), "28P01");
    drop((reader, boss));
    let fatal = lines_with(&server, "FATAL:").await;
    assert_eq!(fatal.len(), 1, "{:?}", server.log());
    assert_eq!(parse(&fatal[0]).1, "28P01");
    assert!(fatal[0].contains("user \"boss\""), "{fatal:?}");
    assert_eq!(at_least(&server, "disconnection:", 2).await.len(), 2);
    let log = server.log();
    assert!(!log.iter().any(|l| l.contains(PASSWORD)), "{log:?}");
}
