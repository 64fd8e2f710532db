//! The server under a flood of connections: the connection limit, the authentication
//! timeout, running out of file descriptors, and a full disk.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{StreamExt, pin_mut};
use omnigraph_pg::ConnectionLimits;
use tokio::net::TcpStream;
use tokio_postgres::NoTls;

use crate::common::{TestServer, sqlstate, start_on, start_with_limits};
use crate::raw_client::{RawClient, message};

/// Connects until it works: a closed connection gives its place back once the server
/// has seen it close.
async fn connect_eventually(server: &TestServer) -> tokio_postgres::Client {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match server.try_connect("tester", None, "demo").await {
            Ok(client) => return client,
            Err(e) if Instant::now() < deadline => {
                assert_eq!(sqlstate(&e), "53300");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(e) => panic!("no place came back: {e}"),
        }
    }
}

#[tokio::test]
async fn connections_past_the_limit_are_refused_but_cancels_still_work() {
    let limits = ConnectionLimits {
        max_connections: 5,
        ..ConnectionLimits::default()
    };
    let server = start_with_limits(None, limits).await;
    let mut clients = Vec::new();
    for _ in 0..4 {
        clients.push(server.connect("demo").await);
    }
    // A socket that never says a word holds a place too.
    let idle = TcpStream::connect(server.addr).await.unwrap();

    let Err(err) = server.try_connect("tester", None, "demo").await else {
        panic!("a sixth connection was admitted");
    };
    assert_eq!(sqlstate(&err), "53300");
    assert_eq!(
        err.as_db_error().map(|e| e.message()),
        Some("sorry, too many clients already")
    );

    // A cancel request comes on a connection of its own, past the limit.
    let rows = clients[0]
        .query_raw(
            "SELECT value FROM generate_series(1, 200000000) AS t(value)",
            std::iter::empty::<i32>(),
        )
        .await
        .unwrap();
    pin_mut!(rows);
    rows.next().await.unwrap().unwrap();
    clients[0].cancel_token().cancel_query(NoTls).await.unwrap();
    let canceled = loop {
        match rows.next().await {
            Some(Ok(_)) => {}
            Some(Err(e)) => break e,
            None => panic!("the query ended without being canceled"),
        }
    };
    assert_eq!(sqlstate(&canceled), "57014");

    drop(idle);
    let client = connect_eventually(&server).await;
    let one: i32 = client.query_one("SELECT 1::int", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
}

#[tokio::test]
async fn a_client_that_never_authenticates_is_closed() {
    let limits = ConnectionLimits {
        authentication_timeout: Duration::from_millis(500),
        ..ConnectionLimits::default()
    };
    let server = start_with_limits(None, limits).await;
    let started = Instant::now();
    // Silent, and half-way through its startup packet.
    let mut silent = RawClient::connect(server.addr).await;
    let mut half = RawClient::connect(server.addr).await;
    half.send(&[0, 0, 0, 40, 0, 3]).await;
    assert!(silent.until_closed().await.is_empty());
    assert!(half.until_closed().await.is_empty());
    assert!(started.elapsed() < Duration::from_secs(5));
    // An authenticated connection has no such deadline.
    let client = server.connect("demo").await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    client.simple_query("SELECT 1").await.unwrap();
}

/// Sends one simple query and reads up to its `ReadyForQuery`.
async fn simple(client: &mut RawClient, sql: &str) -> Vec<crate::raw_client::Backend> {
    client
        .send(&message(b'Q', format!("{sql}\0").as_bytes()))
        .await;
    let mut answers = Vec::new();
    while let Some(answer) = client.next().await {
        let ready = answer.message_type == b'Z';
        answers.push(answer);
        if ready {
            break;
        }
    }
    answers
}

fn fatal_of(messages: &[crate::raw_client::Backend]) -> Option<(String, String, String)> {
    messages.last().and_then(|m| m.error())
}

#[tokio::test]
async fn idle_sessions_and_idle_transactions_are_closed_after_their_timeouts() {
    let limits = ConnectionLimits {
        idle_in_transaction_session_timeout: Duration::from_millis(400),
        ..ConnectionLimits::default()
    };
    let server = start_with_limits(None, limits).await;

    // The server's default applies to a transaction left open: it is rolled back.
    let mut client = RawClient::started(server.addr, "demo").await;
    simple(&mut client, "BEGIN").await;
    simple(
        &mut client,
        "INSERT INTO person (name) VALUES ('abandoned')",
    )
    .await;
    let started = Instant::now();
    let (severity, code, text) = fatal_of(&client.until_closed().await).expect("a FATAL error");
    assert_eq!(
        (severity.as_str(), code.as_str()),
        ("FATAL", "25P03"),
        "{text}"
    );
    assert_eq!(
        text,
        "terminating connection due to idle-in-transaction timeout"
    );
    assert!(started.elapsed() < Duration::from_secs(5));
    let other = server.connect("demo").await;
    let left = other
        .query_one("SELECT count(*) FROM person WHERE name = 'abandoned'", &[])
        .await
        .unwrap();
    assert_eq!(
        left.get::<_, i64>(0),
        0,
        "the idle transaction was rolled back"
    );

    // Outside a transaction that timeout does not apply; a session's own
    // idle_session_timeout does.
    let mut client = RawClient::started(server.addr, "demo").await;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let answers = simple(&mut client, "SET idle_session_timeout = '300ms'").await;
    assert!(answers.iter().all(|m| m.error().is_none()));
    let (_, code, text) = fatal_of(&client.until_closed().await).expect("a FATAL error");
    assert_eq!(code, "57P05", "{text}");
    assert_eq!(text, "terminating connection due to idle-session timeout");

    // Both are settings a session sees, sets and resets.
    let shown = other
        .query_one("SHOW idle_in_transaction_session_timeout", &[])
        .await
        .unwrap();
    assert_eq!(shown.get::<_, String>(0), "400");
    other
        .batch_execute("SET idle_in_transaction_session_timeout = 0; BEGIN")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(600)).await;
    other.batch_execute("COMMIT").await.unwrap();
}

