//! Many clients writing the same rows at once: no acknowledged write is lost, a lost race
//! is 40001 (never a storage error), and the server keeps its counts straight.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::common::{TestServer, sqlstate, start};

const CLIENTS: usize = 8;
const INCREMENTS_PER_CLIENT: usize = 6;
const COUNTERS: [&str; 2] = ["counter-a", "counter-b"];

/// One read-modify-write increment in a transaction, retried on 40001 (as an application
/// does); returns how many attempts lost a race.
async fn increment(server: &TestServer, counter: &str, acknowledged: &AtomicU64) -> u64 {
    let client = server.connect("demo").await;
    let mut lost_races = 0;
    loop {
        client.batch_execute("BEGIN").await.unwrap();
        let outcome = async {
            let row = client
                .query_one("SELECT age FROM person WHERE name = $1", &[&counter])
                .await?;
            let value: i32 = row.get(0);
            client
                .execute(
                    "UPDATE person SET age = $1 WHERE name = $2",
                    &[&(value + 1), &counter],
                )
                .await?;
            client.batch_execute("COMMIT").await
        }
        .await;
        match outcome {
            Ok(()) => {
                acknowledged.fetch_add(1, Ordering::SeqCst);
                return lost_races;
            }
            Err(e) if sqlstate(&e) == "40001" => {
                lost_races += 1;
                // A failed COMMIT has ended the transaction; a failed statement has not.
                client.batch_execute("ROLLBACK").await.unwrap();
            }
            Err(e) => panic!("increment of {counter}: {e:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_read_modify_write_transactions_lose_no_increment() {
    let server = Arc::new(start(None).await);
    let setup = server.connect("demo").await;
    for counter in COUNTERS {
        setup
            .execute("INSERT INTO person (name, age) VALUES ($1, 0)", &[&counter])
            .await
            .unwrap();
    }
    let acknowledged: Arc<[AtomicU64; 2]> = Arc::new([AtomicU64::new(0), AtomicU64::new(0)]);
    let mut clients = Vec::new();
    for c in 0..CLIENTS {
        let (server, acknowledged) = (server.clone(), acknowledged.clone());
        clients.push(tokio::spawn(async move {
            let mut lost_races = 0;
            for i in 0..INCREMENTS_PER_CLIENT {
                let which = (c + i) % COUNTERS.len();
                lost_races += increment(&server, COUNTERS[which], &acknowledged[which]).await;
            }
            lost_races
        }));
    }
    let mut lost_races = 0;
    for client in clients {
        lost_races += client.await.unwrap();
    }
    for (which, counter) in COUNTERS.iter().enumerate() {
        let row = setup
            .query_one("SELECT age FROM person WHERE name = $1", &[counter])
            .await
            .unwrap();
        let value: i32 = row.get(0);
        assert_eq!(
            value as u64,
            acknowledged[which].load(Ordering::SeqCst),
            "{counter}: every acknowledged increment is in the counter ({lost_races} races lost)"
        );
    }
    let total: u64 = acknowledged.iter().map(|a| a.load(Ordering::SeqCst)).sum();
    assert_eq!(total, (CLIENTS * INCREMENTS_PER_CLIENT) as u64);
}
