use crate::common::*;
use datafusion::arrow::datatypes::DataType;

#[tokio::test]
async fn the_demo_graph_is_queryable() {
    let (_dir, s) = demo_session().await;
    assert!(
        table(&s, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 200 |")
    );
    assert!(
        table(&s, "SELECT count(*) AS n FROM company")
            .await
            .contains("| 20 |")
    );
    assert!(
        table(&s, "SELECT count(*) AS n FROM knows")
            .await
            .contains("| 500 |")
    );
    let t = table(
        &s,
        "SELECT c.name, count(*) AS staff FROM works_at w JOIN company c ON w.dst = c.id \
         GROUP BY c.name ORDER BY staff DESC, c.name LIMIT 3",
    )
    .await;
    assert_eq!(t.lines().count(), 7, "{t}");
}

#[tokio::test]
async fn call_runs_procedures_and_set_switches_branches() {
    let (_dir, s) = demo_session().await;
    let r = s.execute("CALL create_branch('feature')").await.unwrap();
    assert_eq!(r[0].tag, "CALL");
    s.execute("SET omnigraph.branch = 'feature'").await.unwrap();
    assert!(table(&s, "SHOW omnigraph.branch").await.contains("feature"));
    s.execute("SET omnigraph.commit_message = 'new schema on feature'")
        .await
        .unwrap();
    s.execute(&format!(
        "CALL apply_schema('{}')",
        format!(
            "{}\nnode City {{ name: String @key }}",
            omnigraph_sql::demo::DEMO_SCHEMA
        )
        .replace('\'', "''")
    ))
    .await
    .unwrap();
    assert!(
        table(
            &s,
            "SELECT message FROM omnigraph.commits ORDER BY committed_at DESC LIMIT 1"
        )
        .await
        .contains("new schema on feature")
    );
    assert!(
        table(&s, "SELECT count(*) AS n FROM omnigraph.tables")
            .await
            .contains("| 5 |")
    );
    s.execute("RESET omnigraph.branch").await.unwrap();
    assert!(table(&s, "SHOW omnigraph.branch").await.contains("main"));
    assert!(
        table(&s, "SELECT count(*) AS n FROM omnigraph.tables")
            .await
            .contains("| 4 |")
    );
    assert!(
        table(&s, "SELECT count(*) AS n FROM \"feature\".city")
            .await
            .contains("| 0 |")
    );
    s.execute("CALL delete_branch('feature')").await.unwrap();
    assert_eq!(
        err(&s, "SELECT * FROM feature.person").await.sqlstate(),
        "3F000"
    );
}

#[tokio::test]
async fn load_takes_csv_rows_of_the_type_it_is_given() {
    let (_dir, s) = demo_session().await;
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("staff.csv");
    std::fs::write(&path, "name,age\ncsv.a,41\ncsv.b,\n").unwrap();
    // The file's name names no type: the load asks for one, and writes nothing.
    let e = err(&s, &format!("CALL load('{}', 'append')", path.display())).await;
    assert!(e.message.contains("which node or edge type"), "{e}");
    let e = err(
        &s,
        &format!("CALL load('{}', 'append', 'Nosuch')", path.display()),
    )
    .await;
    assert_eq!(e.sqlstate(), "42P01", "{e}");
    s.execute(&format!(
        "CALL load('{}', 'append', 'Person')",
        path.display()
    ))
    .await
    .unwrap();
    let rows = table(
        &s,
        "SELECT name, age FROM person WHERE name LIKE 'csv.%' ORDER BY name",
    )
    .await;
    assert!(rows.contains("| csv.a | 41  |"), "{rows}");
    assert!(rows.contains("| csv.b |     |"), "{rows}");
}

#[tokio::test]
async fn all_three_time_travel_forms_return_historical_rows() {
    let (_dir, s) = demo_session().await;
    let version = s
        .graph_context()
        .graph()
        .snapshot("main")
        .await
        .unwrap()
        .version();
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("more.ndjson");
    std::fs::write(
        &path,
        "{\"type\":\"Person\",\"data\":{\"name\":\"newcomer\"}}\n",
    )
    .unwrap();
    s.execute(&format!("CALL load('{}', 'append')", path.display()))
        .await
        .unwrap();
    assert!(
        table(&s, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 201 |")
    );
    assert!(
        table(
            &s,
            &format!("SELECT count(*) AS n FROM person FOR SYSTEM_TIME AS OF {version}")
        )
        .await
        .contains("| 200 |")
    );
    assert!(
        table(
            &s,
            &format!("SELECT count(*) AS n FROM as_of('person', {version})")
        )
        .await
        .contains("| 200 |")
    );
    s.execute(&format!("SET omnigraph.as_of = {version}"))
        .await
        .unwrap();
    assert!(
        table(&s, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 200 |")
    );
    let e = err(&s, &format!("CALL load('{}')", path.display())).await;
    assert!(e.message.contains("read-only"), "{e}");
    assert_eq!(e.sqlstate(), "25006");
    s.execute("RESET omnigraph.as_of").await.unwrap();
    assert!(
        table(&s, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 201 |")
    );
}

#[tokio::test]
async fn errors_carry_sqlstates() {
    let (_dir, s) = demo_session().await;
    for (sql, state) in [
        ("SELECT * FROM robots", "42P01"),
        ("SELECT shoe_size FROM person", "42703"),
        ("SELEC 1", "42601"),
        ("SELECT * FROM nosuch.person", "3F000"),
        ("SET omnigraph.branch = 'nosuch'", "3F000"),
        ("SET omnigraph.as_of = 'not-a-ref'", "22023"),
        ("SET omnigraph.colour = 'blue'", "42704"),
        ("SELECT * FROM as_of('person', 'nope')", "22023"),
        ("CALL frobnicate()", "42883"),
        ("CALL create_branch('main')", "42602"),
        ("CALL apply_schema('node A { x: Strin }')", "42601"),
        ("SELECT 1/0", "22012"),
        ("SELECT * FROM neighbors('knows', 'nobody')", "22023"),
        (
            "SELECT * FROM traverse('person', 'alice.smith', 2)",
            "22023",
        ),
        (
            "SELECT * FROM traverse('knows', 'alice.smith', 1, 2)",
            "22023",
        ),
        ("SELECT * FROM neighbors('robots', 'x')", "42P01"),
    ] {
        let e = err(&s, sql).await;
        assert_eq!(e.sqlstate(), state, "{sql}: {e}");
    }
    s.execute("CALL create_branch('dup')").await.unwrap();
    assert_eq!(
        err(&s, "CALL create_branch('dup')").await.sqlstate(),
        "42P06"
    );
}

/// Long chains of an associative operation run as PostgreSQL runs them (it flattens
/// `AND`/`OR` lists); statements that still nest deeper than the limit fail with 54001,
/// as PostgreSQL's do when they would overrun its stack, however the nesting is written.
#[tokio::test]
async fn long_chains_run_and_statements_nesting_too_deep_fail_with_54001() {
    let (_dir, s) = demo_session().await;
    let chain = |term: &str, operator: &str, n: usize| vec![term; n].join(operator);
    let deep = [
        format!("SELECT {}", chain("1", " + ", 20_000)),
        format!("SELECT {}", chain("age", " * ", 5_000)),
        format!("SELECT {}1{}", "(".repeat(5_000), ")".repeat(5_000)),
        format!(
            "SELECT * FROM {}SELECT 1{} AS t",
            "(".repeat(3_000),
            ")".repeat(3_000)
        ),
        format!("EXPLAIN SELECT {}", chain("'a'", " || ", 20_000)),
        format!(
            "UPDATE person SET age = {} WHERE name = 'x'",
            chain("1", " + ", 20_000)
        ),
        format!("SELECT {}", chain("1", " - ", 300)),
    ];
    for sql in &deep {
        let e = err(&s, sql).await;
        assert_eq!(e.sqlstate(), "54001", "{}...: {e}", &sql[..40]);
    }
    let count = |sql: String| {
        let s = &s;
        async move { table(s, &sql).await }
    };
    let ors = count(format!(
        "SELECT count(*) AS n FROM person WHERE {}",
        chain("age = -1", " OR ", 10_000)
    ))
    .await;
    assert!(ors.contains("| 0 |"), "{ors}");
    let ands = count(format!(
        "SELECT count(*) AS n FROM person WHERE {}",
        chain("age > -1", " AND ", 10_000)
    ))
    .await;
    let all = count("SELECT count(*) AS n FROM person WHERE age > -1".to_string()).await;
    assert_eq!(ands, all);
    let unions = count(format!(
        "SELECT count(*) AS n FROM ({}) AS u",
        chain("SELECT 1", " UNION ALL ", 3_000)
    ))
    .await;
    assert!(unions.contains("| 3000 |"), "{unions}");
    let distinct = count(format!(
        "SELECT count(*) AS n FROM ({}) AS u",
        chain("SELECT 1", " UNION ", 3_000)
    ))
    .await;
    assert!(distinct.contains("| 1 |"), "{distinct}");
    let nested = count(format!(
        "SELECT {}7{} AS n",
        "(".repeat(100),
        ")".repeat(100)
    ))
    .await;
    assert!(nested.contains("| 7 |"), "{nested}");
    // An operand's order survives the regrouping: the first SELECT names the column.
    let named = count(format!(
        "SELECT first FROM (SELECT 1 AS first UNION ALL {}) AS u LIMIT 1",
        chain("SELECT 2", " UNION ALL ", 100)
    ))
    .await;
    assert!(named.contains("first"), "{named}");
}

/// Within the limit a deep expression plans and runs, on a thread with the stack it
/// needs (a test thread has 2 MB; a main thread and the server's statement threads more).
#[test]
fn expressions_nesting_up_to_the_limit_run() {
    let deep = std::thread::Builder::new()
        .stack_size(64 << 20)
        .spawn(|| {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let (_dir, s) = demo_session().await;
                let terms = omnigraph_sql::nesting::MAX_NESTING - 10;
                let sum = table(&s, &format!("SELECT {} AS n", vec!["1"; terms].join(" + "))).await;
                assert!(sum.contains(&format!("| {terms} |")), "{sum}");
                let ages = table(
                    &s,
                    &format!(
                        "SELECT count(*) AS n FROM person WHERE {} > 0",
                        vec!["age"; terms].join(" + ")
                    ),
                )
                .await;
                assert!(ages.contains("| n "), "{ages}");
            })
        })
        .unwrap();
    deep.join().unwrap();
}

#[tokio::test]
async fn integrity_errors_carry_their_sqlstates_and_change_nothing() {
    let (_dir, s) = demo_session().await;
    let dir = tempfile::TempDir::new().unwrap();
    let before = s
        .graph_context()
        .graph()
        .snapshot("main")
        .await
        .unwrap()
        .version();
    for (name, content, mode, state) in [
        (
            "dup.ndjson",
            r#"{"type":"Person","data":{"name":"alice.smith"}}"#,
            "append",
            "23505",
        ),
        (
            "orphan.ndjson",
            r#"{"edge":"Knows","from":"alice.smith","to":"nobody"}"#,
            "append",
            "23503",
        ),
        (
            "required.ndjson",
            r#"{"type":"Company","data":{"industry":"x"}}"#,
            "append",
            "23502",
        ),
        ("json.ndjson", "{not json", "append", "22P02"),
        (
            "type.ndjson",
            r#"{"type":"Person","data":{"name":"x","age":"old"}}"#,
            "append",
            "22P02",
        ),
        (
            "card.ndjson",
            r#"{"type":"Person","data":{"name":"new"}}
{"edge":"WorksAt","from":"new","to":"acme"}
{"edge":"WorksAt","from":"new","to":"globex"}"#,
            "append",
            "23514",
        ),
        (
            "mode.ndjson",
            r#"{"type":"Person","data":{"name":"y"}}"#,
            "sideways",
            "22023",
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, content).unwrap();
        let e = err(&s, &format!("CALL load('{}', '{mode}')", path.display())).await;
        assert_eq!(e.sqlstate(), state, "{name}: {e}");
    }
    let e = err(&s, "CALL apply_schema('node Person { name: String @key }')").await;
    assert_eq!(e.sqlstate(), "42P16", "{e}");
    assert_eq!(
        err(&s, "SELECT id FROM person, company").await.sqlstate(),
        "42702"
    );
    let after = s
        .graph_context()
        .graph()
        .snapshot("main")
        .await
        .unwrap()
        .version();
    assert_eq!(before, after, "no failed statement published anything");
}

#[tokio::test]
async fn call_merge_and_its_conflicts_over_the_session() {
    let (_dir, s) = demo_session().await;
    s.execute("CALL create_branch('feature')").await.unwrap();
    let dir = tempfile::TempDir::new().unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let theirs = write(
        "theirs.ndjson",
        "{\"type\":\"Person\",\"data\":{\"name\":\"alice.smith\",\"age\":1,\"city\":\"Oslo\"}}\n",
    );
    let ours = write(
        "ours.ndjson",
        "{\"type\":\"Person\",\"data\":{\"name\":\"alice.smith\",\"age\":2,\"city\":\"Oslo\"}}\n",
    );
    s.execute("SET omnigraph.branch = 'feature'").await.unwrap();
    s.execute(&format!("CALL load('{theirs}')")).await.unwrap();
    s.execute("RESET omnigraph.branch").await.unwrap();
    s.execute(&format!("CALL load('{ours}')")).await.unwrap();
    let t = table(&s, "CALL merge_conflicts('feature')").await;
    assert!(t.contains("divergent_update"), "{t}");
    let e = err(&s, "CALL merge('feature')").await;
    assert_eq!(e.sqlstate(), "23000", "{e}");
    assert!(e.to_string().contains("alice.smith"), "{e}");
    // Resolve by taking the source's value on main, then merge.
    s.execute(&format!("CALL load('{theirs}')")).await.unwrap();
    let r = s.execute("CALL merge('feature')").await.unwrap();
    assert_eq!(r[0].tag, "CALL");
    let t = table(&s, "CALL merge('feature', 'main')").await;
    assert!(t.contains("up_to_date"), "{t}");
    assert_eq!(err(&s, "CALL merge('main')").await.sqlstate(), "22023");
    assert_eq!(err(&s, "CALL merge('ghost')").await.sqlstate(), "3F000");
}

#[tokio::test]
async fn statements_with_placeholders_are_described_and_run_with_values() {
    let (_dir, s) = demo_session().await;
    let (params, schema) = s
        .describe("SELECT name FROM person WHERE age > $1 AND city = $2")
        .await
        .unwrap();
    assert_eq!(params.len(), 2);
    assert_eq!(
        params[0],
        Some(datafusion::arrow::datatypes::DataType::Int32)
    );
    assert_eq!(schema.field(0).name(), "name");
    let (_, none) = s.describe("CALL create_branch('x')").await.unwrap();
    assert_eq!(none.field(0).name(), "branch");
    assert!(
        !s.graph_context().graph().branch_exists("x").await.unwrap(),
        "describing a procedure does not run it"
    );
    let (_, insert) = s
        .describe("INSERT INTO company (name) VALUES ($1)")
        .await
        .unwrap();
    assert!(insert.fields().is_empty());
    let r = s
        .execute_with_params(
            "SELECT count(*) AS n FROM person WHERE age > $1",
            vec![datafusion::scalar::ScalarValue::Int32(Some(200))],
        )
        .await
        .unwrap();
    assert_eq!(r.tag, "SELECT 1");
    let r = s
        .execute_with_params(
            "INSERT INTO company (name) VALUES ($1)",
            vec![datafusion::scalar::ScalarValue::Utf8(Some("newco".into()))],
        )
        .await
        .unwrap();
    assert_eq!(r.tag, "INSERT 0 1");

    // Placeholders among a table function's arguments: described as text, bound as
    // literals before the function reads them.
    let sql = "SELECT count(*) AS n FROM traverse('knows', $1, $2)";
    let (params, schema) = s.describe(sql).await.unwrap();
    assert_eq!(
        params,
        vec![Some(datafusion::arrow::datatypes::DataType::Utf8); 2]
    );
    assert_eq!(schema.field(0).name(), "n");
    let bound = s
        .execute_with_params(
            sql,
            vec![
                datafusion::scalar::ScalarValue::Utf8(Some("alice.smith".into())),
                datafusion::scalar::ScalarValue::Utf8(Some("2".into())),
            ],
        )
        .await
        .unwrap();
    let literal = s
        .execute("SELECT count(*) AS n FROM traverse('knows', 'alice.smith', 2)")
        .await
        .unwrap()
        .remove(0);
    assert_eq!(bound.batches, literal.batches);
    assert_eq!(bound.row_count(), 1);
}

/// Queries over no table keep their plans between runs (see `plan_cache`); nothing that
/// could answer differently the second time may be served from a kept plan.
#[tokio::test]
async fn repeated_queries_over_no_table_answer_as_if_planned_afresh() {
    let (_dir, s) = demo_session().await;
    let constant = "SELECT 1 + 1 AS two, upper('a') AS a, 'x' || 'y' AS xy";
    let first = table(&s, constant).await;
    assert!(first.contains("| 2   | A | xy |"), "{first}");
    assert_eq!(table(&s, constant).await, first);
    let values = "SELECT column1 * 10 AS tens FROM (VALUES (1), (2), (3)) AS v WHERE column1 > 1";
    let first = table(&s, values).await;
    assert_eq!(
        first.lines().filter(|l| l.contains("0 ")).count(),
        2,
        "{first}"
    );
    assert_eq!(table(&s, values).await, first);

    let random = "SELECT random() AS r";
    assert_ne!(table(&s, random).await, table(&s, random).await);
    let now = "SELECT CAST(now() AS VARCHAR) AS t";
    let before = table(&s, now).await;
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    assert_ne!(table(&s, now).await, before);

    // Settings shape plans: a SET empties the kept ones.
    let decimal = "SELECT 1.5 AS x";
    let float_type = || async {
        s.execute(decimal).await.unwrap()[0]
            .schema
            .field(0)
            .data_type()
            .clone()
    };
    assert!(matches!(float_type().await, DataType::Decimal128(..)));
    assert!(matches!(float_type().await, DataType::Decimal128(..)));
    s.execute("SET datafusion.sql_parser.parse_float_as_decimal = false")
        .await
        .unwrap();
    assert_eq!(float_type().await, DataType::Float64);

    // A failing constant query fails every time.
    for _ in 0..2 {
        let e = err(&s, "SELECT 1 / 0").await;
        assert_eq!(e.kind, omnigraph_sql::ErrorKind::DivisionByZero, "{e}");
    }
}

async fn lookup(s: &omnigraph_sql::Session, sql: &str, name: Option<&str>) -> String {
    let value = datafusion::scalar::ScalarValue::Utf8(name.map(str::to_string));
    let result = s
        .execute_with_params(sql, vec![value])
        .await
        .unwrap_or_else(|e| panic!("{sql} with {name:?}: {e}"));
    datafusion::arrow::util::pretty::pretty_format_batches(&result.batches)
        .unwrap()
        .to_string()
}

/// Queries over graph tables keep their plan between executions (see
/// `plan_cache`) and read the versions each execution pins: what a write, a transaction,
/// a branch switch or another session's schema change did is what the next one sees.
#[tokio::test]
async fn repeated_queries_over_graph_tables_read_what_each_execution_pins() {
    use datafusion::scalar::ScalarValue;
    let (dir, s) = demo_session().await;
    let by_name = "SELECT name, age FROM person WHERE name = $1";
    for name in ["alice.smith", "alice.jones", "alice.garcia"] {
        let literal = table(
            &s,
            &format!("SELECT name, age FROM person WHERE name = '{name}'"),
        )
        .await;
        assert!(literal.contains(name), "{literal}");
        assert_eq!(lookup(&s, by_name, Some(name)).await, literal);
    }
    assert!(s.keeps_plan(by_name), "a lookup by key keeps its plan");
    assert!(
        !lookup(&s, by_name, None).await.contains('|'),
        "= NULL is never true"
    );

    // Writes commit new versions; the kept plan reads them.
    s.execute("INSERT INTO person (name, age) VALUES ('zed', 7)")
        .await
        .unwrap();
    assert!(
        lookup(&s, by_name, Some("zed"))
            .await
            .contains("| zed  | 7   |")
    );
    s.execute("UPDATE person SET age = 8 WHERE name = 'zed'")
        .await
        .unwrap();
    assert!(lookup(&s, by_name, Some("zed")).await.contains("| 8   |"));
    assert!(s.keeps_plan(by_name), "writes do not change plans");

    // A transaction's own writes, then none after ROLLBACK.
    s.execute("BEGIN").await.unwrap();
    s.execute("UPDATE person SET age = 9 WHERE name = 'zed'")
        .await
        .unwrap();
    assert!(lookup(&s, by_name, Some("zed")).await.contains("| 9   |"));
    s.execute("ROLLBACK").await.unwrap();
    assert!(lookup(&s, by_name, Some("zed")).await.contains("| 8   |"));

    // A branch's schema names the transaction's private branch inside one.
    let on_main = "SELECT count(*) AS n FROM main.person";
    let before = table(&s, on_main).await;
    s.execute("BEGIN").await.unwrap();
    s.execute("INSERT INTO person (name) VALUES ('yan')")
        .await
        .unwrap();
    let inside = table(&s, on_main).await;
    assert_ne!(inside, before, "the transaction's own row: {inside}");
    s.execute("ROLLBACK").await.unwrap();
    assert_eq!(table(&s, on_main).await, before);

    // Values are in the plan before it is analyzed, every time: an integer that fits is
    // `integer`, so its product overflows as PostgreSQL's does.
    let product = "SELECT name FROM person WHERE $1 * 1000000 > 0";
    for _ in 0..2 {
        let e = s
            .execute_with_params(product, vec![ScalarValue::Int64(Some(5000))])
            .await
            .unwrap_err();
        assert_eq!(e.sqlstate(), "22003", "{e}");
    }
    let sum = "SELECT $1 + 1 AS x FROM person LIMIT 1";
    let typed = |_: ()| {
        let s = &s;
        async move {
            s.execute_with_params(sum, vec![ScalarValue::Int64(Some(1))])
                .await
                .unwrap()
                .schema
                .field(0)
                .data_type()
                .clone()
        }
    };
    let first = typed(()).await;
    assert_eq!(typed(()).await, first);
    assert_eq!(first, DataType::Int32);

    // Another branch's rows, and main's again.
    s.execute("CALL create_branch('older')").await.unwrap();
    s.execute("SET omnigraph.branch = 'older'").await.unwrap();
    s.execute("UPDATE person SET age = 10 WHERE name = 'zed'")
        .await
        .unwrap();
    assert!(lookup(&s, by_name, Some("zed")).await.contains("| 10  |"));
    s.execute("SET omnigraph.branch = 'main'").await.unwrap();
    assert!(lookup(&s, by_name, Some("zed")).await.contains("| 8   |"));

    // A value of another type than the placeholder's is bound by a fresh plan.
    let older_than = "SELECT count(*) AS n FROM person WHERE age > $1";
    let count = |value: ScalarValue| {
        let s = &s;
        async move {
            s.execute_with_params(older_than, vec![value])
                .await
                .unwrap()
                .batches
        }
    };
    let int4 = count(ScalarValue::Int32(Some(50))).await;
    assert_eq!(count(ScalarValue::Int32(Some(50))).await, int4);
    assert_eq!(count(ScalarValue::Int64(Some(50))).await, int4);

    // Values for a statement without placeholders are ignored, as by a fresh plan.
    let all = "SELECT count(*) AS n FROM person";
    let extra = vec![ScalarValue::Int32(Some(1))];
    let counted = s.execute_with_params(all, extra.clone()).await.unwrap();
    let again = s.execute_with_params(all, extra).await.unwrap();
    assert_eq!(again.batches, counted.batches);
    assert!(s.keeps_plan(all));

    // A negative LIMIT is refused every time.
    let first_n = "SELECT name FROM person ORDER BY name LIMIT $1";
    for _ in 0..2 {
        let e = s
            .execute_with_params(first_n, vec![ScalarValue::Int64(Some(-1))])
            .await
            .unwrap_err();
        assert_eq!(e.sqlstate(), "2201W", "{e}");
    }

    // Another session adds a column: the kept plan's table refuses the scan, and the
    // statement is planned afresh with the new column.
    let whole_row = "SELECT * FROM person WHERE name = $1";
    assert!(
        !lookup(&s, whole_row, Some("zed"))
            .await
            .contains("nickname")
    );
    let other = omnigraph_sql::Session::open(dir.path().join("demo").to_str().unwrap())
        .await
        .unwrap();
    let schema = omnigraph_sql::demo::DEMO_SCHEMA
        .replace("city: String? }", "city: String?, nickname: String? }");
    assert_ne!(schema, omnigraph_sql::demo::DEMO_SCHEMA);
    other
        .execute(&format!(
            "CALL apply_schema('{}')",
            schema.replace('\'', "''")
        ))
        .await
        .unwrap();
    let after = lookup(&s, whole_row, Some("zed")).await;
    assert!(
        after.contains("nickname") && after.contains("| zed "),
        "{after}"
    );
}

/// The role a statement needs is read off its plan, so a procedure with an effect counts
/// wherever it is called: `CALL`, `FROM`, a CTE, a subquery.
#[tokio::test]
async fn the_role_a_statement_needs_comes_from_its_plan() {
    use datafusion_omnigraph::Role;
    let (_dir, s) = demo_session().await;
    s.execute("CALL create_branch('w')").await.unwrap();
    s.set_role(Role::Read);
    for sql in [
        "CALL create_branch('r')",
        "SELECT * FROM create_branch('r')",
        "SELECT * FROM merge('w')",
        "WITH m AS (SELECT * FROM merge('w')) SELECT outcome FROM m",
        "SELECT name FROM person WHERE name IN (SELECT outcome FROM merge('w'))",
        "INSERT INTO person (name) VALUES ('r')",
        "REPLACE INTO person (name) VALUES ('r')",
        "DELETE FROM person WHERE name = 'nobody'",
        "EXPLAIN ANALYZE DELETE FROM person WHERE name = 'nobody'",
        "CALL load('/etc/passwd')",
    ] {
        let err = s.execute(sql).await.unwrap_err();
        assert_eq!(err.sqlstate(), "42501", "{sql}: {err}");
    }
    for sql in [
        "SELECT count(*) FROM person",
        "SELECT * FROM merge_conflicts('w')",
        "EXPLAIN DELETE FROM person",
        "SHOW omnigraph.branch",
    ] {
        s.execute(sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    assert!(
        !s.graph_context().graph().branch_exists("r").await.unwrap(),
        "nothing a read role was refused ran"
    );
    s.set_role(Role::Write);
    s.execute("SELECT * FROM merge('w')").await.unwrap();
    let err = s
        .execute("CALL apply_schema('node A { n: String @key }')")
        .await
        .unwrap_err();
    assert_eq!(err.sqlstate(), "42501");
}

/// The names PostgreSQL 15 gives these columns (checked with psql on the same table).
const NAMED_COLUMNS: &str = "SELECT count(*), max(age), 1, 2, version() IS NOT NULL, \
    CAST(age AS text), age::text, 1::text, '1'::int, CASE WHEN true THEN 1 END, ARRAY[1], \
    (SELECT 1), age + 1, name AS n, person.name, lower(name), sum(age) \
    FROM person GROUP BY age, name ORDER BY name LIMIT 1";
const POSTGRES_NAMES: [&str; 17] = [
    "count", "max", "?column?", "?column?", "?column?", "age", "age", "text", "int4", "case",
    "array", "?column?", "?column?", "n", "name", "lower", "sum",
];

#[tokio::test]
async fn result_columns_are_named_as_postgresql_names_them() {
    let (_dir, s) = demo_session().await;
    let names = |schema: &datafusion::arrow::datatypes::Schema| -> Vec<String> {
        schema.fields().iter().map(|f| f.name().clone()).collect()
    };
    let result = s.execute(NAMED_COLUMNS).await.unwrap().remove(0);
    assert_eq!(names(&result.schema), POSTGRES_NAMES);
    assert_eq!(names(&result.batches[0].schema()), POSTGRES_NAMES);
    let (_, described) = s.describe(NAMED_COLUMNS).await.unwrap();
    assert_eq!(names(&described), POSTGRES_NAMES);
    // Repeated names are allowed, as in PostgreSQL; a set operation is named by its first
    // select; an output name orders as PostgreSQL's (the text, not the column).
    for (sql, expected) in [
        ("SELECT 1, 1", vec!["?column?", "?column?"]),
        ("SELECT 1 UNION SELECT 2", vec!["?column?"]),
        (
            "SELECT count(*) AS c, count(*) FROM person",
            vec!["c", "count"],
        ),
        ("SELECT name, name FROM person", vec!["name", "name"]),
        ("SELECT version()", vec!["version"]),
    ] {
        let result = s.execute(sql).await.unwrap().remove(0);
        assert_eq!(names(&result.schema), expected, "{sql}");
    }
    let ordered = table(&s, "SELECT x::text FROM (VALUES (9), (10)) t(x) ORDER BY x").await;
    assert_eq!(
        ordered
            .lines()
            .filter(|l| l.starts_with("| "))
            .skip(1)
            .collect::<Vec<_>>(),
        ["| 10 |", "| 9  |"],
        "{ordered}"
    );
}

#[tokio::test]
async fn databases_are_graph_directories_not_sql_objects() {
    let (_dir, s) = demo_session().await;
    for sql in [
        "CREATE DATABASE foo",
        "DROP DATABASE foo",
        "DROP DATABASE IF EXISTS foo",
    ] {
        let e = err(&s, sql).await;
        assert_eq!(e.sqlstate(), "0A000", "{sql}");
        assert!(e.message.contains("omnigraph-sql --graph"), "{}", e.message);
    }
}

#[tokio::test]
async fn tables_are_graph_types_so_table_ddl_says_what_does_instead() {
    let (_dir, s) = demo_session().await;
    for sql in [
        "CREATE TABLE robots (id int, name text)",
        "CREATE TABLE IF NOT EXISTS robots (id int)",
        "CREATE TABLE adults AS SELECT * FROM person WHERE age >= 18",
        "CREATE VIEW adults AS SELECT * FROM person WHERE age >= 18",
        "ALTER TABLE person ADD COLUMN nickname text",
        "DROP TABLE person",
        "DROP VIEW IF EXISTS adults",
        // pgbench -i starts with this.
        "drop table if exists pgbench_accounts, pgbench_branches, pgbench_history",
    ] {
        let e = err(&s, sql).await;
        assert_eq!(e.sqlstate(), "0A000", "{sql}: {e}");
        let hint = e.hint.unwrap_or_default();
        assert!(hint.contains("CALL apply_schema"), "{sql}: {hint}");
    }
    assert!(
        table(&s, "SELECT count(*) AS n FROM person")
            .await
            .contains('|')
    );
}

#[tokio::test]
async fn create_index_and_drop_index_edit_the_schema_and_explain_shows_the_index() {
    let (_dir, s) = demo_session().await;
    let done = s
        .execute("CREATE INDEX ON person (age)")
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(done[0].tag, "CREATE INDEX");
    assert_eq!(done[0].row_count(), 0);
    let schema = table(&s, "SELECT source FROM omnigraph.schema").await;
    assert!(schema.contains("age: I32? @index"), "{schema}");
    let plan = plan_lines(&s, "EXPLAIN SELECT name FROM person WHERE age = 30").await;
    assert!(
        plan.iter()
            .any(|l| l.contains("ScalarIndexQuery") && l.contains("person_age_idx")),
        "{plan:?}"
    );
    let plan = plan_lines(&s, "EXPLAIN SELECT name FROM person WHERE id = 'p1'").await;
    assert!(plan.iter().any(|l| l.contains("person_pkey")), "{plan:?}");
    // Answers through the index equal PostgreSQL's reading of the same rows.
    let by_index = table(
        &s,
        "SELECT count(*) AS n FROM person WHERE age BETWEEN 30 AND 40",
    )
    .await;
    let by_scan = table(
        &s,
        "SELECT count(*) AS n FROM person WHERE age + 0 BETWEEN 30 AND 40",
    )
    .await;
    assert_eq!(by_index, by_scan);

    let notices = s
        .execute("CREATE INDEX IF NOT EXISTS person_age_idx ON person (age)")
        .await
        .unwrap();
    assert_eq!(notices[0].tag, "CREATE INDEX");
    assert_eq!(
        notices[0].notices,
        ["relation \"person_age_idx\" already exists, skipping"]
    );
    s.execute("CREATE INDEX by_city ON public.person USING bitmap (city)")
        .await
        .unwrap();
    assert!(
        table(&s, "SELECT source FROM omnigraph.schema")
            .await
            .contains("city: String? @index(by_city using bitmap)")
    );
    for (sql, code) in [
        ("CREATE INDEX person_age_idx ON person (city)", "42P07"),
        ("CREATE INDEX again ON person (age)", "42P07"),
        ("CREATE INDEX person ON company (name)", "42P07"),
        ("CREATE INDEX ON nope (age)", "42P01"),
        ("CREATE INDEX ON person (nope)", "42703"),
        ("CREATE INDEX ON knows USING hash (since)", "42704"),
        ("CREATE INDEX ON knows USING labellist (since)", "42704"),
        ("CREATE UNIQUE INDEX ON knows (since)", "0A000"),
        ("CREATE INDEX ON knows (since, src)", "0A000"),
        ("CREATE INDEX ON knows (lower(since::text))", "0A000"),
        (
            "CREATE INDEX ON knows (since) WHERE since > '2020-01-01'",
            "0A000",
        ),
        ("CREATE INDEX ON other_branch.knows (since)", "0A000"),
        ("DROP INDEX person_pkey", "2BP01"),
        ("DROP INDEX knows_src_idx", "2BP01"),
        ("DROP INDEX person_name_idx", "2BP01"),
        ("DROP INDEX nope", "42704"),
        ("DROP INDEX by_city, person_age_idx", "0A000"),
    ] {
        let e = err(&s, sql).await;
        assert_eq!(e.sqlstate(), code, "{sql}: {e}");
    }
    let skipped = s.execute("DROP INDEX IF EXISTS nope").await.unwrap();
    assert_eq!(skipped[0].tag, "DROP INDEX");
    assert_eq!(
        skipped[0].notices,
        ["index \"nope\" does not exist, skipping"]
    );

    // In a transaction: rolled back with it, or committed with it.
    s.execute("BEGIN").await.unwrap();
    s.execute("DROP INDEX by_city").await.unwrap();
    assert!(
        !table(&s, "SELECT source FROM omnigraph.schema")
            .await
            .contains("by_city")
    );
    s.execute("ROLLBACK").await.unwrap();
    assert!(
        table(&s, "SELECT source FROM omnigraph.schema")
            .await
            .contains("by_city")
    );
    s.execute("BEGIN").await.unwrap();
    s.execute("DROP INDEX public.by_city").await.unwrap();
    s.execute("DROP INDEX person_age_idx").await.unwrap();
    s.execute("COMMIT").await.unwrap();
    let schema = table(&s, "SELECT source FROM omnigraph.schema").await;
    assert!(!schema.contains("@index"), "{schema}");

    // CALL create_index is the same, with a result row.
    let called = table(
        &s,
        "CALL create_index('knows', 'since', 'knows_since', 'btree')",
    )
    .await;
    assert!(called.contains("knows_since"), "{called}");
}

/// The `QUERY PLAN` lines of an `EXPLAIN`.
async fn plan_lines(s: &omnigraph_sql::Session, sql: &str) -> Vec<String> {
    let r = s
        .execute(sql)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    let names: Vec<&str> = r[0]
        .schema
        .fields()
        .iter()
        .map(|f| f.name().as_str())
        .collect();
    assert_eq!(names, ["QUERY PLAN"], "{sql}");
    assert_eq!(r[0].tag, "EXPLAIN");
    r[0].batches
        .iter()
        .flat_map(|b| {
            let c = b
                .column(0)
                .as_any()
                .downcast_ref::<datafusion::arrow::array::StringArray>()
                .unwrap();
            c.iter()
                .map(|v| v.unwrap_or_default().to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[tokio::test]
async fn explain_answers_one_query_plan_column_as_postgresql() {
    let (_dir, s) = demo_session().await;
    for sql in [
        "EXPLAIN SELECT name FROM person WHERE age > 30",
        "EXPLAIN VERBOSE SELECT name FROM person",
        "EXPLAIN ANALYZE SELECT name FROM person",
        "EXPLAIN (COSTS OFF) SELECT name FROM person",
        "EXPLAIN (ANALYZE, BUFFERS, COSTS false, TIMING) SELECT name FROM person",
        "EXPLAIN (VERBOSE, FORMAT TEXT) SELECT name FROM person",
        "explain (analyze on, summary off) SELECT count(*) FROM person",
    ] {
        let lines = plan_lines(&s, sql).await;
        assert!(lines.len() > 1, "{sql}: one row per line: {lines:?}");
        assert!(
            lines
                .iter()
                .any(|l| l.contains("person") || l.contains("Lance") || l.contains("Exec")),
            "{sql}: {lines:?}"
        );
    }
    let json = plan_lines(
        &s,
        "EXPLAIN (FORMAT JSON) SELECT name FROM person WHERE age > 30",
    )
    .await;
    assert_eq!(json.len(), 1);
    assert!(
        json[0].trim_start().starts_with('[') && json[0].contains("\"Plan\""),
        "{json:?}"
    );
    for (sql, code) in [
        ("EXPLAIN (NOPE) SELECT 1", "42601"),
        ("EXPLAIN (FORMAT CSV) SELECT 1", "22023"),
        ("EXPLAIN (TIMING) SELECT 1", "22023"),
        ("EXPLAIN (ANALYZE maybe) SELECT 1", "22023"),
    ] {
        assert_eq!(err(&s, sql).await.sqlstate(), code, "{sql}");
    }
    // EXPLAIN plans a write and runs none of it; EXPLAIN ANALYZE runs it, as PostgreSQL.
    let count = "SELECT count(*) AS n FROM person";
    let before = table(&s, count).await;
    plan_lines(&s, "EXPLAIN DELETE FROM person").await;
    plan_lines(&s, "EXPLAIN (FORMAT JSON) DELETE FROM person").await;
    assert_eq!(table(&s, count).await, before);
    s.execute("BEGIN").await.unwrap();
    plan_lines(&s, "EXPLAIN (ANALYZE) DELETE FROM person").await;
    assert!(table(&s, count).await.contains("| 0 |"));
    s.execute("ROLLBACK").await.unwrap();
    assert_eq!(table(&s, count).await, before);
    plan_lines(&s, "EXPLAIN ANALYZE DELETE FROM person WHERE age > 1000").await;
}

#[tokio::test]
async fn to_char_reads_postgresql_templates() {
    let (_dir, s) = demo_session().await;
    // PostgreSQL 15's answers (psql, TimeZone UTC).
    let out = table(
        &s,
        "SELECT to_char(TIMESTAMP '2024-03-05 14:07:09', 'FMDay, FMDD Mon YYYY HH12:MI PM') AS a, \
         to_char(DATE '2024-03-05', 'YYYY-MM-DD') AS b, \
         to_char(TIMESTAMPTZ '2024-03-05 14:07:09+02', 'YYYY-MM-DD HH24:MI TZ') AS c, \
         to_char(CAST(NULL AS TIMESTAMP), 'YYYY') AS d",
    )
    .await;
    for expected in [
        "Tuesday, 5 Mar 2024 02:07 PM",
        "| 2024-03-05 ",
        // (DataFusion types a TIMESTAMPTZ literal without a zone, so `TZ` is empty where
        // PostgreSQL writes UTC; a zoned column's `TZ` is UTC.)
        "| 2024-03-05 12:07 ",
    ] {
        assert!(out.contains(expected), "{expected}: {out}");
    }
    let rows = s
        .query("SELECT to_char(d, 'DD/MM/YYYY') FROM (VALUES (DATE '2020-01-02'), (NULL)) t(d)")
        .await
        .unwrap();
    let texts = datafusion::arrow::util::pretty::pretty_format_batches(&rows)
        .unwrap()
        .to_string();
    assert!(texts.contains("02/01/2020"), "{texts}");
}

#[tokio::test]
async fn prepared_statements_execute_with_their_rows_and_aliases_may_be_version_keywords() {
    let (_dir, s) = demo_session().await;
    // `at` starts a table version clause in sqlparser; PostgreSQL reads it as an alias.
    let t = table(
        &s,
        "SELECT at.name FROM person at WHERE at.name = 'alice.chen'",
    )
    .await;
    assert!(t.contains("| alice.chen |"), "{t}");
    let prepared = s
        .execute("PREPARE named(text) AS SELECT p.age FROM person p WHERE p.name = $1")
        .await
        .unwrap();
    assert_eq!(prepared[0].tag, "PREPARE");
    let t = table(&s, "EXECUTE named('alice.chen')").await;
    assert!(t.contains("| 28 "), "{t}");
}

/// The first column of the first row of `sql`, as text.
async fn scalar(s: &omnigraph_sql::Session, sql: &str) -> String {
    use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
    let batches = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let batch = batches.iter().find(|b| b.num_rows() > 0).expect("a row");
    let formatter = ArrayFormatter::try_new(batch.column(0), &FormatOptions::default()).unwrap();
    formatter.value(0).to_string()
}

#[tokio::test]
async fn optimize_and_cleanup_over_sql() {
    use datafusion_omnigraph::Role;
    let (_dir, s) = demo_session().await;
    let fragments = "SELECT fragments FROM omnigraph.tables WHERE table_name = 'person'";
    let everyone = "SELECT * FROM person ORDER BY name";
    s.execute("SET omnigraph.auto_optimize = off")
        .await
        .unwrap();
    assert_eq!(scalar(&s, "SHOW omnigraph.auto_optimize").await, "off");
    let first_version = s
        .graph_context()
        .graph()
        .snapshot("main")
        .await
        .unwrap()
        .version();
    for i in 0..6 {
        s.execute(&format!(
            "INSERT INTO person (name, age) VALUES ('n{i}', {i})"
        ))
        .await
        .unwrap();
    }
    s.execute("DELETE FROM person WHERE name = 'n1'")
        .await
        .unwrap();
    // An update of a loaded row leaves a deleted copy in the loaded fragment.
    let loaded = scalar(&s, "SELECT min(name) FROM person").await;
    s.execute(&format!(
        "UPDATE person SET age = 77 WHERE name = '{loaded}'"
    ))
    .await
    .unwrap();
    let before = table(&s, everyone).await;
    let many: u64 = scalar(&s, fragments).await.parse().unwrap();
    assert!(many >= 6, "{many}");
    assert!(
        scalar(
            &s,
            "SELECT deleted_rows FROM omnigraph.tables WHERE table_name = 'person'"
        )
        .await
            != "0"
    );

    let out = table(
        &s,
        "SELECT table_name, fragments_after, rows FROM optimize('person')",
    )
    .await;
    assert!(
        out.contains("| person     | 1               | 205  |"),
        "{out}"
    );
    assert_eq!(scalar(&s, fragments).await, "1");
    assert_eq!(table(&s, everyone).await, before);
    let r = s.execute("CALL optimize()").await.unwrap();
    assert_eq!(r[0].tag, "CALL");
    assert_eq!(err(&s, "CALL optimize('nosuch')").await.sqlstate(), "42P01");
    s.execute("BEGIN").await.unwrap();
    assert_eq!(err(&s, "CALL optimize()").await.sqlstate(), "25001");
    s.execute("ROLLBACK").await.unwrap();

    // Cleanup, in named and positional notation; bad policies are refused up front.
    for (sql, state) in [
        ("CALL cleanup()", "22023"),
        ("CALL cleanup(keep_versions => 0)", "22023"),
        ("CALL cleanup(keep => 1)", "42883"),
        ("CALL cleanup(older_than => 'soon')", "22023"),
        ("CALL cleanup(keep_versions => 1, 2)", "42601"),
    ] {
        assert_eq!(err(&s, sql).await.sqlstate(), state, "{sql}");
    }
    s.execute("CALL cleanup(1000, interval '1 hour')")
        .await
        .unwrap();
    let removed = scalar(
        &s,
        "SELECT graph_versions_removed FROM cleanup(keep_versions => 2)",
    )
    .await;
    assert!(removed.parse::<u64>().unwrap() > 5, "{removed}");
    assert_eq!(table(&s, everyone).await, before);
    let e = err(
        &s,
        &format!("SELECT count(*) FROM person FOR SYSTEM_TIME AS OF {first_version}"),
    )
    .await;
    assert_eq!(e.sqlstate(), "72000", "{e}");
    assert!(e.message.contains("oldest readable version"), "{e}");
    assert_eq!(
        scalar(
            &s,
            "SELECT versions_kept <= 3 FROM omnigraph.tables WHERE table_name = 'person'"
        )
        .await,
        "true"
    );

    // optimize needs the write role, cleanup the admin role.
    s.set_role(Role::Write);
    s.execute("CALL optimize()").await.unwrap();
    assert_eq!(
        err(&s, "CALL cleanup(keep_versions => 1)").await.sqlstate(),
        "42501"
    );
    s.set_role(Role::Read);
    assert_eq!(err(&s, "CALL optimize()").await.sqlstate(), "42501");
}

#[tokio::test]
async fn autocommit_writes_keep_tables_compact() {
    let (_dir, s) = demo_session().await;
    assert_eq!(scalar(&s, "SHOW omnigraph.auto_optimize").await, "on");
    assert_eq!(
        scalar(&s, "SHOW omnigraph.auto_optimize_fragments").await,
        "32"
    );
    let all = table(&s, "SHOW ALL").await;
    assert!(all.contains("auto_optimize_fragments"), "{all}");
    assert_eq!(
        err(&s, "SET omnigraph.auto_optimize = maybe")
            .await
            .sqlstate(),
        "22023"
    );
    assert_eq!(
        err(&s, "SET omnigraph.auto_optimize_fragments = 1")
            .await
            .sqlstate(),
        "22023"
    );
    s.execute("SET omnigraph.auto_optimize_fragments = 4")
        .await
        .unwrap();
    for i in 0..20 {
        s.execute(&format!("INSERT INTO person (name) VALUES ('a{i}')"))
            .await
            .unwrap();
        let now: u64 = scalar(
            &s,
            "SELECT fragments FROM omnigraph.tables WHERE table_name = 'person'",
        )
        .await
        .parse()
        .unwrap();
        assert!(now < 4 + 4, "after {i}: {now} fragments");
    }
    assert_eq!(scalar(&s, "SELECT count(*) FROM person").await, "220");
    s.execute("RESET omnigraph.auto_optimize_fragments")
        .await
        .unwrap();
    assert_eq!(
        scalar(&s, "SHOW omnigraph.auto_optimize_fragments").await,
        "32"
    );
}
