//! Dates, times and intervals as PostgreSQL 15 answers them (TimeZone UTC): types of
//! operators and functions, fields, text input and its SQLSTATEs.

use crate::common::{demo_session, err, table};

#[tokio::test]
async fn timestamptz_values_carry_the_session_zone() {
    let (_dir, s) = demo_session().await;
    let out = table(
        &s,
        "SELECT arrow_typeof(now()) AS a, arrow_typeof(TIMESTAMPTZ '2024-01-02 03:04:05+02') AS b, \
         TIMESTAMPTZ '2024-01-02 03:04:05+02' AS c, arrow_typeof(to_timestamp(0)) AS d, \
         arrow_typeof(date_trunc('day', DATE '2024-03-15')) AS e",
    )
    .await;
    assert!(
        out.contains(
            "| Timestamp(ns, \"+00:00\") | Timestamp(ns, \"+00:00\") | 2024-01-02T01:04:05+00:00 \
             | Timestamp(ns, \"+00:00\") | Timestamp(ns, \"+00:00\") |"
        ),
        "{out}"
    );
}

#[tokio::test]
async fn date_operators_answer_postgresql_types() {
    let (_dir, s) = demo_session().await;
    let out = table(
        &s,
        "SELECT DATE '2024-02-28' + 1 AS a, DATE '2024-03-01' - 1 AS b, \
         arrow_typeof(DATE '2024-03-01' - DATE '2024-02-01') AS c, \
         DATE '2024-03-01' - DATE '2024-02-01' AS d, \
         TIME '10:00' + INTERVAL '90 minutes' AS e, TIME '23:00' + INTERVAL '2 hours' AS f, \
         INTERVAL '1 hour' * 3 AS g, 1.5 * INTERVAL '1 month' AS h, INTERVAL '1 day' / 2 AS i",
    )
    .await;
    for expected in [
        "| 2024-02-29 | 2024-02-29 | Int32 | 29 | 10:00:00 ",
        "| 01:00:00 ",
        "| 3 hours ",
        "| 1 mons 15 days ",
        "| 12 hours ",
    ] {
        assert!(out.contains(expected), "{expected}: {out}");
    }
    assert!(out.contains("11:30:00"), "{out}");
}

#[tokio::test]
async fn extract_is_numeric_and_date_part_double() {
    let (_dir, s) = demo_session().await;
    let out = table(
        &s,
        "SELECT extract(second FROM TIMESTAMP '2024-01-01 00:00:01.5') AS a, \
         arrow_typeof(extract(year FROM DATE '2024-03-15')) AS b, \
         extract(epoch FROM INTERVAL '1 day 1 hour') AS c, \
         date_part('second', TIMESTAMP '2024-01-01 00:00:01.5') AS d, \
         arrow_typeof(date_part('year', DATE '2024-03-15')) AS e, \
         extract(dow FROM DATE '2024-03-15') AS f, extract(week FROM DATE '2021-01-01') AS g",
    )
    .await;
    assert!(
        out.contains(
            "| 1.500000 | Decimal128(38, 0) | 90000.000000 | 1.5 | Float64 | 5 | 53 |"
        ),
        "{out}"
    );
    let e = err(&s, "SELECT extract(fortnight FROM DATE '2024-01-01')").await;
    assert_eq!(e.sqlstate(), "22023", "{e}");
    assert!(
        e.message
            .contains("unit \"fortnight\" not recognized for type date"),
        "{e}"
    );
    let e = err(&s, "SELECT extract(hour FROM DATE '2024-01-01')").await;
    assert_eq!(e.sqlstate(), "0A000", "{e}");
}

#[tokio::test]
async fn text_input_errors_have_postgresql_sqlstates() {
    let (_dir, s) = demo_session().await;
    for (sql, state) in [
        ("SELECT DATE 'not a date'", "22007"),
        ("SELECT '2023-02-29'::date", "22008"),
        ("SELECT TIMESTAMP '2024-01-01 25:00'", "22008"),
        ("SELECT DATE '294277-01-01'::timestamp", "22008"),
        ("SELECT make_date(2023, 2, 29)", "22008"),
        ("SELECT 'infinity'::timestamp", "0A000"),
        ("SELECT to_date('xx', 'YYYY')", "22007"),
    ] {
        let e = err(&s, sql).await;
        assert_eq!(e.sqlstate(), state, "{sql}: {e}");
    }
    let out = table(
        &s,
        "SELECT DATE 'March 5, 2024' AS a, '20240305'::date AS b, \
         TIMESTAMP '2024-03-05T14:07:09.5' AS c, '1 year 2 months 3 days 04:05:06'::interval AS d",
    )
    .await;
    assert!(out.contains("| 2024-03-05 | 2024-03-05 | 2024-03-05T14:07:09.500 "), "{out}");
    assert!(out.contains("14 mons 3 days 4 hours 5 mins 6 secs"), "{out}");
}

#[tokio::test]
async fn constructors_templates_and_interval_functions() {
    let (_dir, s) = demo_session().await;
    let out = table(
        &s,
        "SELECT to_date('05 Mar 2024', 'DD Mon YYYY') AS a, \
         to_timestamp('2024-03-05 14:07', 'YYYY-MM-DD HH24:MI') AS b, \
         make_timestamp(2024, 2, 29, 12, 30, 45.5) AS c, \
         make_interval(days => 10) AS d, \
         justify_hours(INTERVAL '50 hours') AS e, justify_days(INTERVAL '35 days') AS f, \
         age(TIMESTAMP '2024-03-15', TIMESTAMP '2020-01-01') AS g, \
         INTERVAL '1 year 2 months 3 days 04:05:06' AS h, \
         (DATE '2024-01-01', DATE '2024-02-01') OVERLAPS (DATE '2024-01-15', DATE '2024-03-01') AS i",
    )
    .await;
    for expected in [
        "| 2024-03-05 | 2024-03-05T14:07:00+00:00 | 2024-02-29T12:30:45.500 | 10 days ",
        "| 2 days 2 hours | 1 mons 5 days | 50 mons 14 days | 14 mons 3 days 4 hours 5 mins 6 secs | true |",
    ] {
        assert!(out.contains(expected), "{expected}: {out}");
    }
}
