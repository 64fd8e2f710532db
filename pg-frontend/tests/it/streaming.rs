use std::time::{Duration, Instant};

use futures::{StreamExt, TryStreamExt, pin_mut};
use tokio_postgres::NoTls;

use crate::common::{sqlstate, start};

#[tokio::test]
async fn cancel_stops_a_query_while_it_streams() {
    let server = start(None).await;
    let client = server.connect("demo").await;
    let rows = client
        .query_raw(
            "SELECT value FROM generate_series(1, 200000000) AS t(value)",
            std::iter::empty::<i32>(),
        )
        .await
        .unwrap();
    pin_mut!(rows);
    let mut seen = 0u64;
    while seen < 10_000 {
        rows.next().await.unwrap().unwrap();
        seen += 1;
    }
    let started = Instant::now();
    client.cancel_token().cancel_query(NoTls).await.unwrap();
    let err = loop {
        match rows.next().await {
            Some(Ok(_)) => seen += 1,
            Some(Err(e)) => break e,
            None => panic!("the stream ended after {seen} rows without being canceled"),
        }
    };
    assert_eq!(sqlstate(&err), "57014");
    assert!(started.elapsed() < Duration::from_secs(10));
    // The connection goes on.
    let one: i32 = client.query_one("SELECT 1::int", &[]).await.unwrap().get(0);
    assert_eq!(one, 1);
}

#[tokio::test]
async fn statement_timeout_stops_long_queries() {
    let server = start(None).await;
    let client = server.connect("demo").await;
    client
        .batch_execute("SET statement_timeout = 300")
        .await
        .unwrap();
    let started = Instant::now();
    let err = client
        .query("SELECT count(*) FROM generate_series(1, 5000000000)", &[])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "57014");
    assert!(started.elapsed() < Duration::from_secs(10));
    client
        .batch_execute("RESET statement_timeout")
        .await
        .unwrap();
    client.query("SELECT 1", &[]).await.unwrap();
}

#[tokio::test]
async fn copy_to_stdout_streams_text_and_csv() {
    let server = start(None).await;
    let client = server.connect("demo").await;
    let out = client
        .copy_out("COPY (SELECT name, age FROM person WHERE name IN ('alice.smith') ORDER BY name) TO STDOUT")
        .await
        .unwrap();
    let chunks: Vec<bytes::Bytes> = out.try_collect().await.unwrap();
    let text: String = chunks
        .iter()
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect();
    assert!(text.starts_with("alice.smith\t"), "{text:?}");
    assert!(text.ends_with('\n'));

    let out = client
        .copy_out("COPY company (name) TO STDOUT WITH (FORMAT csv, HEADER)")
        .await
        .unwrap();
    let chunks: Vec<bytes::Bytes> = out.try_collect().await.unwrap();
    let text: String = chunks
        .iter()
        .map(|c| String::from_utf8_lossy(c).to_string())
        .collect();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "name");
    assert_eq!(lines.len(), 21, "{text}");
}