/// `omnigraph-server` as a child process, killed when dropped.
pub(crate) struct ChildServer {
    child: Child,
    pub(crate) addr: SocketAddr,
    stderr: Arc<Mutex<Vec<String>>>,
    _data: tempfile::TempDir,
}

impl Drop for ChildServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl ChildServer {
    /// The server with at most `fds` open file descriptors.
    pub(crate) fn start(fds: u32, args: &[&str]) -> ChildServer {
        let data = tempfile::tempdir().unwrap();
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {fds} && exec \"$0\" \"$@\""))
            .arg(env!("CARGO_BIN_EXE_omnigraph-server"))
            .arg("--data-dir")
            .arg(data.path())
            .args(["--listen", "127.0.0.1:0", "--demo"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let (addr_sender, addr_receiver) = std::sync::mpsc::channel();
        let lines = BufReader::new(child.stderr.take().unwrap());
        let log = stderr.clone();
        // Drained for the child's whole life, so its logging never blocks on the pipe.
        std::thread::spawn(move || {
            for line in lines.lines().map_while(Result::ok) {
                if let Some(rest) = line.strip_prefix("omnigraph-server: listening on ") {
                    let addr = rest.split(',').next().unwrap_or_default().to_string();
                    let _ = addr_sender.send(addr);
                }
                log.lock().unwrap().push(line);
            }
        });
        let mut server = ChildServer {
            child,
            addr: "127.0.0.1:0".parse().unwrap(),
            stderr,
            _data: data,
        };
        let addr = addr_receiver
            .recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|_| panic!("the server did not start: {:?}", server.log()));
        server.addr = addr.parse().unwrap();
        server
    }

    /// What it wrote to standard error so far, line by line.
    pub(crate) fn log(&self) -> Vec<String> {
        self.stderr.lock().unwrap().clone()
    }

    fn is_running(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }
}

