//! `BEGIN` ... `COMMIT` / `ROLLBACK`: read-your-writes, isolation, conflicts, 25P02.

use omnigraph_engine::{Graph, WriteOptions};
use omnigraph_sql::Session;

use crate::common::*;

const SCHEMA: &str = "\
node Person { name: String @key, age: I32? }
edge Knows: Person -> Person
";

async fn two_sessions() -> (tempfile::TempDir, Session, Session) {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = Graph::create(dir.path().to_str().unwrap()).await.unwrap();
    graph
        .apply_schema("main", SCHEMA, &WriteOptions::default())
        .await
        .unwrap();
    let a = Session::new(graph.clone()).await.unwrap();
    let b = Session::new(graph).await.unwrap();
    a.execute("INSERT INTO person (name, age) VALUES ('alice', 30), ('bob', 25)")
        .await
        .unwrap();
    (dir, a, b)
}

async fn count(s: &Session, sql: &str) -> String {
    table(s, sql).await
}

#[tokio::test]
async fn writes_are_visible_inside_and_published_as_one_commit() {
    let (_dir, a, b) = two_sessions().await;
    let commits_before = a
        .graph_context()
        .graph()
        .commits("main")
        .await
        .unwrap()
        .len();
    a.execute("BEGIN").await.unwrap();
    assert!(a.in_transaction());
    a.execute("INSERT INTO person (name, age) VALUES ('carol', 41)")
        .await
        .unwrap();
    a.execute("UPDATE person SET age = 31 WHERE name = 'alice'")
        .await
        .unwrap();
    a.execute("INSERT INTO knows (src, dst) VALUES ('carol', 'alice')")
        .await
        .unwrap();
    // Read-your-writes inside; nothing outside.
    assert!(
        count(&a, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 3 |")
    );
    assert!(
        count(&a, "SELECT age FROM person WHERE name = 'alice'")
            .await
            .contains("| 31  |")
    );
    assert!(
        count(&b, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 2 |")
    );
    assert!(table(&a, "SHOW omnigraph.branch").await.contains("main"));
    assert!(
        !table(&a, "SELECT name FROM omnigraph.branches")
            .await
            .contains("_tx/"),
        "the private branch is not listed"
    );
    let r = a.execute("COMMIT").await.unwrap();
    assert_eq!(r[0].tag, "COMMIT");
    assert!(!a.in_transaction());
    assert!(
        count(&b, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 3 |")
    );
    assert!(
        count(&b, "SELECT count(*) AS n FROM knows")
            .await
            .contains("| 1 |")
    );
    let commits = a.graph_context().graph().commits("main").await.unwrap();
    assert_eq!(
        commits.len(),
        commits_before + 1,
        "one commit per transaction"
    );
    assert!(
        commits
            .last()
            .unwrap()
            .message
            .starts_with("transaction: INSERT")
    );
}

#[tokio::test]
async fn rollback_discards_and_errors_abort_until_rollback() {
    let (_dir, a, _b) = two_sessions().await;
    a.execute("BEGIN; INSERT INTO person (name) VALUES ('tmp')")
        .await
        .unwrap();
    let r = a.execute("ROLLBACK").await.unwrap();
    assert_eq!(r[0].tag, "ROLLBACK");
    assert!(
        count(&a, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 2 |")
    );

    a.execute("BEGIN; INSERT INTO person (name) VALUES ('kept')")
        .await
        .unwrap();
    assert_eq!(
        err(&a, "INSERT INTO person (name) VALUES ('alice')")
            .await
            .sqlstate(),
        "23505"
    );
    assert_eq!(err(&a, "SELECT 1").await.sqlstate(), "25P02");
    // COMMIT of a failed transaction rolls it back.
    let r = a.execute("COMMIT").await.unwrap();
    assert_eq!(r[0].tag, "ROLLBACK");
    assert!(
        count(&a, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 2 |")
    );
    a.execute("SELECT 1").await.unwrap();
}

#[tokio::test]
async fn a_concurrent_conflicting_commit_fails_with_40001_and_loses_nothing() {
    let (_dir, a, b) = two_sessions().await;
    a.execute("BEGIN").await.unwrap();
    b.execute("BEGIN").await.unwrap();
    a.execute("UPDATE person SET age = 40 WHERE name = 'alice'")
        .await
        .unwrap();
    b.execute("UPDATE person SET age = 50 WHERE name = 'alice'")
        .await
        .unwrap();
    // Snapshot isolation: b does not see a's uncommitted or committed write.
    a.execute("COMMIT").await.unwrap();
    assert!(
        count(&b, "SELECT age FROM person WHERE name = 'alice'")
            .await
            .contains("| 50  |")
    );
    let e = err(&b, "COMMIT").await;
    assert_eq!(e.sqlstate(), "40001", "{e}");
    assert!(!b.in_transaction());
    assert!(
        count(&b, "SELECT age FROM person WHERE name = 'alice'")
            .await
            .contains("| 40  |"),
        "the first commit is kept"
    );

    // Transactions touching different rows both commit.
    a.execute("BEGIN; UPDATE person SET age = 1 WHERE name = 'alice'")
        .await
        .unwrap();
    b.execute("BEGIN; UPDATE person SET age = 2 WHERE name = 'bob'")
        .await
        .unwrap();
    a.execute("COMMIT").await.unwrap();
    b.execute("COMMIT").await.unwrap();
    let t = table(&a, "SELECT name, age FROM person ORDER BY name").await;
    assert!(
        t.contains("| alice | 1   |") && t.contains("| bob   | 2   |"),
        "{t}"
    );
}

/// Snapshot isolation's first-committer-wins: a row both transactions wrote fails the
/// second `COMMIT` even when both wrote the same value (a read-modify-write increment
/// must never be lost), and so does a row one deleted and the other wrote.
#[tokio::test]
async fn the_first_committer_wins_whatever_the_values() {
    let (_dir, a, b) = two_sessions().await;
    for s in [&a, &b] {
        s.execute("BEGIN").await.unwrap();
        assert!(
            count(s, "SELECT age FROM person WHERE name = 'alice'")
                .await
                .contains("| 30  |")
        );
        s.execute("UPDATE person SET age = 31 WHERE name = 'alice'")
            .await
            .unwrap();
    }
    a.execute("COMMIT").await.unwrap();
    let e = err(&b, "COMMIT").await;
    assert_eq!(e.sqlstate(), "40001", "{e}");
    assert!(e.to_string().contains("concurrent_write"), "{e}");

    // An autocommit write that lands meanwhile counts as a first committer too, even one
    // that writes the row back to the value the transaction read.
    b.execute("BEGIN; UPDATE person SET age = 32 WHERE name = 'alice'")
        .await
        .unwrap();
    a.execute("UPDATE person SET age = 0 WHERE name = 'alice'")
        .await
        .unwrap();
    a.execute("UPDATE person SET age = 31 WHERE name = 'alice'")
        .await
        .unwrap();
    assert_eq!(err(&b, "COMMIT").await.sqlstate(), "40001");

    // Both delete the same row.
    for s in [&a, &b] {
        s.execute("BEGIN; DELETE FROM person WHERE name = 'bob'")
            .await
            .unwrap();
    }
    a.execute("COMMIT").await.unwrap();
    assert_eq!(err(&b, "COMMIT").await.sqlstate(), "40001");

    // Both insert the same key with the same values.
    for s in [&a, &b] {
        s.execute("BEGIN; INSERT INTO person (name, age) VALUES ('carol', 7)")
            .await
            .unwrap();
    }
    a.execute("COMMIT").await.unwrap();
    assert_eq!(err(&b, "COMMIT").await.sqlstate(), "40001");
    let t = table(&a, "SELECT name, age FROM person ORDER BY name").await;
    assert!(
        t.contains("| alice | 31  |") && t.contains("| carol | 7   |") && !t.contains("bob"),
        "{t}"
    );

    // A merge of branches still combines equal values (only a transaction's COMMIT is
    // first-committer-wins).
    a.execute("CALL create_branch('side')").await.unwrap();
    a.execute("UPDATE person SET age = 8 WHERE name = 'carol'")
        .await
        .unwrap();
    a.execute("UPDATE side.person SET age = 8 WHERE name = 'carol'")
        .await
        .unwrap();
    a.execute("CALL merge('side', 'main')").await.unwrap();
}

#[tokio::test]
async fn snapshot_isolation_from_begin() {
    let (_dir, a, b) = two_sessions().await;
    a.execute("BEGIN").await.unwrap();
    b.execute("INSERT INTO person (name) VALUES ('late')")
        .await
        .unwrap();
    assert!(
        count(&a, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 2 |")
    );
    a.execute("INSERT INTO person (name) VALUES ('mine')")
        .await
        .unwrap();
    a.execute("COMMIT").await.unwrap();
    assert!(
        count(&a, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 4 |")
    );
}

#[tokio::test]
async fn savepoints_and_branch_switches_inside_transactions() {
    let (_dir, a, _b) = two_sessions().await;
    a.execute("CALL create_branch('feature')").await.unwrap();
    a.execute("BEGIN").await.unwrap();
    assert_eq!(
        err(&a, "SET omnigraph.branch = 'feature'").await.sqlstate(),
        "25001"
    );
    a.execute("ROLLBACK").await.unwrap();

    // A savepoint undoes a failed statement: the transaction is usable again.
    a.execute("BEGIN").await.unwrap();
    a.execute("SAVEPOINT s1").await.unwrap();
    assert_eq!(err(&a, "SELECT * FROM nope").await.sqlstate(), "42P01");
    assert_eq!(err(&a, "SELECT 1").await.sqlstate(), "25P02");
    a.execute("ROLLBACK TO SAVEPOINT s1").await.unwrap();
    a.execute("INSERT INTO person (name) VALUES ('s')")
        .await
        .unwrap();
    a.execute("RELEASE SAVEPOINT s1").await.unwrap();
    assert_eq!(err(&a, "RELEASE s1").await.sqlstate(), "3B001");
    assert_eq!(err(&a, "SELECT 1").await.sqlstate(), "25P02");
    a.execute("ROLLBACK").await.unwrap();
    // Writes since a savepoint cannot be wound back: refused, the transaction aborted.
    a.execute("BEGIN; SAVEPOINT s1; INSERT INTO person (name) VALUES ('t')")
        .await
        .unwrap();
    assert_eq!(err(&a, "ROLLBACK TO s1").await.sqlstate(), "0A000");
    assert_eq!(err(&a, "SELECT 1").await.sqlstate(), "25P02");
    a.execute("ROLLBACK").await.unwrap();
    assert_eq!(err(&a, "SAVEPOINT s1").await.sqlstate(), "25P01");

    // A transaction on a branch commits to that branch only.
    a.execute("SET omnigraph.branch = 'feature'").await.unwrap();
    a.execute("BEGIN; INSERT INTO person (name) VALUES ('f'); COMMIT")
        .await
        .unwrap();
    assert!(
        count(&a, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 3 |")
    );
    assert!(
        count(&a, "SELECT count(*) AS n FROM main.person")
            .await
            .contains("| 2 |")
    );
    // BEGIN while reading the past is refused.
    a.execute("RESET omnigraph.branch; SET omnigraph.as_of = 3")
        .await
        .unwrap();
    assert_eq!(err(&a, "BEGIN").await.sqlstate(), "25006");
}

#[tokio::test]
async fn a_transaction_stays_on_its_branch() {
    let (_dir, a, b) = two_sessions().await;
    a.execute("CALL create_branch('feature')").await.unwrap();
    a.execute("BEGIN; INSERT INTO person (name) VALUES ('t1')")
        .await
        .unwrap();
    // Its branch's schema shows the transaction's state.
    assert!(
        count(&a, "SELECT count(*) AS n FROM main.person")
            .await
            .contains("| 3 |")
    );
    assert_eq!(
        err(&a, "INSERT INTO feature.person (name) VALUES ('x')")
            .await
            .sqlstate(),
        "25001"
    );
    a.execute("ROLLBACK; BEGIN").await.unwrap();
    assert_eq!(
        err(&a, "DELETE FROM feature.person WHERE false")
            .await
            .sqlstate(),
        "25001"
    );
    a.execute("ROLLBACK").await.unwrap();
    for sql in [
        "CALL create_branch('x')",
        "CALL delete_branch('feature')",
        "CALL merge('feature')",
    ] {
        a.execute("BEGIN").await.unwrap();
        assert_eq!(err(&a, sql).await.sqlstate(), "25001", "{sql}");
        a.execute("ROLLBACK").await.unwrap();
    }
    assert!(
        count(&b, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 2 |")
    );
    assert_eq!(
        err(&a, "BEGIN ISOLATION LEVEL SERIALIZABLE")
            .await
            .sqlstate(),
        "0A000"
    );
    a.execute("BEGIN ISOLATION LEVEL REPEATABLE READ; ROLLBACK")
        .await
        .unwrap();
}

#[tokio::test]
async fn read_only_transactions_refuse_every_write_with_25006() {
    let (_dir, a, b) = two_sessions().await;
    for begin in [
        "BEGIN READ ONLY",
        "START TRANSACTION READ ONLY",
        "BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY",
        "BEGIN TRANSACTION ISOLATION LEVEL READ COMMITTED READ ONLY",
    ] {
        a.execute(begin).await.unwrap();
        assert!(
            count(&a, "SHOW transaction_read_only")
                .await
                .contains("| on "),
            "{begin}"
        );
        assert!(
            count(&a, "SELECT count(*) AS n FROM person")
                .await
                .contains("| 2 |")
        );
        let e = err(&a, "INSERT INTO person (name) VALUES ('x')").await;
        assert_eq!(e.sqlstate(), "25006", "{begin}: {e}");
        assert_eq!(
            e.message,
            "cannot execute INSERT in a read-only transaction"
        );
        // The error fails the transaction, as in PostgreSQL.
        assert_eq!(err(&a, "SELECT 1").await.sqlstate(), "25P02");
        a.execute("ROLLBACK").await.unwrap();
    }
    for (write, verb) in [
        ("UPDATE person SET age = 1", "UPDATE"),
        ("DELETE FROM person", "DELETE"),
        ("TRUNCATE person", "TRUNCATE TABLE"),
    ] {
        a.execute("BEGIN; SET TRANSACTION READ ONLY").await.unwrap();
        let e = err(&a, write).await;
        assert_eq!(e.sqlstate(), "25006", "{write}: {e}");
        assert!(
            e.message.contains(&format!("execute {verb} in")),
            "{write}: {e}"
        );
        a.execute("ROLLBACK").await.unwrap();
    }
    // COMMIT of a read-only transaction publishes nothing.
    a.execute("BEGIN READ ONLY; SELECT 1; COMMIT")
        .await
        .unwrap();
    // READ WRITE only before the transaction ran anything.
    a.execute("BEGIN READ ONLY; SELECT 1").await.unwrap();
    assert_eq!(
        err(&a, "SET TRANSACTION READ WRITE").await.sqlstate(),
        "25001"
    );
    a.execute("ROLLBACK").await.unwrap();

    // The session's default: every later transaction, and each statement on its own.
    for set in [
        "SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY",
        "SET default_transaction_read_only = on",
    ] {
        a.execute(set).await.unwrap();
        assert!(
            count(&a, "SHOW default_transaction_read_only")
                .await
                .contains("| on ")
        );
        assert_eq!(
            err(&a, "DELETE FROM person").await.sqlstate(),
            "25006",
            "{set}"
        );
        // Procedures that change the graph are writes, however they are called.
        let e = err(&a, "CALL create_branch('ro')").await;
        assert_eq!(e.message, "cannot execute CALL in a read-only transaction");
        let e = err(&a, "SELECT * FROM create_branch('ro')").await;
        assert_eq!(e.sqlstate(), "25006", "{e}");
        a.execute("BEGIN").await.unwrap();
        assert_eq!(
            err(&a, "DELETE FROM person").await.sqlstate(),
            "25006",
            "{set}"
        );
        a.execute("ROLLBACK; BEGIN READ WRITE; DELETE FROM person WHERE name = 'nobody'; COMMIT")
            .await
            .unwrap();
        a.execute("RESET default_transaction_read_only")
            .await
            .unwrap();
        assert!(
            count(&a, "SHOW transaction_read_only")
                .await
                .contains("| off ")
        );
    }
    a.execute("SET transaction_read_only = on").await.unwrap();
    a.execute("INSERT INTO person (name) VALUES ('carol')")
        .await
        .unwrap();
    assert!(
        count(&b, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 3 |")
    );
}