#[tokio::test]
async fn copy_from_stdin_over_the_extended_protocol_in_and_out_of_transactions() {
    use futures::SinkExt;
    let server = start(None).await;
    let mut client = server.connect("demo").await;
    let count = "SELECT count(*) FROM person WHERE name LIKE 'ext.%'";
    // tokio-postgres prepares the COPY (Parse, Bind, Execute), then sends the rows.
    let sink = client
        .copy_in("COPY person (name, age) FROM STDIN (FORMAT csv)")
        .await
        .unwrap();
    pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(b"ext.a,1\next.b,2\n"))
        .await
        .unwrap();
    assert_eq!(sink.finish().await.unwrap(), 2);
    assert_eq!(
        client.query_one(count, &[]).await.unwrap().get::<_, i64>(0),
        2
    );

    // A bad value fails the COPY at its end; the connection goes on.
    let sink = client
        .copy_in("COPY person (name, age) FROM STDIN (FORMAT csv)")
        .await
        .unwrap();
    pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(b"ext.c,x\n"))
        .await
        .unwrap();
    let err = sink.finish().await.unwrap_err();
    assert_eq!(sqlstate(&err), "22P02");
    assert_eq!(
        client.query_one(count, &[]).await.unwrap().get::<_, i64>(0),
        2
    );

    // Inside a transaction the rows are the transaction's.
    let tx = client.transaction().await.unwrap();
    let sink = tx
        .copy_in("COPY person (name, age) FROM STDIN")
        .await
        .unwrap();
    pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(b"ext.d\t4\n"))
        .await
        .unwrap();
    assert_eq!(sink.finish().await.unwrap(), 1);
    assert_eq!(tx.query_one(count, &[]).await.unwrap().get::<_, i64>(0), 3);
    tx.rollback().await.unwrap();
    assert_eq!(
        client.query_one(count, &[]).await.unwrap().get::<_, i64>(0),
        2
    );

    // The rows stream into the write: more data than the session's memory limit is
    // copied whole, but one record longer than the limit fails with 53200, nothing
    // written.
    client
        .batch_execute("SET omnigraph.statement_memory_limit = '1MB'")
        .await
        .unwrap();
    let sink = client
        .copy_in("COPY person (name, age) FROM STDIN (FORMAT csv)")
        .await
        .unwrap();
    pin_mut!(sink);
    for chunk in 0..4 {
        let rows: String = (0..20_000)
            .map(|i| format!("ext.m{chunk}.{i},1\n"))
            .collect();
        sink.send(bytes::Bytes::from(rows)).await.unwrap();
    }
    assert_eq!(sink.finish().await.unwrap(), 80_000);
    let streamed = "SELECT count(*) FROM person WHERE name LIKE 'ext.m%'";
    assert_eq!(
        client
            .query_one(streamed, &[])
            .await
            .unwrap()
            .get::<_, i64>(0),
        80_000
    );
    let sink = client
        .copy_in("COPY person (name, age) FROM STDIN (FORMAT csv)")
        .await
        .unwrap();
    pin_mut!(sink);
    sink.send(bytes::Bytes::from_static(b"ext.long,1\n\"ext.open"))
        .await
        .unwrap();
    for _ in 0..4 {
        sink.send(bytes::Bytes::from(vec![b'x'; 512 * 1024]))
            .await
            .unwrap();
    }
    let err = sink.finish().await.unwrap_err();
    assert_eq!(sqlstate(&err), "53200", "{err:?}");
    assert_eq!(
        client.query_one(count, &[]).await.unwrap().get::<_, i64>(0),
        80_002
    );
}

#[tokio::test]
async fn a_client_that_leaves_mid_copy_writes_nothing_and_copy_fail_is_57014() {
    use crate::raw_client::{RawClient, message};
    let server = start(None).await;
    let observer = server.connect("demo").await;
    let count = "SELECT count(*) FROM person WHERE name LIKE 'gone.%'";
    for leave in [true, false] {
        let mut client = RawClient::started(server.addr, "demo").await;
        client
            .send(&message(b'Q', b"COPY person (name, age) FROM STDIN\0"))
            .await;
        let answer = client.next().await.expect("CopyInResponse");
        assert_eq!(answer.message_type, b'G');
        client.send(&message(b'd', b"gone.a\t1\ngone.b\t2\n")).await;
        if leave {
            drop(client);
        } else {
            client.send(&message(b'f', b"the client gave up\0")).await;
            let error = client.next().await.expect("an error").error();
            let (_, code, text) = error.expect("an ErrorResponse");
            assert_eq!(code, "57014", "{text}");
            assert_eq!(client.next().await.map(|m| m.message_type), Some(b'Z'));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
        let left: i64 = observer.query_one(count, &[]).await.unwrap().get(0);
        assert_eq!(left, 0, "left mid-COPY: {leave}");
    }
}

#[tokio::test]
async fn copy_tags_count_rows_not_the_header() {
    let server = start(None).await;
    let mut client = crate::raw_client::RawClient::started(server.addr, "demo").await;
    for (sql, tag) in [
        (
            "COPY company (name) TO STDOUT WITH (FORMAT csv, HEADER)",
            "COPY 20",
        ),
        ("COPY company (name) TO STDOUT", "COPY 20"),
        (
            "COPY (SELECT name FROM company WHERE false) TO STDOUT WITH (FORMAT csv, HEADER)",
            "COPY 0",
        ),
    ] {
        let query = [sql.as_bytes(), b"\0"].concat();
        client.send(&crate::raw_client::message(b'Q', &query)).await;
        let mut data = 0;
        let mut tags = vec![];
        loop {
            let answer = client.next().await.expect("an answer");
            assert_eq!(answer.error(), None, "{sql}");
            match answer.message_type {
                b'd' => data += 1,
                b'C' => tags.push(
                    String::from_utf8_lossy(&answer.body)
                        .trim_end_matches('\0')
                        .to_string(),
                ),
                b'Z' => break,
                _ => {}
            }
        }
        assert_eq!(tags, [tag], "{sql}");
        let header = usize::from(sql.contains("HEADER"));
        let rows: usize = tag[5..].parse().unwrap();
        assert_eq!(data, rows + header, "{sql}");
    }
}