#[tokio::test]
async fn running_out_of_file_descriptors_does_not_stop_the_server() {
    let mut server = ChildServer::start(64, &["--max-connections", "1000"]);
    let mut idle = Vec::new();
    for _ in 0..150 {
        idle.push(TcpStream::connect(server.addr).await.unwrap());
    }
    // Let the server accept until its descriptors run out.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !server
        .log()
        .iter()
        .any(|l| l.contains("could not accept new connection"))
    {
        assert!(server.is_running(), "the server exited: {:?}", server.log());
        assert!(
            Instant::now() < deadline,
            "descriptors never ran out: {:?}",
            server.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(idle);

    let url = format!(
        "host={} port={} user=tester dbname=demo",
        server.addr.ip(),
        server.addr.port()
    );
    let deadline = Instant::now() + Duration::from_secs(20);
    let client = loop {
        assert!(server.is_running(), "the server exited: {:?}", server.log());
        match tokio_postgres::connect(&url, NoTls).await {
            Ok((client, connection)) => {
                tokio::spawn(async move {
                    let _ = connection.await;
                });
                break client;
            }
            Err(e) => {
                assert!(Instant::now() < deadline, "cannot connect: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    };
    let one: i32 = client.query_one("SELECT 1::int", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    assert!(server.is_running());
}

#[tokio::test]
async fn a_client_that_stops_reading_a_result_is_closed_and_gives_its_place_back() {
    let limits = ConnectionLimits {
        max_connections: 1,
        client_send_timeout: Duration::from_millis(400),
        ..ConnectionLimits::default()
    };
    let server = start_with_limits(None, limits).await;
    let mut stalled = RawClient::started(server.addr, "demo").await;
    // Gigabytes of result; the client reads none of it.
    let query = "SELECT repeat('x', 1000) FROM generate_series(1, 10000000)\0";
    stalled.send(&message(b'Q', query.as_bytes())).await;
    let started = Instant::now();
    // The only place is the stalled client's until the server gives up on it.
    let client = connect_eventually(&server).await;
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(
        client
            .query_one("SELECT 1", &[])
            .await
            .unwrap()
            .get::<_, i32>(0),
        1
    );
    // What the kernel had buffered for the stalled client, then the end.
    let received = stalled.until_closed().await;
    assert!(
        received.iter().all(|m| m.message_type != b'Z'),
        "the query never finished"
    );
}

#[tokio::test]
async fn a_full_disk_fails_writes_with_53100_and_the_server_keeps_serving() {
    let data = tempfile::tempdir().unwrap();
    let Some(disk) = omnigraph_engine::testing::SmallDisk::mount(data.path(), 64 << 20) else {
        return;
    };
    let server = start_on(data, None, ConnectionLimits::default()).await;
    let client = server.connect("demo").await;
    let count = "SELECT count(*) FROM person";
    let before: i64 = client.query_one(count, &[]).await.unwrap().get(0);

    disk.leave_free(0);
    let insert = "INSERT INTO person (name, age) SELECT 'p' || value, 1 FROM generate_series(1, 5000) AS t(value)";
    let err = client.execute(insert, &[]).await.unwrap_err();
    assert_eq!(sqlstate(&err), "53100", "{err:?}");
    let db = err.as_db_error().unwrap();
    assert!(
        db.message().starts_with("could not write to storage: ")
            && db.message().contains("No space left on device"),
        "{db:?}"
    );
    assert!(db.hint().is_some_and(|h| h.contains("disk space")));
    let mut tx_client = server.connect("demo").await;
    // A transaction writes its private branch from BEGIN on, so BEGIN, the statement or
    // the commit fails.
    let outcome = async {
        let tx = tx_client.transaction().await?;
        tx.execute("UPDATE person SET age = age + 1", &[]).await?;
        tx.commit().await
    };
    let err = outcome.await.unwrap_err();
    assert_eq!(sqlstate(&err), "53100", "{err:?}");
    // Reads go on, on the same connection and on new ones.
    let during: i64 = client.query_one(count, &[]).await.unwrap().get(0);
    assert_eq!(during, before);
    let other = server.connect("demo").await;
    assert_eq!(
        other
            .query_one("SELECT 1", &[])
            .await
            .unwrap()
            .get::<_, i32>(0),
        1
    );

    disk.free_all();
    assert_eq!(client.execute(insert, &[]).await.unwrap(), 5000);
    let after: i64 = client.query_one(count, &[]).await.unwrap().get(0);
    assert_eq!(after, before + 5000);
}
