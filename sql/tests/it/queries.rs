//! Query semantics answer as PostgreSQL 15 answers: subqueries, set operations and the
//! SQLSTATEs of clauses PostgreSQL refuses. Every expected answer here is PostgreSQL 15's
//! own, checked with psql on the same demo rows.

use datafusion::arrow::util::display::array_value_to_string;
use omnigraph_sql::Session;

use crate::common::*;

/// Every value of `sql`'s first row, as text (`NULL` for a null).
async fn row(s: &Session, sql: &str) -> Vec<String> {
    let batches = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let batch = &batches.iter().find(|b| b.num_rows() > 0).expect("a row");
    batch
        .columns()
        .iter()
        .map(|c| match c.is_null(0) {
            true => "NULL".to_string(),
            false => array_value_to_string(c, 0).unwrap(),
        })
        .collect()
}

/// The first column of every row of `sql`, as text.
async fn column(s: &Session, sql: &str) -> Vec<String> {
    let batches = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    batches
        .iter()
        .flat_map(|b| {
            (0..b.num_rows()).map(|i| match b.column(0).is_null(i) {
                true => "NULL".to_string(),
                false => array_value_to_string(b.column(0), i).unwrap(),
            })
        })
        .collect()
}

#[tokio::test]
async fn quantified_comparisons_with_subqueries_follow_three_valued_logic() {
    let (_dir, s) = demo_session().await;
    assert_eq!(
        column(
            &s,
            "SELECT count(*) FROM person WHERE age = ANY (SELECT age FROM person WHERE city = 'Oslo')"
        )
        .await,
        ["75"]
    );
    assert_eq!(
        column(
            &s,
            "SELECT count(*) FROM person WHERE age > ALL (SELECT age FROM person WHERE city = 'Lima')"
        )
        .await,
        ["21"]
    );
    let values = "(SELECT x FROM (VALUES (1), (NULL)) v(x))";
    assert_eq!(
        row(
            &s,
            &format!(
                "SELECT 5 > ALL {values}, 5 > ANY {values}, 0 > ANY {values}, 1 <> ALL {values}, \
                 2 = ALL (SELECT x FROM (VALUES (2), (2)) v(x)), \
                 2 <> ANY (SELECT x FROM (VALUES (2), (2)) v(x)), \
                 NULL::int < ALL (SELECT 1 WHERE false)"
            )
        )
        .await,
        ["NULL", "true", "NULL", "false", "true", "false", "true"]
    );
}

#[tokio::test]
async fn exists_and_in_are_values_in_the_select_list() {
    let (_dir, s) = demo_session().await;
    assert_eq!(
        row(
            &s,
            "SELECT 1 IN (SELECT NULL::int), 1 NOT IN (SELECT NULL::int), \
             NULL::int IN (SELECT 1 WHERE false), EXISTS (SELECT 1 LIMIT 0), EXISTS (SELECT 1)"
        )
        .await,
        ["NULL", "NULL", "false", "false", "true"]
    );
    let table = table(
        &s,
        "SELECT name, EXISTS (SELECT 1 FROM works_at w WHERE w.dst = c.id) AS works, \
         id IN (SELECT dst FROM works_at WHERE role = 'engineer') AS engineers \
         FROM company c ORDER BY name LIMIT 4",
    )
    .await;
    for line in [
        "| acme      | true  | false     |",
        "| aperture  | true  | true      |",
        "| cyberdyne | true  | true      |",
        "| dunder    | true  | true      |",
    ] {
        assert!(table.contains(line), "{table}");
    }
}

/// A `LIMIT` and `OFFSET` adding up past `bigint` is no limit (Lance takes a limit as a
/// signed 64-bit number); PostgreSQL answers the remaining rows.
#[tokio::test]
async fn limits_past_bigint_are_no_limit() {
    let (_dir, s) = demo_session().await;
    let all = row(&s, "SELECT count(*) FROM person").await;
    let rest = row(
        &s,
        "SELECT count(*) FROM (SELECT name FROM person LIMIT 9223372036854775807 OFFSET 1) AS t",
    )
    .await;
    let all: i64 = all[0].parse().unwrap();
    assert_eq!(rest, vec![(all - 1).to_string()]);
}

