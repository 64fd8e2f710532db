//! `INSERT`, `UPDATE`, `DELETE`, `TRUNCATE` and `ON CONFLICT` through the session.

use omnigraph_engine::{Graph, WriteOptions};
use omnigraph_sql::Session;

use crate::common::*;

const SCHEMA: &str = "\
node Person  { name: String @key, age: I32?, email: String? @unique, nick: String }
node Company { name: String @key, kind: enum(big, small)?, score: F64? }
edge Knows:   Person -> Person { since: Date? }
edge WorksAt: Person -> Company @card(0..1)
";

async fn session() -> (tempfile::TempDir, Session) {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = Graph::create(dir.path().to_str().unwrap()).await.unwrap();
    graph
        .apply_schema("main", SCHEMA, &WriteOptions::default())
        .await
        .unwrap();
    let s = Session::new(graph).await.unwrap();
    s.execute(
        "INSERT INTO person (name, age, nick) VALUES ('alice', 30, 'al'), ('bob', 25, 'b'); \
         INSERT INTO company (name) VALUES ('acme'), ('globex'); \
         INSERT INTO knows (src, dst, since) VALUES ('alice', 'bob', DATE '2020-01-01')",
    )
    .await
    .unwrap();
    (dir, s)
}

async fn commits(s: &Session) -> usize {
    s.graph_context()
        .graph()
        .commits(&s.settings().branch)
        .await
        .unwrap()
        .len()
}

#[tokio::test]
async fn insert_values_and_select_with_tags_and_one_commit_each() {
    let (_dir, s) = session().await;
    let before = commits(&s).await;
    let r = s
        .execute("INSERT INTO person (name, nick) VALUES ('carol', 'c'), ('dan', 'd')")
        .await
        .unwrap();
    assert_eq!(r[0].tag, "INSERT 0 2");
    assert_eq!(commits(&s).await, before + 1);
    let t = table(
        &s,
        "SELECT message FROM omnigraph.commits ORDER BY committed_at DESC LIMIT 1",
    )
    .await;
    assert!(t.contains("INSERT INTO person"), "{t}");
    assert!(
        table(&s, "SELECT id, nick FROM person WHERE name = 'carol'")
            .await
            .contains("| carol | c    |")
    );
    // INSERT ... SELECT copies rows between tables (and branches).
    s.execute("CALL create_branch('copy')").await.unwrap();
    let r = s
        .execute(
            "INSERT INTO \"copy\".company (name) SELECT name FROM person WHERE age IS NOT NULL",
        )
        .await
        .unwrap();
    assert_eq!(r[0].tag, "INSERT 0 2");
    assert!(
        table(&s, "SELECT count(*) AS n FROM \"copy\".company")
            .await
            .contains("| 4 |")
    );
    assert!(
        table(&s, "SELECT count(*) AS n FROM company")
            .await
            .contains("| 2 |"),
        "a write on a branch is invisible on main"
    );
}

#[tokio::test]
async fn integrity_rules_fail_with_their_sqlstate_and_publish_nothing() {
    let (_dir, s) = session().await;
    let before = commits(&s).await;
    let cases = [
        (
            "INSERT INTO person (name, nick) VALUES ('alice', 'x')",
            "23505",
        ),
        (
            "INSERT INTO person (name, nick) VALUES ('x1', 'a'), ('x1', 'b')",
            "23505",
        ),
        (
            "INSERT INTO person (name, nick, email) VALUES ('e1', 'a', 'same@x'), ('e2', 'b', 'same@x')",
            "23505",
        ),
        ("INSERT INTO person (name) VALUES ('nonick')", "23502"),
        (
            "INSERT INTO person (name, nick) VALUES ('n1', 'a'), (NULL, 'b')",
            "23502",
        ),
        (
            "INSERT INTO person (name, nick) VALUES (upper(NULL), 'a')",
            "23502",
        ),
        (
            "INSERT INTO person (age, nick) VALUES (3, 'nokey')",
            "23502",
        ),
        (
            "INSERT INTO knows (src, dst) VALUES ('alice', 'ghost')",
            "23503",
        ),
        (
            "INSERT INTO works_at (src, dst) VALUES ('alice', 'acme'), ('alice', 'globex')",
            "23514",
        ),
        (
            "INSERT INTO person (name, nick, age) VALUES ('z', 'z', 'old')",
            "22P02",
        ),
    ];
    for (sql, state) in cases {
        let e = err(&s, sql).await;
        assert_eq!(e.sqlstate(), state, "{sql}: {e}");
    }
    assert_eq!(
        commits(&s).await,
        before,
        "failed statements publish nothing"
    );
}

