//! Built-in functions as PostgreSQL 15 answers them (answers from psql against
//! PostgreSQL 15 in the C locale, TimeZone UTC).

use std::sync::Arc;

use datafusion::execution::SessionStateBuilder;
use omnigraph_sql::Session;

use crate::common::{demo_session, err, table};

/// Rebuilds the session's state from its own registries, as datafusion-pg-catalog's
/// setup does on every connection of the server: each function is registered again, in
/// hash-map order.
fn rebuild_state(s: &Session) {
    let state = s.context().state_ref();
    let existing = state.read().clone();
    let rebuilt = SessionStateBuilder::new_from_existing(existing).build();
    *state.write() = rebuilt;
}

/// Every function in the registry is the one its own name finds: an override left
/// behind under an alias (DataFusion's `to_char` as `date_format`) would come back under
/// its name when the state is rebuilt, in some processes and not in others.
#[tokio::test]
async fn overridden_functions_leave_nothing_behind() {
    let (_dir, s) = demo_session().await;
    let state = s.context().state();
    for (key, udf) in state.scalar_functions() {
        let by_name = &state.scalar_functions()[udf.name()];
        assert!(
            Arc::ptr_eq(by_name, udf),
            "'{key}' holds a {} that its name no longer finds",
            udf.name()
        );
    }
}

#[tokio::test]
async fn to_char_stays_postgresql_s_when_the_state_is_rebuilt() {
    let (_dir, s) = demo_session().await;
    // Each rebuild registers the functions in a new hash order.
    for _ in 0..32 {
        rebuild_state(&s);
        let out = table(
            &s,
            "SELECT to_char(DATE '2024-03-05', 'YYYY-MM-DD DDD') AS t",
        )
        .await;
        assert!(out.contains("2024-03-05 065"), "{out}");
    }
}

#[tokio::test]
async fn string_functions_answer_as_postgresql() {
    let (_dir, s) = demo_session().await;
    let out = table(
        &s,
        "SELECT upper('héllo') AS u, lower('ÀBC') AS l, initcap('hello wORLD 2nd') AS i, \
         to_hex(255) AS h1, to_hex(CAST(-1 AS INT)) AS h2, to_hex(CAST(-1 AS BIGINT)) AS h3, \
         quote_nullable(NULL) AS q1, quote_nullable('it''s') AS q2, \
         substr('abcdef', 2, 3) AS s1, chr(65) AS c",
    )
    .await;
    for expected in [
        "| HéLLO ",
        "| Àbc ",
        "| Hello World 2nd ",
        "| ff ",
        "| ffffffff ",
        "| ffffffffffffffff ",
        "| NULL ",
        "| 'it''s' ",
        "| bcd ",
        "| A ",
    ] {
        assert!(out.contains(expected), "{expected}: {out}");
    }
    assert_eq!(err(&s, "SELECT chr(0)").await.sqlstate(), "54000");
    // Results longer than a value may be are refused before they are built.
    for sql in [
        "SELECT lpad('x', 2147483647)",
        "SELECT length(rpad('x', 600000000, 'ab'))",
        "SELECT repeat('ab', 600000000)",
        "SELECT repeat(name, 1073741823) FROM person",
    ] {
        assert_eq!(err(&s, sql).await.sqlstate(), "54000", "{sql}");
    }
    let out = table(&s, "SELECT lpad('x', 3, '-') AS l, repeat('ab', 2) AS r").await;
    assert!(out.contains("| --x | abab |"), "{out}");
}

#[tokio::test]
async fn array_functions_answer_as_postgresql() {
    let (_dir, s) = demo_session().await;
    let out = table(
        &s,
        "SELECT array_length(make_array(1, 2, 3), 1) AS n, \
         array_length(make_array(1, 2, 3), 2) AS n2, \
         array_dims(make_array(1, 2, 3)) AS d, \
         array_remove(make_array(1, 2, 1), 1) AS r, \
         array_replace(make_array(1, 2, 1), 1, 9) AS p",
    )
    .await;
    for expected in ["| 3 ", "| [1:3] ", "| [2] ", "| [9, 2, 9] "] {
        assert!(out.contains(expected), "{expected}: {out}");
    }
    let empty = table(
        &s,
        "SELECT array_length(CAST(make_array() AS INT[]), 1) IS NULL AS n, \
         array_dims(CAST(make_array() AS INT[])) IS NULL AS d",
    )
    .await;
    assert!(empty.contains("| true | true |"), "{empty}");
}