#[tokio::test]
async fn intersect_all_and_except_all_keep_multiplicities() {
    let (_dir, s) = demo_session().await;
    let left = "SELECT x FROM (VALUES (1), (1), (1), (2), (NULL), (NULL)) a(x)";
    assert_eq!(
        column(
            &s,
            &format!(
                "{left} INTERSECT ALL SELECT y FROM (VALUES (1), (1), (3), (NULL)) b(y) ORDER BY 1"
            )
        )
        .await,
        ["1", "1", "NULL"]
    );
    assert_eq!(
        column(
            &s,
            &format!("{left} EXCEPT ALL SELECT y FROM (VALUES (1), (3), (NULL)) b(y) ORDER BY 1")
        )
        .await,
        ["1", "1", "2", "NULL"]
    );
    // Without ALL, each row at most once.
    assert_eq!(
        column(
            &s,
            &format!("{left} INTERSECT SELECT y FROM (VALUES (1), (1), (NULL)) b(y) ORDER BY 1")
        )
        .await,
        ["1", "NULL"]
    );
}

#[tokio::test]
async fn clauses_postgresql_refuses_fail_with_its_sqlstates() {
    let (_dir, s) = demo_session().await;
    for (sql, sqlstate) in [
        ("SELECT name FROM person WHERE count(*) > 1", "42803"),
        ("SELECT count(sum(age)) FROM person", "42803"),
        ("SELECT city FROM person GROUP BY 2", "42P10"),
        (
            "SELECT name FROM person WHERE row_number() OVER () > 1",
            "42P20",
        ),
        (
            "WITH a AS (SELECT 1), a AS (SELECT 2) SELECT * FROM a",
            "42712",
        ),
        ("SELECT count(*) FROM (SELECT 1)", "42601"),
        ("SELECT city, count(*) FROM person", "42803"),
        ("SELECT city FROM person HAVING count(*) > 1", "42803"),
    ] {
        let e = err(&s, sql).await;
        assert_eq!(e.sqlstate(), sqlstate, "{sql}: {e}");
    }
    // Allowed: an aggregate in a window's arguments, positions within the select list.
    table(&s, "SELECT sum(count(*)) OVER () FROM person GROUP BY city").await;
    table(&s, "SELECT city, count(*) FROM person GROUP BY 1").await;
    table(&s, "SELECT count(*), max(age) + 1 FROM person").await;
    table(&s, "SELECT (SELECT count(*) FROM company) FROM person").await;
}

#[tokio::test]
async fn with_column_lists_name_the_columns_the_queries_read() {
    let (_dir, s) = demo_session().await;
    assert_eq!(
        column(
            &s,
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 5) \
             SELECT sum(n) FROM t"
        )
        .await,
        ["15"]
    );
    assert_eq!(
        row(&s, "WITH t(a) AS (SELECT 1, 2 AS b) SELECT a, b FROM t").await,
        ["1", "2"]
    );
    assert_eq!(
        column(
            &s,
            "WITH RECURSIVE s(x) AS (SELECT 'a' UNION ALL SELECT x || 'a' FROM s WHERE length(x) < 3) \
             SELECT x FROM s ORDER BY x"
        )
        .await,
        ["a", "aa", "aaa"]
    );
}

#[tokio::test]
async fn quantified_comparisons_with_arrays_follow_three_valued_logic() {
    let (_dir, s) = demo_session().await;
    assert_eq!(
        row(
            &s,
            "SELECT 1 = ANY (ARRAY[2, NULL]), 1 = ANY (ARRAY[1, NULL]), 1 <> ANY (ARRAY[1, NULL]), \
             3 > ANY (ARRAY[5, NULL]), 1 = ALL (ARRAY[1, NULL]), 1 = ANY (ARRAY[]::int[]), \
             NULL::int = ANY (ARRAY[1]), 2 <> ANY (ARRAY[1, NULL]), 6 > ANY (ARRAY[5, NULL]), \
             1 = ANY (NULL::int[])"
        )
        .await,
        [
            "NULL", "true", "NULL", "NULL", "NULL", "false", "NULL", "true", "true", "NULL"
        ]
    );
    // Under NOT, an unknown membership keeps the row out.
    assert_eq!(
        column(
            &s,
            "SELECT count(*) FROM person WHERE NOT (city = ANY (ARRAY['Oslo', NULL]))"
        )
        .await,
        ["0"]
    );
    assert_eq!(
        column(
            &s,
            "SELECT count(*) FROM person WHERE city = ANY (ARRAY['Oslo', NULL])"
        )
        .await,
        column(&s, "SELECT count(*) FROM person WHERE city = 'Oslo'").await
    );
}

