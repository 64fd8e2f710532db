use tokio_postgres::SimpleQueryMessage;
use tokio_postgres::types::Type;

use crate::common::{sqlstate, start};

fn simple_rows(messages: &[SimpleQueryMessage]) -> Vec<Vec<Option<String>>> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::Row(r) => {
                Some((0..r.len()).map(|i| r.get(i).map(str::to_string)).collect())
            }
            _ => None,
        })
        .collect()
}

fn command_tags(messages: &[SimpleQueryMessage]) -> Vec<u64> {
    messages
        .iter()
        .filter_map(|m| match m {
            SimpleQueryMessage::CommandComplete(n) => Some(*n),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn simple_and_extended_queries_read_the_graph() {
    let server = start(None).await;
    let client = server.connect("demo").await;
    let messages = client
        .simple_query(
            "SELECT name, age FROM person WHERE name = 'alice.smith'; SELECT count(*) FROM company",
        )
        .await
        .unwrap();
    let rows = simple_rows(&messages);
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(rows[0][0].as_deref(), Some("alice.smith"));
    assert_eq!(rows[1][0].as_deref(), Some("20"));

    // Extended protocol: typed parameters and typed results.
    let row = client
        .query_one(
            "SELECT name, age FROM person WHERE name = $1",
            &[&"alice.smith"],
        )
        .await
        .unwrap();
    let name: &str = row.get(0);
    assert_eq!(name, "alice.smith");
    let statement = client
        .prepare("SELECT count(*) AS n FROM person WHERE age > $1")
        .await
        .unwrap();
    assert_eq!(statement.params(), &[Type::INT4]);
    assert_eq!(statement.columns()[0].type_(), &Type::INT8);
    let older: i64 = client
        .query_one(&statement, &[&30i32])
        .await
        .unwrap()
        .get(0);
    let all: i64 = client.query_one(&statement, &[&0i32]).await.unwrap().get(0);
    assert!(older > 0 && older < all, "{older} {all}");

    // An untyped NULL parameter keeps its place.
    let row = client
        .query_one(
            "SELECT $1::text IS NULL AS a, $2::int + 1 AS b",
            &[&None::<String>, &Some(1i32)],
        )
        .await
        .unwrap();
    assert!(row.get::<_, bool>(0));
    assert_eq!(row.get::<_, i32>(1), 2);
}

#[tokio::test]
async fn writes_transactions_and_procedures_work_through_both_protocols() {
    let server = start(None).await;
    let client = server.connect("demo").await;
    let messages = client
        .simple_query(
            "INSERT INTO person (name, age, city) VALUES ('Zed', 40, 'Oslo'), ('Yan', 41, 'Rome')",
        )
        .await
        .unwrap();
    assert_eq!(command_tags(&messages), vec![2]);
    let n = client
        .execute(
            "UPDATE person SET age = $1 WHERE name = $2",
            &[&50i32, &"Zed"],
        )
        .await
        .unwrap();
    assert_eq!(n, 1);

    // CALL with a parameter, through the extended protocol.
    client
        .execute("CALL create_branch($1)", &[&"feature"])
        .await
        .unwrap();
    let branches = client
        .query("SELECT name FROM omnigraph.branches ORDER BY name", &[])
        .await
        .unwrap();
    let names: Vec<String> = branches.iter().map(|r| r.get(0)).collect();
    assert!(names.contains(&"feature".to_string()), "{names:?}");

    // A transaction: read-your-writes inside, nothing visible to others until COMMIT.
    let other = server.connect("demo").await;
    client.batch_execute("BEGIN").await.unwrap();
    client
        .execute("INSERT INTO person (name, age) VALUES ('Xia', 33)", &[])
        .await
        .unwrap();
    let inside: i64 = client
        .query_one("SELECT count(*) FROM person WHERE name = 'Xia'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(inside, 1);
    let outside: i64 = other
        .query_one("SELECT count(*) FROM person WHERE name = 'Xia'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(outside, 0);
    client.batch_execute("COMMIT").await.unwrap();
    let after: i64 = other
        .query_one("SELECT count(*) FROM person WHERE name = 'Xia'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(after, 1);

    // A failed statement aborts the transaction (25P02) until ROLLBACK.
    client.batch_execute("BEGIN").await.unwrap();
    let err = client
        .execute("INSERT INTO person (name) VALUES ('Zed')", &[])
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "23505");
    let err = client.query("SELECT 1", &[]).await.unwrap_err();
    assert_eq!(sqlstate(&err), "25P02");
    client.batch_execute("ROLLBACK").await.unwrap();

    // Also when the failing statement never ran (an unknown table, found at Execute).
    client.batch_execute("BEGIN").await.unwrap();
    let err = client.query("SELECT * FROM nosuch", &[]).await.unwrap_err();
    assert_eq!(sqlstate(&err), "42P01");
    let err = client.query("SELECT $1::int", &[&1i32]).await.unwrap_err();
    assert_eq!(sqlstate(&err), "25P02");
    client.batch_execute("ROLLBACK").await.unwrap();
    client.query("SELECT 1", &[]).await.unwrap();

    // ROLLBACK TO a savepoint makes a failed transaction usable again, in both protocols.
    client.batch_execute("BEGIN; SAVEPOINT s1").await.unwrap();
    let err = client.query("SELECT * FROM nosuch", &[]).await.unwrap_err();
    assert_eq!(sqlstate(&err), "42P01");
    client
        .batch_execute("ROLLBACK TO SAVEPOINT s1")
        .await
        .unwrap();
    client.query("SELECT 1", &[]).await.unwrap();
    let err = client.query("SELECT * FROM nosuch", &[]).await.unwrap_err();
    assert_eq!(sqlstate(&err), "42P01");
    client.execute("ROLLBACK TO s1", &[]).await.unwrap();
    client.query("SELECT 1", &[]).await.unwrap();
    client.batch_execute("COMMIT").await.unwrap();
}

#[tokio::test]
async fn errors_carry_postgres_sqlstates() {
    let server = start(None).await;
    let client = server.connect("demo").await;
    let cases = [
        ("SELECT * FROM no_such_table", "42P01"),
        ("SELECT no_such_column FROM person", "42703"),
        ("SELEC 1", "42601"),
        ("SELECT no_such_function(1)", "42883"),
        ("SELECT 1 / 0", "22012"),
        ("INSERT INTO person (name) VALUES ('alice.smith')", "23505"),
        (
            "INSERT INTO knows (src, dst) VALUES ('alice.smith', 'nobody')",
            "23503",
        ),
        ("SELECT CAST('abc' AS INT)", "22P02"),
        ("SET no_such_setting = 1", "42704"),
    ];
    for (sql, expected) in cases {
        let err = client.simple_query(sql).await.unwrap_err();
        assert_eq!(sqlstate(&err), expected, "simple: {sql}: {err:?}");
        let err = client.query(sql, &[]).await.unwrap_err();
        assert_eq!(sqlstate(&err), expected, "extended: {sql}: {err:?}");
    }
    // The connection is still usable.
    client.simple_query("SELECT 1").await.unwrap();
}

#[tokio::test]
async fn connections_keep_their_own_settings_and_branches() {
    let server = start(None).await;
    let a = server.connect("demo").await;
    a.batch_execute("CALL create_branch('b1')").await.unwrap();
    let b = server.connect("demo@b1").await;
    let c = server.connect("demo").await;
    let branch = |rows: Vec<SimpleQueryMessage>| simple_rows(&rows)[0][0].clone().unwrap();
    assert_eq!(
        branch(b.simple_query("SHOW omnigraph.branch").await.unwrap()),
        "b1"
    );
    assert_eq!(
        branch(c.simple_query("SHOW omnigraph.branch").await.unwrap()),
        "main"
    );
    b.batch_execute("INSERT INTO person (name) VALUES ('OnlyOnB1')")
        .await
        .unwrap();
    let on_main: i64 = c
        .query_one("SELECT count(*) FROM person WHERE name = 'OnlyOnB1'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(on_main, 0);

    a.batch_execute("SET statement_timeout = '5s'; SET application_name = 'a-app'")
        .await
        .unwrap();
    let a_timeout = branch(a.simple_query("SHOW statement_timeout").await.unwrap());
    let c_timeout = branch(c.simple_query("SHOW statement_timeout").await.unwrap());
    assert_eq!((a_timeout.as_str(), c_timeout.as_str()), ("5000", "0"));
    let setting: String = a
        .query_one("SELECT current_setting('application_name')", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(setting, "a-app");
    // pg_settings shows each connection's own parameters as they are now.
    let in_pg_settings = |rows: Vec<SimpleQueryMessage>| {
        simple_rows(&rows)
            .iter()
            .map(|r| r[0].clone().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let sql = "SELECT setting FROM pg_catalog.pg_settings WHERE name = 'application_name'";
    assert_eq!(
        in_pg_settings(a.simple_query(sql).await.unwrap()),
        ["a-app"]
    );
    assert_ne!(
        in_pg_settings(c.simple_query(sql).await.unwrap()),
        ["a-app"]
    );
    let sql = "SELECT setting FROM pg_catalog.pg_settings WHERE name = 'max_index_keys'";
    assert_eq!(in_pg_settings(c.simple_query(sql).await.unwrap()), ["32"]);
    let err = c.batch_execute("SET max_index_keys = 4").await.unwrap_err();
    assert_eq!(sqlstate(&err), "55P02");
    a.batch_execute("SET omnigraph.branch = 'b1'")
        .await
        .unwrap();
    assert_eq!(
        branch(c.simple_query("SHOW omnigraph.branch").await.unwrap()),
        "main"
    );

    // Unknown databases and branches: 3D000 at connect.
    let err = server
        .try_connect("tester", None, "nope")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "3D000");
    let err = server
        .try_connect("tester", None, "demo@nope")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "3D000");
}

#[tokio::test]
async fn prepared_statements_follow_schema_and_branch_changes() {
    let server = start(None).await;
    let client = server.connect("demo").await;
    let statement = client
        .prepare("SELECT * FROM company WHERE name = $1")
        .await
        .unwrap();
    let before = client.query(&statement, &[&"acme"]).await.unwrap();
    let columns_before = statement.columns().len();
    let schema = omnigraph_sql::demo::DEMO_SCHEMA
        .replace("industry: String?", "industry: String?, founded: I32?");
    client
        .execute("CALL apply_schema($1)", &[&schema])
        .await
        .unwrap();
    let again = client
        .prepare("SELECT * FROM company WHERE name = $1")
        .await
        .unwrap();
    assert_eq!(again.columns().len(), columns_before + 1);
    // The handle prepared before the change fails as PostgreSQL's would (its rows would
    // not match the columns the client holds); prepared again, it reads the new schema.
    let err = client.query(&statement, &[&"acme"]).await.unwrap_err();
    assert_eq!(sqlstate(&err), "0A000");
    let after = client.query(&again, &[&"acme"]).await.unwrap();
    assert_eq!(after.len(), before.len());
    assert_eq!(after[0].len(), columns_before + 1);
    // And a branch switch is seen by statements prepared before it.
    let count = client.prepare("SELECT count(*) FROM person").await.unwrap();
    let on_main: i64 = client.query_one(&count, &[]).await.unwrap().get(0);
    client.batch_execute("CALL create_branch('side'); SET omnigraph.branch = 'side'; DELETE FROM person WHERE age > 30").await.unwrap();
    let on_side: i64 = client.query_one(&count, &[]).await.unwrap().get(0);
    assert!(on_side < on_main, "{on_side} {on_main}");
}

#[tokio::test]
async fn version_and_catalog_look_like_postgres() {
    let server = start(None).await;
    let client = server.connect("demo").await;
    let version: String = client
        .query_one("SELECT version()", &[])
        .await
        .unwrap()
        .get(0);
    assert!(version.starts_with("PostgreSQL 15"), "{version}");
    let database: String = client
        .query_one("SELECT current_database()", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(database, "demo");
    let tables = client
        .simple_query(
            "SELECT c.relname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' ORDER BY 1",
        )
        .await
        .unwrap();
    let names: Vec<String> = simple_rows(&tables)
        .into_iter()
        .filter_map(|r| r[0].clone())
        .collect();
    for t in ["company", "knows", "person", "works_at"] {
        assert!(names.contains(&t.to_string()), "{t} missing from {names:?}");
    }
    let columns = client
        .query(
            "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'person' ORDER BY ordinal_position",
            &[],
        )
        .await
        .unwrap();
    assert!(columns.len() >= 4);

    // Every graph table's `id` is its primary key, as pgjdbc's getPrimaryKeys reads it
    // (`_pg_expandarray` over `pg_index.indkey`, then `(record).field`).
    let keys = client
        .simple_query(
            "SELECT result.COLUMN_NAME, result.KEY_SEQ, result.PK_NAME FROM (SELECT n.nspname AS TABLE_SCHEM, a.attname AS COLUMN_NAME, (information_schema._pg_expandarray(i.indkey)).n AS KEY_SEQ, ci.relname AS PK_NAME, information_schema._pg_expandarray(i.indkey) AS KEYS, a.attnum AS A_ATTNUM FROM pg_catalog.pg_class ct JOIN pg_catalog.pg_attribute a ON (ct.oid = a.attrelid) JOIN pg_catalog.pg_namespace n ON (ct.relnamespace = n.oid) JOIN pg_catalog.pg_index i ON (a.attrelid = i.indrelid) JOIN pg_catalog.pg_class ci ON (ci.oid = i.indexrelid) WHERE ct.relname = E'person' AND n.nspname = 'public' AND i.indisprimary) result WHERE result.A_ATTNUM = (result.KEYS).x",
        )
        .await
        .unwrap();
    let keys: Vec<Vec<Option<String>>> = simple_rows(&keys);
    assert_eq!(
        keys,
        vec![vec![
            Some("id".to_string()),
            Some("1".to_string()),
            Some("person_pkey".to_string())
        ]]
    );
    let constraints = client
        .query(
            "SELECT conname FROM pg_catalog.pg_constraint c JOIN pg_catalog.pg_class t ON t.oid = c.conrelid JOIN pg_catalog.pg_namespace n ON n.oid = t.relnamespace WHERE c.contype = 'p' AND n.nspname = 'public' AND 1 = ANY(c.conkey) ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    let names: Vec<String> = constraints.iter().map(|r| r.get(0)).collect();
    assert_eq!(
        names,
        ["company_pkey", "knows_pkey", "person_pkey", "works_at_pkey"]
    );
    // Catalog columns go out in PostgreSQL's types: `name`, `"char"`, and
    // information_schema's domains over `name` and `varchar`.
    let described = client
        .prepare(
            "SELECT c.relname, c.relkind, n.nspname FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace",
        )
        .await
        .unwrap();
    let types: Vec<_> = described
        .columns()
        .iter()
        .map(|c| c.type_().clone())
        .collect();
    assert_eq!(
        types,
        [
            tokio_postgres::types::Type::NAME,
            tokio_postgres::types::Type::CHAR,
            tokio_postgres::types::Type::NAME
        ]
    );
    let described = client
        .prepare("SELECT table_name, table_type FROM information_schema.tables")
        .await
        .unwrap();
    let types: Vec<_> = described
        .columns()
        .iter()
        .map(|c| c.type_().clone())
        .collect();
    assert_eq!(
        types,
        [
            tokio_postgres::types::Type::NAME,
            tokio_postgres::types::Type::VARCHAR
        ]
    );
    // Edges reference their endpoints.
    let foreign = client
        .query(
            "SELECT conname, pg_catalog.pg_get_constraintdef(oid) FROM pg_catalog.pg_constraint WHERE contype = 'f' ORDER BY 1",
            &[],
        )
        .await
        .unwrap();
    let foreign: Vec<(String, String)> = foreign.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        foreign[0],
        (
            "knows_dst_fkey".to_string(),
            "FOREIGN KEY (dst) REFERENCES person(id)".to_string()
        )
    );
    assert_eq!(foreign.len(), 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_autocommit_inserts_all_commit() {
    let server = start(None).await;
    let mut writers = Vec::new();
    for w in 0..8 {
        let client = server.connect("demo").await;
        writers.push(tokio::spawn(async move {
            let insert = client
                .prepare("INSERT INTO person (name, age) VALUES ($1, $2)")
                .await
                .unwrap();
            for i in 0..4 {
                let name = format!("writer{w}.row{i}");
                client
                    .execute(&insert, &[&name, &(w * 10 + i)])
                    .await
                    .unwrap();
            }
        }));
    }
    for writer in writers {
        writer.await.unwrap();
    }
    let client = server.connect("demo").await;
    let written: i64 = client
        .query_one("SELECT count(*) FROM person WHERE name LIKE 'writer%'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(
        written, 32,
        "every autocommit insert of a distinct key commits"
    );
}

#[tokio::test]
async fn result_columns_carry_postgresql_names_over_both_protocols() {
    let server = start(None).await;
    let client = server.connect("demo").await;
    // The names PostgreSQL 15 sends for these columns (checked with psql).
    let sql = "SELECT count(*), max(age), 1, 2, version(), CAST(age AS text), 1::text, \
               '1'::int, CASE WHEN true THEN 1 END, (SELECT 1), name AS n, person.name \
               FROM person GROUP BY age, name LIMIT 1";
    let expected = [
        "count", "max", "?column?", "?column?", "version", "age", "text", "int4", "case",
        "?column?", "n", "name",
    ];
    let messages = client.simple_query(sql).await.unwrap();
    let simple: Vec<String> = messages
        .iter()
        .find_map(|m| match m {
            SimpleQueryMessage::RowDescription(columns) => {
                Some(columns.iter().map(|c| c.name().to_string()).collect())
            }
            _ => None,
        })
        .expect("a row description");
    assert_eq!(simple, expected);
    let statement = client.prepare(sql).await.unwrap();
    let extended: Vec<&str> = statement.columns().iter().map(|c| c.name()).collect();
    assert_eq!(extended, expected);
    let row = client.query_one(sql, &[]).await.unwrap();
    let count: i64 = row.get("count");
    assert_eq!(count, 1);
}

#[tokio::test]
async fn startup_options_set_the_graph_settings_or_fail_the_connection() {
    let server = start(None).await;
    let admin = server.connect("demo").await;
    admin
        .batch_execute("CALL create_branch('b2')")
        .await
        .unwrap();
    let with_options =
        |options: &str| format!("{} options='{options}'", server.url("tester", "demo"));
    let connect = |url: String| async move {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok::<_, tokio_postgres::Error>(client)
    };
    let setting = |rows: Vec<SimpleQueryMessage>| simple_rows(&rows)[0][0].clone().unwrap();

    let on_b2 = connect(with_options("-c omnigraph.branch=b2"))
        .await
        .unwrap();
    assert_eq!(
        setting(on_b2.simple_query("SHOW omnigraph.branch").await.unwrap()),
        "b2"
    );
    on_b2
        .batch_execute("INSERT INTO person (name) VALUES ('only_on_b2')")
        .await
        .unwrap();
    let on_main: i64 = admin
        .query_one("SELECT count(*) FROM person WHERE name = 'only_on_b2'", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(on_main, 0);

    let version: String = setting(
        admin
            .simple_query("SELECT head_version::text FROM omnigraph.branches WHERE name = 'b2'")
            .await
            .unwrap(),
    );
    let as_of = connect(with_options(&format!(
        "-c omnigraph.as_of={version} -c omnigraph.branch=b2"
    )))
    .await
    .unwrap();
    assert_eq!(
        setting(as_of.simple_query("SHOW omnigraph.as_of").await.unwrap()),
        version
    );
    assert_eq!(
        setting(as_of.simple_query("SHOW omnigraph.branch").await.unwrap()),
        "b2"
    );

    // The branch is set first, whatever the order given: the version is b2's.
    // A value SET refuses fails the connection with SET's SQLSTATE.
    for (name, value) in [
        ("omnigraph.branch", "nope"),
        ("omnigraph.as_of", "no-such-ref"),
        ("omnigraph.max_write_rows", "-1"),
        ("omnigraph.no_such_setting", "1"),
    ] {
        let set = admin
            .batch_execute(&format!("SET {name} = '{value}'"))
            .await
            .unwrap_err();
        let err = connect(with_options(&format!("-c {name}={value}")))
            .await
            .err()
            .unwrap_or_else(|| panic!("{name}={value} connected"));
        assert_eq!(sqlstate(&err), sqlstate(&set), "{name}={value}: {err}");
        let severity = err.as_db_error().map(|e| e.severity().to_string());
        assert_eq!(severity.as_deref(), Some("FATAL"), "{name}={value}");
    }
}

#[tokio::test]
async fn create_database_points_to_graph_directories() {
    let server = start(None).await;
    let client = server.connect("demo").await;
    for sql in ["CREATE DATABASE foo", "DROP DATABASE demo"] {
        let err = client.batch_execute(sql).await.unwrap_err();
        assert_eq!(sqlstate(&err), "0A000", "{sql}");
    }
    let err = server.try_connect("tester", None, "foo").await.unwrap_err();
    assert_eq!(sqlstate(&err), "3D000");
}

#[tokio::test]
async fn returning_cursors_explain_and_read_only_over_both_protocols() {
    let server = start(None).await;
    let client = server.connect("demo").await;
    // RETURNING: rows and the write's own tag, simple and extended (Describe gives the
    // RETURNING columns).
    let messages = client
        .simple_query(
            "INSERT INTO person (name, age) VALUES ('wire.ret', 5) RETURNING name, age + 1",
        )
        .await
        .unwrap();
    assert_eq!(
        simple_rows(&messages),
        [[Some("wire.ret".to_string()), Some("6".to_string())]]
    );
    assert_eq!(command_tags(&messages), [1]);
    let statement = client
        .prepare("UPDATE person SET age = $1 WHERE name = $2 RETURNING name, age")
        .await
        .unwrap();
    let names: Vec<&str> = statement.columns().iter().map(|c| c.name()).collect();
    assert_eq!(names, ["name", "age"]);
    let rows = client
        .query(&statement, &[&9i32, &"wire.ret"])
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].get::<_, i32>(1), 9);
    let deleted = client
        .execute(
            "DELETE FROM person WHERE name = $1 RETURNING *",
            &[&"wire.ret"],
        )
        .await
        .unwrap();
    assert_eq!(deleted, 1);

    // Cursors: FETCH is described with the cursor's columns.
    client
        .batch_execute("BEGIN; DECLARE c CURSOR FOR SELECT name FROM company ORDER BY name")
        .await
        .unwrap();
    let fetch = client.prepare("FETCH 3 FROM c").await.unwrap();
    assert_eq!(fetch.columns()[0].name(), "name");
    assert_eq!(client.query(&fetch, &[]).await.unwrap().len(), 3);
    let messages = client.simple_query("FETCH ALL IN c").await.unwrap();
    assert_eq!(simple_rows(&messages).len(), 17);
    client.batch_execute("CLOSE c; COMMIT").await.unwrap();

    // EXPLAIN: one QUERY PLAN column.
    let explain = client
        .prepare("EXPLAIN (FORMAT JSON) SELECT name FROM person")
        .await
        .unwrap();
    assert_eq!(explain.columns()[0].name(), "QUERY PLAN");
    assert_eq!(explain.columns()[0].type_(), &Type::JSON);
    let messages = client
        .simple_query("EXPLAIN SELECT name FROM person")
        .await
        .unwrap();
    assert!(simple_rows(&messages).len() > 1);

    // READ ONLY, and the DDL hint.
    client.batch_execute("BEGIN READ ONLY").await.unwrap();
    let err = client
        .batch_execute("INSERT INTO person (name) VALUES ('wire.ro')")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "25006");
    client.batch_execute("ROLLBACK").await.unwrap();
    let err = client
        .batch_execute("CREATE TABLE t (a int)")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "0A000");
    let hint = err.as_db_error().and_then(|e| e.hint()).unwrap_or_default();
    assert!(hint.contains("apply_schema"), "{hint}");
}