#[tokio::test]
async fn numeric_functions_answer_as_postgresql() {
    let (_dir, s) = demo_session().await;
    let out = table(
        &s,
        "SELECT sign(-3) AS a, ceiling(-2.1) AS b, mod(-7, 3) AS c, mod(7.5, 2) AS d, \
         div(-7, 2) AS e, width_bucket(5.35, 0.024, 10.06, 5) AS f, \
         width_bucket(-1, 0, 10, 5) AS g, width_bucket(10, 0, 10, 5) AS h",
    )
    .await;
    assert!(
        out.contains("| -1.0 | -2.0 | -1 | 1.5 | -3.0 | 3 | 0 | 6 |"),
        "{out}"
    );
    for sql in [
        "SELECT mod(5, 0)",
        "SELECT mod(5.5, 0)",
        "SELECT div(1, 0)",
        "SELECT 5.5 % 0",
    ] {
        assert_eq!(err(&s, sql).await.sqlstate(), "22012", "{sql}");
    }
    // What PostgreSQL refuses in a function's arguments is a user's mistake, never XX000.
    for (sql, state) in [
        ("SELECT power(0.0, -1)", "2201F"),
        ("SELECT power(-8, 0.5)", "2201F"),
        ("SELECT round(1.5, 9223372036854775807)", "22003"),
        ("SELECT regexp_replace('ab', '[a-', 'z')", "2201B"),
        ("SELECT regexp_replace(name, '(', 'z') FROM person", "2201B"),
        (
            "SELECT array_agg(DISTINCT age ORDER BY name) FROM person",
            "42P10",
        ),
    ] {
        assert_eq!(err(&s, sql).await.sqlstate(), state, "{sql}");
    }
    let out = table(
        &s,
        "SELECT power(-2, 3) AS p, array_agg(DISTINCT p.age ORDER BY age) IS NOT NULL AS a \
         FROM person p",
    )
    .await;
    assert!(out.contains("| -8.0 | true |"), "{out}");
}

#[tokio::test]
async fn aggregates_under_postgresql_names() {
    let (_dir, s) = demo_session().await;
    let out = table(
        &s,
        "SELECT every(x > 0) AS e, variance(x) AS v FROM (VALUES (1), (2), (3)) t(x)",
    )
    .await;
    assert!(out.contains("| true | 1.0 |"), "{out}");
}

#[tokio::test]
async fn to_char_formats_numbers_and_weeks() {
    let (_dir, s) = demo_session().await;
    let out = table(
        &s,
        "SELECT to_char(1234.5, '9,999.99') AS a, to_char(42, '000') AS b, \
         to_char(1234567.891, 'FM9,999,999.00') AS c, to_char(-12, '999PR') AS d, \
         to_char(DATE '2024-03-05', 'Q IW DDD') AS e",
    )
    .await;
    for expected in [
        "|  1,234.50 ",
        "|  042 ",
        "| 1,234,567.89 ",
        "|  <12> ",
        "| 1 10 065 ",
    ] {
        assert!(out.contains(expected), "{expected}: {out}");
    }
}

#[tokio::test]
async fn intervals_compare_and_subtract_as_postgresql() {
    let (_dir, s) = demo_session().await;
    let out = table(
        &s,
        "SELECT INTERVAL '1 day' = INTERVAL '24 hours' AS a, \
         INTERVAL '1 month' > INTERVAL '29 days' AS b, \
         INTERVAL '1 month' = INTERVAL '30 days' AS c, \
         arrow_typeof(DATE '2024-01-31' + INTERVAL '1 month') AS d",
    )
    .await;
    assert!(
        out.contains("| true | true | true | Timestamp(ns) "),
        "{out}"
    );
}

#[tokio::test]
async fn operators_answer_as_postgresql() {
    let (_dir, s) = demo_session().await;
    let out = table(
        &s,
        "SELECT 2 ^ 10 AS p, 2 ^ 3 ^ 2 AS l, 2 * 3 ^ 2 AS m, 5 & 3 AS a, 5 | 3 AS o, \
         5 # 3 AS x, ~5 AS n, ~CAST(0 AS INT) AS n4, 1 << 4 AS sl, 16 >> 2 AS sr, \
         U&'\\0041\\00e9' AS u",
    )
    .await;
    assert!(
        out.contains("| 1024.0 | 64.0 | 18.0 | 1 | 7 | 6 | -6 | -1 | 16 | 4  | Aé |"),
        "{out}"
    );
}

