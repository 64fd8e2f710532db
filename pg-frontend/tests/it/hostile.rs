//! Malformed frames from a hostile client: each is refused with `FATAL 08P01` and the
//! connection closed; none runs anything, none panics the connection's task, and the
//! server goes on serving.

use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::common::start;
use crate::raw_client::{Backend, RawClient, message, startup_packet};

/// Panics on the server's connection threads, counted from the first test that asks.
static CONNECTION_PANICS: AtomicUsize = AtomicUsize::new(0);

pub(crate) fn count_connection_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let thread = std::thread::current();
            if thread
                .name()
                .is_some_and(|n| n.starts_with("omnigraph-conn"))
            {
                CONNECTION_PANICS.fetch_add(1, Ordering::SeqCst);
            }
            previous(info);
        }));
    });
}

/// Panics counted so far (see [`count_connection_panics`]).
pub(crate) fn connection_panics() -> usize {
    CONNECTION_PANICS.load(Ordering::SeqCst)
}

/// The connection ended with a FATAL protocol violation and nothing else of note.
fn assert_refused(messages: &[Backend], what: &str) {
    let last = messages.last().and_then(Backend::error);
    let Some((severity, code, text)) = last else {
        panic!("{what}: closed without an ErrorResponse: {messages:?}");
    };
    assert_eq!(
        (severity.as_str(), code.as_str()),
        ("FATAL", "08P01"),
        "{what}: {text}"
    );
    assert!(
        messages.iter().all(|m| m.message_type != b'C'),
        "{what}: a command completed: {messages:?}"
    );
}

