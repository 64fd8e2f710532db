//! psql, the reference client: its backslash commands send catalog queries that must
//! answer in Postgres shape.

use std::process::Command;

use crate::common::start;

fn psql(server: &crate::common::TestServer, database: &str, command: &str) -> (bool, String) {
    let output = Command::new("psql")
        .args(["-X", "-v", "ON_ERROR_STOP=1", "-h"])
        .arg(server.addr.ip().to_string())
        .arg("-p")
        .arg(server.addr.port().to_string())
        .args(["-U", "tester", "-d", database, "-c", command])
        .output()
        .expect("psql is installed (.ci/run installs postgresql-client)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

// psql runs as a blocking child process, so the server needs a thread of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_describes_the_graph() {
    let server = start(None).await;
    let (ok, out) = psql(&server, "demo", "\\dt");
    assert!(ok, "{out}");
    // Each table once, under `public`: its branch's schema (`main`) is not on the
    // search path.
    for table in ["person", "knows", "company", "works_at"] {
        let rows: Vec<&str> = out
            .lines()
            .filter(|l| l.split('|').nth(1).map(str::trim) == Some(table))
            .collect();
        assert_eq!(rows.len(), 1, "{out}");
        assert_eq!(
            rows[0].split('|').next().map(str::trim),
            Some("public"),
            "{out}"
        );
    }
    let (ok, out) = psql(&server, "demo", "\\d person");
    assert!(ok, "{out}");
    assert!(out.contains("Table \"public.person\""), "{out}");
    assert!(out.contains(" age    | integer"), "{out}");
    // The key and its index, as PostgreSQL prints them.
    assert!(
        out.contains("\"person_pkey\" PRIMARY KEY, btree (id)"),
        "{out}"
    );
    // `psql -l` connects to the maintenance database `postgres`: it lists the graphs.
    let (ok, out) = psql(&server, "postgres", "\\l");
    assert!(ok, "{out}");
    assert!(out.contains(" demo "), "{out}");
    // Only the graphs: no `postgres` database that does not exist.
    assert!(
        !out.lines()
            .any(|l| l.split('|').next().map(str::trim) == Some("postgres")),
        "{out}"
    );
    let (ok, out) = psql(&server, "demo", "\\d+ person");
    assert!(ok, "{out}");
    assert!(out.contains(" city   | text"), "{out}");
    for command in ["\\dn", "\\l", "\\df", "\\du", "\\dt+"] {
        let (ok, out) = psql(&server, "demo", command);
        assert!(ok, "{command}: {out}");
    }
    let (ok, out) = psql(
        &server,
        "demo",
        "SELECT name FROM person ORDER BY name LIMIT 2; SHOW omnigraph.branch",
    );
    assert!(ok, "{out}");
    assert!(out.contains("main"), "{out}");
    let (ok, out) = psql(&server, "demo", "SELECT * FROM nope");
    assert!(!ok);
    assert!(out.contains("ERROR"), "{out}");
    let (ok, out) = psql(&server, "nope", "SELECT 1");
    assert!(!ok);
    assert!(out.contains("database \"nope\" does not exist"), "{out}");
}

/// psql's describe commands over the graph's keys and its catalog, as PostgreSQL 15 prints
/// them for the same tables.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_describes_keys_schemas_and_objects() {
    let server = start(None).await;
    let describe = |command: &str| {
        let (ok, out) = psql(&server, "demo", command);
        assert!(ok, "{command}: {out}");
        out
    };
    // An edge table's foreign keys, and the node table they reference.
    let out = describe("\\d knows");
    assert!(out.contains("Foreign-key constraints:"), "{out}");
    assert!(out.contains("\"knows_src_idx\" btree (src)"), "{out}");
    assert!(
        out.contains("\"knows_dst_fkey\" FOREIGN KEY (dst) REFERENCES person(id)"),
        "{out}"
    );
    let out = describe("\\d person");
    assert!(out.contains("Referenced by:"), "{out}");
    assert!(
        out.contains(
            "TABLE \"knows\" CONSTRAINT \"knows_dst_fkey\" FOREIGN KEY (dst) REFERENCES person(id)"
        ),
        "{out}"
    );
    // `public` is owned by pg_database_owner, as in PostgreSQL 15.
    let out = describe("\\dn");
    assert!(
        out.lines().any(|l| l
            .split('|')
            .map(str::trim)
            .eq(["public", "pg_database_owner"])),
        "{out}"
    );
    let out = describe("\\di");
    // Keys' indexes, and the others the schema declares (an edge's endpoints, a @key).
    for (index, table) in [
        ("person_pkey", "person"),
        ("knows_pkey", "knows"),
        ("knows_src_idx", "knows"),
        ("person_name_idx", "person"),
    ] {
        assert!(
            out.lines().any(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                cells.get(1) == Some(&index) && cells.get(4) == Some(&table)
            }),
            "{out}"
        );
    }
    let out = describe("\\dt+");
    assert!(out.contains("| heap "), "{out}");
    // Tables without grants; no comments or operators of our own: empty lists, not errors.
    assert!(describe("\\dp").contains("| person   | table |"));
    for command in ["\\dd", "\\do"] {
        let out = describe(command);
        assert!(out.contains("(0 rows)"), "{command}: {out}");
    }
    // The graph's procedures and table functions, one row per signature, as PostgreSQL
    // lists a procedure's result columns (OUT arguments) and a function's TABLE(...).
    let out = describe("\\df");
    let row = |name: &str, arguments: &str| {
        out.lines().any(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            cells.get(1) == Some(&name) && cells.get(3) == Some(&arguments)
        })
    };
    assert!(
        row(
            "create_branch",
            "name text, OUT branch text, OUT created_from text"
        ),
        "{out}"
    );
    assert!(
        row(
            "neighbors",
            "edge_table text, start_id text, direction text"
        ),
        "{out}"
    );
    assert!(
        out.contains("omnigraph | traverse        | TABLE(node_id text, depth integer)"),
        "{out}"
    );
    // `\sf` of one signature; a name several signatures share is 42725, as in PostgreSQL.
    let out = describe("\\sf omnigraph.traverse(text, text, integer)");
    assert!(
        out.starts_with(
            "CREATE OR REPLACE FUNCTION omnigraph.traverse(edge_table text, start_id text, \
             max_depth integer)\n RETURNS TABLE(node_id text, depth integer)"
        ),
        "{out}"
    );
    let out = describe("\\sf create_branch(text)");
    assert!(
        out.contains("PROCEDURE omnigraph.create_branch(IN name text"),
        "{out}"
    );
    let (ok, out) = psql(&server, "demo", "\\sf neighbors");
    assert!(
        !ok && out.contains("more than one function named \"neighbors\""),
        "{out}"
    );
    let (ok, out) = psql(&server, "demo", "\\sf nowhere(text)");
    assert!(!ok && out.contains("does not exist"), "{out}");
    // Access privileges of `public` as PostgreSQL 15 has them.
    let out = describe("\\dn+");
    assert!(
        out.contains("pg_database_owner=UC/pg_database_owner"),
        "{out}"
    );
    for command in ["\\dT+ int4", "\\dL+", "\\df+ neighbors"] {
        describe(command);
    }
}