#[tokio::test]
async fn update_changes_properties_but_never_keys() {
    let (_dir, s) = session().await;
    let r = s
        .execute("UPDATE person SET age = age + 1, nick = upper(nick) WHERE age >= 25")
        .await
        .unwrap();
    assert_eq!(r[0].tag, "UPDATE 2");
    let t = table(&s, "SELECT name, age, nick FROM person ORDER BY name").await;
    assert!(t.contains("| alice | 31  | AL   |"), "{t}");
    assert!(t.contains("| bob   | 26  | B    |"), "{t}");
    // Edges keep their endpoints and ids.
    s.execute("UPDATE knows SET since = DATE '2021-06-01'")
        .await
        .unwrap();
    assert!(
        table(&s, "SELECT src, dst, since FROM knows")
            .await
            .contains("| alice | bob | 2021-06-01 |")
    );
    assert_eq!(
        err(&s, "UPDATE person SET name = 'al' WHERE name = 'alice'")
            .await
            .sqlstate(),
        "0A000"
    );
    assert_eq!(
        err(&s, "UPDATE knows SET dst = 'alice'").await.sqlstate(),
        "0A000"
    );
    assert_eq!(
        err(&s, "UPDATE person SET nick = NULL").await.sqlstate(),
        "23502"
    );
    s.execute("UPDATE person SET email = 'a@x' WHERE name = 'alice'")
        .await
        .unwrap();
    assert_eq!(
        err(&s, "UPDATE person SET email = 'a@x' WHERE name = 'bob'")
            .await
            .sqlstate(),
        "23505"
    );
    let r = s
        .execute("UPDATE person SET age = 1 WHERE name = 'nobody'")
        .await
        .unwrap();
    assert_eq!(r[0].tag, "UPDATE 0");
}

#[tokio::test]
async fn delete_takes_incident_edges_along_and_truncate_empties() {
    let (_dir, s) = session().await;
    s.execute("INSERT INTO works_at (src, dst) VALUES ('bob', 'acme')")
        .await
        .unwrap();
    let r = s
        .execute("DELETE FROM person WHERE name = 'bob'")
        .await
        .unwrap();
    assert_eq!(r[0].tag, "DELETE 1");
    assert_eq!(r[0].notices.len(), 1, "{:?}", r[0].notices);
    assert!(r[0].notices[0].contains("knows: 1"), "{:?}", r[0].notices);
    assert!(
        r[0].notices[0].contains("works_at: 1"),
        "{:?}",
        r[0].notices
    );
    assert!(
        table(&s, "SELECT count(*) AS n FROM knows")
            .await
            .contains("| 0 |")
    );
    let r = s
        .execute("DELETE FROM person WHERE age > 100")
        .await
        .unwrap();
    assert_eq!(r[0].tag, "DELETE 0");
    let r = s.execute("TRUNCATE company").await.unwrap();
    assert_eq!(r[0].tag, "TRUNCATE TABLE");
    assert!(
        table(&s, "SELECT count(*) AS n FROM company")
            .await
            .contains("| 0 |")
    );
}