fn i16s(values: &[i16]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

fn i32s(values: &[i32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_be_bytes()).collect()
}

#[tokio::test]
async fn a_message_hidden_inside_another_does_not_run() {
    let server = start(None).await;
    let mut client = RawClient::started(server.addr, "demo").await;
    let smuggled = message(b'Q', b"INSERT INTO person (name) VALUES ('smuggled')\0");
    let body = [&b"SELECT 1\0"[..], &smuggled].concat();
    client.send(&message(b'Q', &body)).await;
    let messages = client.until_closed().await;
    assert_refused(&messages, "smuggling Query");
    assert_eq!(
        messages.last().and_then(Backend::error).unwrap().2,
        "invalid message format"
    );

    let checker = server.connect("demo").await;
    let smuggled: i64 = checker
        .query_one("SELECT count(*) FROM person WHERE name = 'smuggled'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(smuggled, 0, "the smuggled INSERT ran");
}

#[tokio::test]
async fn malformed_messages_end_the_connection_without_a_panic() {
    count_connection_panics();
    let server = start(None).await;
    let sync = message(b'S', b"");
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "Parse declaring two parameter types and sending one",
            message(
                b'P',
                &[&b"\0SELECT $1\0"[..], &i16s(&[2]), &i32s(&[23])].concat(),
            ),
        ),
        (
            "Parse with a negative parameter type count",
            message(b'P', &[&b"\0SELECT 1\0"[..], &i16s(&[-1])].concat()),
        ),
        (
            "Bind with a parameter running past the message",
            message(
                b'B',
                &[&b"\0\0"[..], &i16s(&[0, 1]), &i32s(&[100]), b"x"].concat(),
            ),
        ),
        (
            "Bind with a negative parameter length",
            message(
                b'B',
                &[&b"\0\0"[..], &i16s(&[0, 1]), &i32s(&[-2]), &i16s(&[0])].concat(),
            ),
        ),
        (
            "Bind with more parameters than sent",
            message(b'B', &[&b"\0\0"[..], &i16s(&[0, 5])].concat()),
        ),
        (
            "Bind with two parameter formats for one parameter",
            message(
                b'B',
                &[
                    &b"\0\0"[..],
                    &i16s(&[2, 0, 0, 1]),
                    &i32s(&[1]),
                    b"1",
                    &i16s(&[0]),
                ]
                .concat(),
            ),
        ),
        (
            "Describe of neither statement nor portal",
            message(b'D', b"X\0"),
        ),
        (
            "Close of neither statement nor portal",
            message(b'C', b"Z\0"),
        ),
        ("Describe without its name", message(b'D', b"S")),
        ("Execute too short", message(b'E', b"\0\0\0")),
        ("Sync with a body", message(b'S', b"x")),
        ("a length shorter than itself", vec![b'Q', 0, 0, 0, 3]),
        (
            "a negative length",
            [&b"Q"[..], &i32s(&[-1]), b"SELECT 1\0"].concat(),
        ),
        ("an unknown message type", message(b'F', b"\0\0\0\0")),
        ("a Query too long", [&b"Q"[..], &i32s(&[i32::MAX])].concat()),
    ];
    for (what, frame) in cases {
        let mut client = RawClient::started(server.addr, "demo").await;
        client.send(&[frame, sync.clone()].concat()).await;
        assert_refused(&client.until_closed().await, what);
    }

    // Before the startup packet.
    let startups: Vec<(&str, Vec<u8>)> = vec![
        // (pgwire waits for 8 bytes before it looks at a first packet at all: until then
        // only the authentication timeout ends the connection.)
        (
            "a startup packet shorter than its version",
            i32s(&[4, 196_608]),
        ),
        ("a startup packet without its terminator", {
            let mut packet = startup_packet("tester", "demo");
            packet.pop();
            let length = packet.len() as i32;
            packet.splice(0..4, length.to_be_bytes());
            packet
        }),
        ("a startup packet hiding a query", {
            let mut packet = startup_packet("tester", "demo");
            packet.extend(message(b'Q', b"SELECT 1\0"));
            let length = packet.len() as i32;
            packet.splice(0..4, length.to_be_bytes());
            packet
        }),
    ];
    for (what, packet) in startups {
        let mut client = RawClient::connect(server.addr).await;
        client.send(&packet).await;
        assert_refused(&client.until_closed().await, what);
    }

    let client = server.connect("demo").await;
    let one: i32 = client.query_one("SELECT 1::int", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
    assert_eq!(CONNECTION_PANICS.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn messages_before_a_malformed_one_are_served_in_order() {
    let server = start(None).await;
    let mut client = RawClient::started(server.addr, "demo").await;
    let smuggling = [&b"SELECT 2\0"[..], &message(b'Q', b"SELECT 3\0")].concat();
    let frames = [
        message(b'Q', b"SELECT 1\0"),
        message(b'Q', &smuggling),
        message(b'Q', b"SELECT 4\0"),
    ]
    .concat();
    client.send(&frames).await;
    let messages = client.until_closed().await;
    let completed = messages.iter().filter(|m| m.message_type == b'C').count();
    assert_eq!(completed, 1, "{messages:?}");
    let (severity, code, _) = messages.last().and_then(Backend::error).unwrap();
    assert_eq!((severity.as_str(), code.as_str()), ("FATAL", "08P01"));
}

#[tokio::test]
async fn result_formats_that_do_not_match_the_columns_are_an_error() {
    count_connection_panics();
    let server = start(None).await;
    let mut client = RawClient::started(server.addr, "demo").await;
    let bind = [&b"\0\0"[..], &i16s(&[0, 0, 2, 0, 0])].concat();
    let frames = [
        message(b'P', &[&b"\0SELECT 1, 2, 3\0"[..], &i16s(&[0])].concat()),
        message(b'B', &bind),
        message(b'D', b"P\0"),
        message(b'E', &[&b"\0"[..], &i32s(&[0])].concat()),
        message(b'S', b""),
    ]
    .concat();
    client.send(&frames).await;
    let mut errors = Vec::new();
    loop {
        let answer = client.next().await.expect("the connection stays open");
        errors.extend(answer.error());
        if answer.message_type == b'Z' {
            break;
        }
    }
    let codes: Vec<(&str, &str)> = errors
        .iter()
        .map(|(severity, code, _)| (severity.as_str(), code.as_str()))
        .collect();
    assert_eq!(codes, [("ERROR", "08P01")], "{errors:?}");
    // The connection goes on.
    client.send(&message(b'Q', b"SELECT 1\0")).await;
    loop {
        let answer = client.next().await.expect("the connection stays open");
        assert_eq!(answer.error(), None);
        if answer.message_type == b'Z' {
            break;
        }
    }
    assert_eq!(CONNECTION_PANICS.load(Ordering::SeqCst), 0);
}
