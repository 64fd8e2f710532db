//! Dates, times and intervals as PostgreSQL 15 answers them (TimeZone UTC): types of
//! operators and functions, fields, text input and its SQLSTATEs.

use crate::common::{demo_session, err, table};

/// Every column of `sql` is true.
async fn all_true(sql: &str) {
    let (_dir, s) = demo_session().await;
    let out = table(&s, sql).await;
    let row = out.lines().nth(3).unwrap_or_default();
    assert!(
        !row.contains("false") && !row.contains("|  |") && row.contains("true"),
        "{sql}: {out}"
    );
}

#[tokio::test]
async fn timestamptz_values_carry_the_session_zone() {
    all_true(
        "SELECT pg_typeof(now())::text = 'timestamp with time zone' AS a, \
         pg_typeof(TIMESTAMPTZ '2024-01-02 03:04:05+02')::text = 'timestamp with time zone' AS b, \
         TIMESTAMPTZ '2024-01-02 03:04:05+02' = TIMESTAMPTZ '2024-01-02 01:04:05Z' AS c, \
         pg_typeof(to_timestamp(0))::text = 'timestamp with time zone' AS d, \
         pg_typeof(date_trunc('day', DATE '2024-03-15'))::text = 'timestamp with time zone' AS e",
    )
    .await;
}

#[tokio::test]
async fn date_operators_answer_postgresql_types() {
    all_true(
        "SELECT DATE '2024-02-28' + 1 = DATE '2024-02-29' AS a, \
         pg_typeof(DATE '2024-03-01' - 1)::text = 'date' AS b, \
         DATE '2024-03-01' - DATE '2024-02-01' = 29 AS c, \
         pg_typeof(DATE '2024-03-01' - DATE '2024-02-01')::text = 'integer' AS d, \
         TIME '10:00' + INTERVAL '90 minutes' = TIME '11:30' AS e, \
         TIME '23:00' + INTERVAL '2 hours' = TIME '01:00' AS f, \
         extract(epoch FROM INTERVAL '1 hour' * 3) = 10800 AS g, \
         extract(day FROM 1.5 * INTERVAL '1 month') = 15 AS h, \
         extract(hour FROM INTERVAL '1 day' / 2) = 12 AS i",
    )
    .await;
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
        out.contains("| 1.500000 | Decimal128(38, 0) | 90000.000000 | 1.5 | Float64 | 5 | 53 |"),
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
}

#[tokio::test]
async fn text_input_reads_postgresql_forms() {
    all_true(
        "SELECT DATE 'March 5, 2024' = DATE '2024-03-05' AS a, \
         '20240305'::date = DATE '2024-03-05' AS b, \
         TIMESTAMP '2024-03-05T14:07:09.5' = TIMESTAMP '2024-03-05 14:07:09.5' AS c, \
         extract(epoch FROM '1 year 2 months 3 days 04:05:06'::interval) = 37015506 AS d, \
         extract(epoch FROM -INTERVAL '2 hours') = -7200 AS e",
    )
    .await;
}

#[tokio::test]
async fn constructors_templates_and_interval_functions() {
    all_true(
        "SELECT to_date('05 Mar 2024', 'DD Mon YYYY') = DATE '2024-03-05' AS a, \
         to_timestamp('2024-03-05 14:07', 'YYYY-MM-DD HH24:MI') \
           = TIMESTAMPTZ '2024-03-05 14:07:00+00' AS b, \
         make_timestamp(2024, 2, 29, 12, 30, 45.5) = TIMESTAMP '2024-02-29 12:30:45.5' AS c, \
         extract(epoch FROM make_interval(days => 10)) = 864000 AS d, \
         extract(day FROM justify_hours(INTERVAL '50 hours')) = 2 AS e, \
         extract(month FROM justify_days(INTERVAL '35 days')) = 1 AS f, \
         extract(year FROM age(TIMESTAMP '2024-03-15', TIMESTAMP '2020-01-01')) = 4 AS g, \
         extract(day FROM age(TIMESTAMP '2024-03-15', TIMESTAMP '2020-01-01')) = 14 AS h, \
         (DATE '2024-01-01', DATE '2024-02-01') OVERLAPS (DATE '2024-01-15', DATE '2024-03-01') AS i",
    )
    .await;
}