#[tokio::test]
async fn regular_expression_functions_answer_as_postgresql() {
    let (_dir, s) = demo_session().await;
    let out = table(
        &s,
        "SELECT substring('alice.smith' FROM '\\.(.*)$') AS g, \
         substring('alice.smith' FROM '[a-z]+') AS w, \
         substring('alice' FROM 'z') IS NULL AS n, \
         substring('abcdef' FROM 2 FOR 3) AS p, substring('abcdef', 3) AS q, \
         regexp_split_to_array('a, b,c', ',\\s*') AS s, \
         regexp_split_to_array('aXbxc', 'x', 'i') AS i",
    )
    .await;
    assert!(
        out.contains("| smith | alice | true | bcd | cdef | [a, b, c] | [a, b, c] |"),
        "{out}"
    );
    for (sql, state) in [
        ("SELECT substr('abcdef', 2, -1)", "22011"),
        ("SELECT substring('abcdef' FROM 2 FOR -1)", "22011"),
        ("SELECT substring('abc' FROM '(')", "2201B"),
        ("SELECT regexp_split_to_array('abc', 'b', 'g')", "22023"),
        ("SELECT ntile(0) OVER () FROM (VALUES (1)) t(x)", "22014"),
    ] {
        assert_eq!(err(&s, sql).await.sqlstate(), state, "{sql}");
    }
}

#[tokio::test]
async fn ordered_set_aggregates_and_json_agg() {
    let (_dir, s) = demo_session().await;
    let out = table(
        &s,
        "SELECT percentile_disc(0.25) WITHIN GROUP (ORDER BY x) AS d, \
         percentile_disc(0.5) WITHIN GROUP (ORDER BY x DESC) AS e, \
         percentile_disc(0) WITHIN GROUP (ORDER BY x) AS z, \
         mode() WITHIN GROUP (ORDER BY c) AS m, \
         json_agg(c ORDER BY x DESC) AS j \
         FROM (VALUES (1, 'b'), (2, 'a'), (3, 'b'), (4, 'a'), (5, NULL)) t(x, c)",
    )
    .await;
    assert!(
        out.contains(r#"| 2 | 3 | 1 | a | [null, "a", "b", "a", "b"] |"#),
        "{out}"
    );
    let grouped = table(
        &s,
        "SELECT g, json_agg(x ORDER BY x) AS j, mode() WITHIN GROUP (ORDER BY x) AS m \
         FROM (VALUES (1, 3), (1, 1), (2, 2), (1, 3)) t(g, x) GROUP BY g ORDER BY g",
    )
    .await;
    assert!(grouped.contains("| 1 | [1, 3, 3] | 3 |"), "{grouped}");
    assert!(grouped.contains("| 2 | [2]       | 2 |"), "{grouped}");
    let state = err(
        &s,
        "SELECT percentile_disc(1.5) WITHIN GROUP (ORDER BY x) FROM (VALUES (1)) t(x)",
    )
    .await
    .sqlstate();
    assert_eq!(state, "22003");
}

#[tokio::test]
async fn json_and_uuid_are_checked_text() {
    let (_dir, s) = demo_session().await;
    let out = table(
        &s,
        "SELECT CAST('{\"a\":  1}' AS JSON) AS j, \
         CAST(CAST('{\"b\": 1, \"a\": [2,3]}' AS JSONB) AS TEXT) AS b, \
         CAST('A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11' AS UUID) AS u, \
         pg_typeof(CAST('1' AS JSONB)) AS t",
    )
    .await;
    assert!(
        out.contains(
            r#"| {"a":  1} | {"a": [2, 3], "b": 1} | a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11 | jsonb |"#
        ),
        "{out}"
    );
    for sql in [
        "SELECT CAST('not-a-uuid' AS UUID)",
        "SELECT CAST('{\"a\": }' AS JSON)",
        "SELECT CAST('[1,]' AS JSONB)",
    ] {
        assert_eq!(err(&s, sql).await.sqlstate(), "22P02", "{sql}");
    }
}