#[tokio::test]
async fn on_conflict_do_nothing_and_do_update() {
    let (_dir, s) = session().await;
    let r = s
        .execute(
            "INSERT INTO person (name, age, nick) VALUES ('alice', 99, 'x'), ('erin', 5, 'e') \
             ON CONFLICT (name) DO NOTHING",
        )
        .await
        .unwrap();
    assert_eq!(r[0].tag, "INSERT 0 1");
    let t = table(&s, "SELECT name, age FROM person ORDER BY name").await;
    assert!(
        t.contains("| alice | 30  |") && t.contains("| erin  | 5   |"),
        "{t}"
    );
    let r = s
        .execute(
            "INSERT INTO person (name, age, nick, email) VALUES ('alice', 31, 'al2', NULL) \
             ON CONFLICT (name) DO UPDATE SET age = EXCLUDED.age, nick = EXCLUDED.nick, email = EXCLUDED.email",
        )
        .await
        .unwrap();
    assert_eq!(r[0].tag, "INSERT 0 1");
    assert!(
        table(&s, "SELECT age, nick FROM person WHERE name = 'alice'")
            .await
            .contains("| 31  | al2  |")
    );
    let e = err(
        &s,
        "INSERT INTO person (name, age, nick) VALUES ('alice', 1, 'x') \
         ON CONFLICT (name) DO UPDATE SET age = person.age + 1",
    )
    .await;
    assert_eq!(e.sqlstate(), "0A000", "{e}");
    // Columns not listed keep their values, as in PostgreSQL.
    s.execute(
        "INSERT INTO person (name, age, nick) VALUES ('alice', 35, 'ignored'), ('gus', 3, 'g') \
         ON CONFLICT (name) DO UPDATE SET age = EXCLUDED.age",
    )
    .await
    .unwrap();
    let t = table(
        &s,
        "SELECT name, age, nick FROM person WHERE name IN ('alice', 'gus') ORDER BY name",
    )
    .await;
    assert!(t.contains("| alice | 35  | al2  |"), "{t}");
    assert!(t.contains("| gus   | 3   | g    |"), "{t}");
    // REPLACE INTO upserts too.
    let r = s
        .execute(
            "REPLACE INTO person (name, age, nick) VALUES ('alice', 40, 'al3'), ('fay', 2, 'f')",
        )
        .await
        .unwrap();
    assert_eq!(r[0].tag, "INSERT 0 2");
    assert!(
        table(&s, "SELECT age, nick FROM person WHERE name = 'alice'")
            .await
            .contains("| 40  | al3  |")
    );
}

#[tokio::test]
async fn writes_are_refused_while_reading_the_past() {
    let (_dir, s) = session().await;
    s.execute("SET omnigraph.as_of = 3").await.unwrap();
    for sql in [
        "INSERT INTO company (name) VALUES ('x')",
        "UPDATE person SET age = 1",
        "DELETE FROM person",
    ] {
        assert_eq!(err(&s, sql).await.sqlstate(), "25006", "{sql}");
    }
    s.execute("RESET omnigraph.as_of").await.unwrap();
    s.execute("INSERT INTO company (name) VALUES ('x')")
        .await
        .unwrap();
}

#[tokio::test]
async fn statements_over_the_write_limit_are_refused_before_anything_is_written() {
    let (_dir, s) = session().await;
    s.execute("SET omnigraph.max_write_rows = 2").await.unwrap();
    assert!(
        table(&s, "SHOW omnigraph.max_write_rows")
            .await
            .contains("| 2 ")
    );
    let before = commits(&s).await;
    let e = err(&s, "INSERT INTO company (name) VALUES ('a'), ('b'), ('c')").await;
    assert_eq!(e.sqlstate(), "54000", "{e}");
    assert_eq!(commits(&s).await, before);
    s.execute("INSERT INTO company (name) VALUES ('a'), ('b')")
        .await
        .unwrap();
    s.execute("RESET omnigraph.max_write_rows").await.unwrap();
    assert_eq!(
        err(&s, "SET omnigraph.max_write_rows = 'many'")
            .await
            .sqlstate(),
        "22023"
    );
}