/// `CREATE INDEX`/`DROP INDEX` from psql: the command tags, the notice of `IF NOT EXISTS`,
/// and the index in `\di`, `\d t` and `pg_indexes` until it is dropped.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn psql_creates_lists_and_drops_an_index() {
    let server = start(None).await;
    let run = |command: &str| {
        let (ok, out) = psql(&server, "demo", command);
        assert!(ok, "{command}: {out}");
        out
    };
    assert_eq!(run("CREATE INDEX ON person (age)").trim(), "CREATE INDEX");
    let out = run("CREATE INDEX IF NOT EXISTS person_age_idx ON person (age)");
    assert!(
        out.contains("NOTICE:  relation \"person_age_idx\" already exists, skipping"),
        "{out}"
    );
    run("CREATE INDEX person_city ON person USING btree (city)");
    let out = run("\\di");
    for index in ["person_age_idx", "person_city"] {
        assert!(
            out.lines().any(|l| {
                let cells: Vec<&str> = l.split('|').map(str::trim).collect();
                cells.get(1) == Some(&index) && cells.get(4) == Some(&"person")
            }),
            "{out}"
        );
    }
    let out = run("\\d person");
    assert!(out.contains("\"person_age_idx\" btree (age)"), "{out}");
    assert!(out.contains("\"person_city\" btree (city)"), "{out}");
    let out = run("SELECT indexdef FROM pg_indexes WHERE indexname = 'person_city'");
    assert!(
        out.contains("CREATE INDEX person_city ON public.person USING btree (city)"),
        "{out}"
    );
    let (ok, out) = psql(&server, "demo", "DROP INDEX person_pkey");
    assert!(
        !ok && out.contains("cannot drop index person_pkey"),
        "{out}"
    );
    assert_eq!(run("DROP INDEX person_city").trim(), "DROP INDEX");
    let out = run("\\d person");
    assert!(!out.contains("person_city"), "{out}");
    assert!(out.contains("\"person_age_idx\" btree (age)"), "{out}");
}