#[tokio::test]
async fn scalar_subqueries_are_null_without_rows_and_refuse_two() {
    let (_dir, s) = demo_session().await;
    assert_eq!(
        row(&s, "SELECT (SELECT name FROM company WHERE false)").await,
        ["NULL"]
    );
    assert_eq!(
        row(
            &s,
            "SELECT (SELECT name FROM company ORDER BY name LIMIT 1) IS NOT NULL"
        )
        .await,
        ["true"]
    );
    let e = err(&s, "SELECT (SELECT name FROM company)").await;
    assert_eq!(e.sqlstate(), "21000", "{e}");
}

#[tokio::test]
async fn union_of_varchar_and_text_has_the_first_type() {
    let (_dir, s) = demo_session().await;
    assert_eq!(
        column(
            &s,
            "SELECT 'a'::varchar(3) UNION SELECT 'bb'::text ORDER BY 1"
        )
        .await,
        ["a", "bb"]
    );
    let first_type = |first: &str, second: &str| {
        format!(
            "SELECT pg_typeof(x)::text FROM (SELECT {first} AS x UNION ALL SELECT {second}) u LIMIT 1"
        )
    };
    assert_eq!(
        column(&s, &first_type("'a'::varchar(3)", "'b'::text")).await,
        ["character varying"]
    );
    assert_eq!(
        column(&s, &first_type("'a'::text", "'b'::varchar(3)")).await,
        ["text"]
    );
}

#[tokio::test]
async fn recursive_queries_count_in_integer() {
    let (_dir, s) = demo_session().await;
    let e = err(
        &s,
        "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n * 2 FROM t WHERE n < 2000000000) \
         SELECT max(n) FROM t",
    )
    .await;
    assert_eq!(e.sqlstate(), "22003", "{e}");
    assert_eq!(
        column(
            &s,
            "WITH RECURSIVE t(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM t WHERE n < 10) \
             SELECT pg_typeof(sum(n))::text FROM t"
        )
        .await,
        ["bigint"]
    );
}

#[tokio::test]
async fn table_aliases_may_name_fewer_columns_than_there_are() {
    let (_dir, s) = demo_session().await;
    assert_eq!(
        row(
            &s,
            "SELECT y, industry FROM company AS c(x, y) WHERE c.y = 'acme'"
        )
        .await,
        ["acme", "manufacturing"]
    );
    assert_eq!(
        row(&s, "SELECT a, column2 FROM (VALUES (1, 2)) AS v(a)").await,
        ["1", "2"]
    );
}

/// A statement's operators hold at most `omnigraph.statement_memory_limit`: a sort past it
/// spills and still answers, an operator that cannot spill fails with 53200, and the
/// session goes on.
#[tokio::test]
async fn statements_past_their_memory_limit_spill_or_fail_with_53200() {
    let (_dir, s) = demo_session().await;
    s.execute("SET omnigraph.statement_memory_limit = '2MB'")
        .await
        .unwrap();
    assert_eq!(
        row(&s, "SHOW omnigraph.statement_memory_limit").await,
        vec!["2MB"]
    );

    let sorted = row(
        &s,
        "SELECT x FROM generate_series(1, 400000) AS t(x) ORDER BY x DESC OFFSET 399999",
    )
    .await;
    assert_eq!(sorted, vec!["1"]);
    let e = err(
        &s,
        "SELECT count(*) FROM generate_series(1, 400000) AS a(x) \
         JOIN generate_series(1, 400000) AS b(y) ON x = y",
    )
    .await;
    assert_eq!(e.sqlstate(), "53200", "{e}");
    assert!(
        e.to_string().contains("omnigraph.statement_memory_limit"),
        "{e}"
    );
    s.execute("RESET omnigraph.statement_memory_limit")
        .await
        .unwrap();
    assert_eq!(
        row(&s, "SHOW omnigraph.statement_memory_limit").await,
        vec!["1GB"]
    );
    let joined = row(
        &s,
        "SELECT count(*) FROM generate_series(1, 400000) AS a(x) \
         JOIN generate_series(1, 400000) AS b(y) ON x = y",
    )
    .await;
    assert_eq!(joined, vec!["400000"]);
    for bad in ["'10'", "'lots'", "'1 PB'", "'-5MB'"] {
        let e = err(&s, &format!("SET omnigraph.statement_memory_limit = {bad}")).await;
        assert_eq!(e.sqlstate(), "22023", "{bad}: {e}");
    }
}