#[tokio::test]
async fn where_clauses_that_would_not_reach_the_table_are_refused_or_write_nothing() {
    let (_dir, s) = session().await;
    let before = commits(&s).await;
    for sql in [
        "DELETE FROM person WHERE name IN (SELECT src FROM knows)",
        "DELETE FROM person WHERE EXISTS (SELECT 1 FROM knows WHERE knows.src = person.id)",
        "UPDATE person SET age = 1 WHERE name = (SELECT min(src) FROM knows)",
        "DELETE FROM person WHERE name = ANY (SELECT src FROM knows)",
    ] {
        assert_eq!(err(&s, sql).await.sqlstate(), "0A000", "{sql}");
    }
    let r = s.execute("DELETE FROM person WHERE false").await.unwrap();
    assert_eq!(r[0].tag, "DELETE 0");
    let r = s
        .execute("UPDATE person SET age = 1 WHERE 1 = 0")
        .await
        .unwrap();
    assert_eq!(r[0].tag, "UPDATE 0");
    assert_eq!(commits(&s).await, before);
    assert!(
        table(&s, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 2 |")
    );
}

#[tokio::test]
async fn values_are_checked_like_loaded_values() {
    let (_dir, s) = session().await;
    assert_eq!(
        err(
            &s,
            "INSERT INTO company (name, score) VALUES ('n', 'NaN'::double)"
        )
        .await
        .sqlstate(),
        "22P02"
    );
    s.execute("INSERT INTO company (name, kind) VALUES ('initech', 'small')")
        .await
        .unwrap();
    assert_eq!(
        err(&s, "INSERT INTO company (name, kind) VALUES ('x', 'huge')")
            .await
            .sqlstate(),
        "22P02"
    );
    assert_eq!(
        err(
            &s,
            "UPDATE company SET kind = 'huge' WHERE name = 'initech'"
        )
        .await
        .sqlstate(),
        "22P02"
    );
    assert_eq!(
        err(
            &s,
            "INSERT INTO person (name, nick, email) VALUES ('a2', 'x', 'e') ON CONFLICT (email) DO NOTHING"
        )
        .await
        .sqlstate(),
        "0A000"
    );
    assert_eq!(
        err(&s, "SET omnigraph.max_write_rows = 0").await.sqlstate(),
        "22023"
    );
    // Keyless types never conflict; an unquoted conflict target folds to lower case.
    assert_eq!(
        err(
            &s,
            "INSERT INTO knows (src, dst) VALUES ('alice', 'bob') ON CONFLICT (src, dst) DO NOTHING"
        )
        .await
        .sqlstate(),
        "0A000"
    );
    let r = s
        .execute(
            "INSERT INTO person (name, nick) VALUES ('alice', 'x') ON CONFLICT (NAME) DO NOTHING",
        )
        .await
        .unwrap();
    assert_eq!(r[0].tag, "INSERT 0 0");
}

/// The rows of a statement's result as text.
fn shown(result: &omnigraph_sql::StatementResult) -> String {
    datafusion::arrow::util::pretty::pretty_format_batches(&result.batches)
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn returning_gives_the_written_rows_in_the_same_commit() {
    let (_dir, s) = session().await;
    let before = commits(&s).await;
    let r = s
        .execute(
            "INSERT INTO person (name, age, nick) VALUES ('carol', 41, 'c'), ('dan', NULL, 'd') \
             RETURNING *",
        )
        .await
        .unwrap();
    assert_eq!(r[0].tag, "INSERT 0 2");
    assert_eq!(
        commits(&s).await,
        before + 1,
        "one commit, as without RETURNING"
    );
    // The committed rows, ids derived by the engine included, in the order inserted.
    let stored = table(
        &s,
        "SELECT * FROM person WHERE name IN ('carol', 'dan') ORDER BY name",
    )
    .await;
    assert_eq!(shown(&r[0]), stored);

    let r = s
        .execute("INSERT INTO person AS p (name, nick) VALUES ('eve', 'e') RETURNING p.name, length(nick), nick AS handle, age + 1")
        .await
        .unwrap();
    let names: Vec<&str> = r[0]
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, ["name", "length", "handle", "?column?"]);
    assert!(
        shown(&r[0]).contains("| eve  | 1      | e      |          |"),
        "{}",
        shown(&r[0])
    );

    // A keyless edge's id is made by the engine: RETURNING shows the one stored.
    let r = s
        .execute("INSERT INTO knows (src, dst) VALUES ('bob', 'alice') RETURNING id, src, dst")
        .await
        .unwrap();
    let stored = table(&s, "SELECT id, src, dst FROM knows WHERE src = 'bob'").await;
    assert_eq!(shown(&r[0]), stored);

    // UPDATE returns the new rows, DELETE the old ones.
    let r = s
        .execute("UPDATE person SET age = age + 1 WHERE name = 'alice' RETURNING name, age")
        .await
        .unwrap();
    assert_eq!(r[0].tag, "UPDATE 1");
    assert!(shown(&r[0]).contains("| alice | 31  |"), "{}", shown(&r[0]));
    let before = table(&s, "SELECT * FROM person WHERE name = 'carol'").await;
    let r = s
        .execute("DELETE FROM person WHERE name = 'carol' RETURNING *")
        .await
        .unwrap();
    assert_eq!(r[0].tag, "DELETE 1");
    assert_eq!(shown(&r[0]), before);
    assert!(
        table(&s, "SELECT name FROM person WHERE name = 'carol'")
            .await
            .lines()
            .count()
            < 4
    );

    // Without RETURNING a write has no rows, only its tag.
    let r = s
        .execute("UPDATE person SET age = 1 WHERE name = 'dan'")
        .await
        .unwrap();
    assert!(!r[0].has_columns() && r[0].tag == "UPDATE 1");
}

#[tokio::test]
async fn returning_with_on_conflict_in_transactions_and_mistakes() {
    let (_dir, s) = session().await;
    // DO NOTHING returns the rows inserted, not the ones skipped.
    let r = s
        .execute(
            "INSERT INTO person (name, age, nick) VALUES ('alice', 99, 'x'), ('erin', 5, 'e') \
             ON CONFLICT (name) DO NOTHING RETURNING name, age",
        )
        .await
        .unwrap();
    assert_eq!(r[0].tag, "INSERT 0 1");
    assert_eq!(r[0].row_count(), 1);
    assert!(shown(&r[0]).contains("| erin | 5   |"), "{}", shown(&r[0]));
    // DO UPDATE returns the row as stored: unlisted columns keep their values.
    let r = s
        .execute(
            "INSERT INTO person (name, age, nick) VALUES ('alice', 35, 'ignored') \
             ON CONFLICT (name) DO UPDATE SET age = EXCLUDED.age RETURNING name, age, nick",
        )
        .await
        .unwrap();
    assert!(
        shown(&r[0]).contains("| alice | 35  | al   |"),
        "{}",
        shown(&r[0])
    );

    // A mistake in the list is found before anything is written.
    let before = commits(&s).await;
    let e = err(
        &s,
        "INSERT INTO person (name, nick) VALUES ('zed', 'z') RETURNING nope",
    )
    .await;
    assert_eq!(e.sqlstate(), "42703", "{e}");
    assert_eq!(commits(&s).await, before);

    // In a transaction the rows are the transaction's; ROLLBACK drops them.
    s.execute("BEGIN").await.unwrap();
    let r = s
        .execute("INSERT INTO person (name, nick) VALUES ('tx', 't') RETURNING name")
        .await
        .unwrap();
    assert!(shown(&r[0]).contains("| tx   |"), "{}", shown(&r[0]));
    let r = s
        .execute("DELETE FROM person WHERE name = 'tx' RETURNING name")
        .await
        .unwrap();
    assert_eq!(r[0].row_count(), 1);
    s.execute("ROLLBACK").await.unwrap();
    assert_eq!(commits(&s).await, before);
}

/// Runs `sql`, a `COPY ... FROM STDIN`, with `data` as what the client sends.
async fn copy(s: &Session, sql: &str, data: &str) -> Result<String, omnigraph_sql::SqlError> {
    use omnigraph_sql::copy_from::CopyFrom;
    let statement = Session::parse(sql).unwrap().remove(0);
    let omnigraph_sql::StatementKind::Copy(copy) = &statement.kind else {
        panic!("{sql} is no COPY");
    };
    let copy = CopyFrom::of(copy).expect("a COPY FROM STDIN")?;
    let (mut writer, write) = s.start_copy(&copy).await?;
    // The data arrives in small pieces, as a client's messages may cut it anywhere.
    let send = async {
        for piece in data.as_bytes().chunks(3) {
            writer.write(piece).await;
        }
        writer.end().await;
    };
    let ((), written) = tokio::join!(send, s.run_copy(write));
    Ok(writer.outcome(written)?.tag)
}

#[tokio::test]
async fn copy_from_stdin_inserts_text_and_csv_rows_as_one_commit_or_nothing() {
    let (_dir, s) = session().await;
    let before = commits(&s).await;
    let tag = copy(
        &s,
        "COPY person (name, age, nick) FROM STDIN",
        "carol\t41\tc\ndave\t\\N\td\\tx\n",
    )
    .await
    .unwrap();
    assert_eq!(tag, "COPY 2");
    assert_eq!(commits(&s).await, before + 1);
    let tag = copy(
        &s,
        "COPY person (nick, name) FROM STDIN WITH (FORMAT csv, HEADER true)",
        "nick,name\n\"e, e\",erin\n",
    )
    .await
    .unwrap();
    assert_eq!(tag, "COPY 1");
    let rows = s
        .query("SELECT name, age, nick FROM person WHERE name IN ('carol', 'dave', 'erin') ORDER BY name")
        .await
        .unwrap();
    let text = datafusion::arrow::util::pretty::pretty_format_batches(&rows)
        .unwrap()
        .to_string();
    assert!(text.contains("| carol | 41  | c    |"), "{text}");
    assert!(text.contains("| dave  |     | d\tx  |"), "{text}");
    assert!(text.contains("| erin  |     | e, e |"), "{text}");

    // A bad value, a short line or a key already there: an error and nothing written.
    let before = commits(&s).await;
    let e = copy(
        &s,
        "COPY person (name, age, nick) FROM STDIN (FORMAT csv)",
        "f,1,f\ng,x,g\n",
    )
    .await
    .unwrap_err();
    assert_eq!(e.sqlstate(), "22P02", "{e}");
    assert_eq!(
        e.context.as_deref(),
        Some("COPY person, line 2, column age: \"x\""),
        "{e}"
    );
    let e = copy(
        &s,
        "COPY person (name, age, nick) FROM STDIN (FORMAT csv)",
        "f,1,f\ng,2\n",
    )
    .await
    .unwrap_err();
    assert_eq!(e.sqlstate(), "22P04", "{e}");
    assert_eq!(e.message, "missing data for column \"nick\"");
    assert_eq!(e.context.as_deref(), Some("COPY person, line 2: \"g,2\""));
    let e = copy(
        &s,
        "COPY person (name, nick) FROM STDIN (FORMAT csv)",
        "f,f\nalice,a\n",
    )
    .await
    .unwrap_err();
    assert_eq!(e.sqlstate(), "23505", "{e}");
    let e = copy(&s, "COPY person (name) FROM STDIN (FORMAT csv)", "f\n")
        .await
        .unwrap_err();
    assert_eq!(e.sqlstate(), "23502", "{e}");
    let e = copy(&s, "COPY person (name, nosuch) FROM STDIN", "")
        .await
        .unwrap_err();
    assert_eq!(e.sqlstate(), "42703", "{e}");
    let e = copy(&s, "COPY person (name, name) FROM STDIN", "")
        .await
        .unwrap_err();
    assert_eq!(e.sqlstate(), "42701", "{e}");
    let e = copy(&s, "COPY nosuch FROM STDIN", "").await.unwrap_err();
    assert_eq!(e.sqlstate(), "42P01", "{e}");
    assert_eq!(commits(&s).await, before);
    let left = s
        .query("SELECT count(*) AS n FROM person WHERE name IN ('f', 'g')")
        .await
        .unwrap();
    assert_eq!(
        datafusion::arrow::util::pretty::pretty_format_batches(&left)
            .unwrap()
            .to_string()
            .lines()
            .nth(3),
        Some("| 0 |")
    );

    // Inside a transaction the rows are the transaction's until COMMIT.
    s.execute("BEGIN").await.unwrap();
    copy(
        &s,
        "COPY person (name, nick) FROM STDIN (FORMAT csv)",
        "h,h\n",
    )
    .await
    .unwrap();
    s.execute("ROLLBACK").await.unwrap();
    let after = s
        .query("SELECT count(*) AS n FROM person WHERE name = 'h'")
        .await
        .unwrap();
    assert_eq!(
        datafusion::arrow::util::pretty::pretty_format_batches(&after)
            .unwrap()
            .to_string()
            .lines()
            .nth(3),
        Some("| 0 |")
    );
}

#[tokio::test]
async fn copy_from_a_server_file_is_for_admins() {
    let (dir, s) = session().await;
    let file = dir.path().join("people.csv");
    std::fs::write(&file, "name,nick\nfile.a,fa\nfile.b,fb\n").unwrap();
    let sql = format!(
        "COPY person (name, nick) FROM '{}' WITH (FORMAT csv, HEADER)",
        file.display()
    );
    let done = s.execute(&sql).await.unwrap();
    assert_eq!(done[0].tag, "COPY 2");
    let missing = format!(
        "COPY person (name) FROM '{}'",
        dir.path().join("nope").display()
    );
    assert_eq!(err(&s, &missing).await.sqlstate(), "58P01");
    s.set_role(datafusion_omnigraph::Role::Write);
    assert_eq!(err(&s, &sql).await.sqlstate(), "42501");
}
