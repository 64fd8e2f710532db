//! Numbers answer as PostgreSQL 15 answers, or fail with its SQLSTATE. Every expected
//! value and SQLSTATE here is PostgreSQL 15's own, checked with psql.

use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::array_value_to_string;
use omnigraph_sql::Session;

use crate::common::*;

/// The single value `sql` returns, as text, and its type.
async fn value(s: &Session, sql: &str) -> (String, DataType) {
    let batches = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let column = batches[0].column(0);
    (
        array_value_to_string(column, 0).unwrap(),
        column.data_type().clone(),
    )
}

async fn values(s: &Session, sql: &str) -> Vec<String> {
    let batches = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    batches
        .iter()
        .flat_map(|b| (0..b.num_rows()).map(|i| array_value_to_string(b.column(0), i).unwrap()))
        .collect()
}

async fn fails_with(s: &Session, sql: &str, sqlstate: &str, message: &str) {
    let e = err(s, sql).await;
    assert_eq!(e.sqlstate(), sqlstate, "{sql}: {e}");
    assert_eq!(e.message, message, "{sql}");
}

#[tokio::test]
async fn integer_arithmetic_that_overflows_is_22003() {
    let (_dir, s) = demo_session().await;
    for sql in [
        "SELECT 9223372036854775807 + 1",
        "SELECT -9223372036854775808 - 1",
        "SELECT 9223372036854775807 * 2",
        "SELECT x * x FROM (VALUES (4294967296::bigint)) t(x)",
        "SELECT x - y FROM (VALUES (-9223372036854775807::bigint, 2::bigint), (NULL, 1)) t(x, y)",
        "SELECT x - y FROM (VALUES (1::bigint, 2::bigint), (-9223372036854775807, 2)) t(x, y)",
    ] {
        fails_with(&s, sql, "22003", "bigint out of range").await;
    }
    for sql in [
        "SELECT x + x FROM (VALUES (2147483647::int)) t(x)",
        "SELECT x * 2::int FROM (VALUES (2147483647::int)) t(x)",
        "SELECT x - 1::int FROM (VALUES ((-2147483648)::int)) t(x)",
        "SELECT x::int FROM (VALUES (3000000000::bigint)) t(x)",
    ] {
        fails_with(&s, sql, "22003", "integer out of range").await;
    }
    fails_with(
        &s,
        "SELECT 32767::smallint + 1::smallint",
        "22003",
        "smallint out of range",
    )
    .await;
    fails_with(
        &s,
        "SELECT abs((-9223372036854775808)::bigint)",
        "22003",
        "bigint out of range",
    )
    .await;
    for sql in [
        "SELECT (-9223372036854775808)::bigint / -1",
        "SELECT -(-9223372036854775808)::bigint",
    ] {
        assert_eq!(err(&s, sql).await.sqlstate(), "22003", "{sql}");
    }
    // Integer division by zero was already PostgreSQL's.
    for sql in ["SELECT 1 / 0", "SELECT 1 % 0"] {
        assert_eq!(err(&s, sql).await.sqlstate(), "22012", "{sql}");
    }
    // What fits still answers, with NULLs, and over a table too.
    assert_eq!(
        values(
            &s,
            "SELECT x - y FROM (VALUES (-9223372036854775807::bigint, 1::bigint), (NULL, 1)) t(x, y)"
        )
        .await,
        ["-9223372036854775808", ""]
    );
    assert_eq!(
        value(&s, "SELECT 9223372036854775806 + 1").await.0,
        "9223372036854775807"
    );
    assert_eq!(
        value(&s, "SELECT max(age) * 2 + 1 FROM person").await,
        value(&s, "SELECT max(age + age + 1) FROM person").await
    );
}

#[tokio::test]
async fn a_literal_too_large_for_bigint_is_numeric() {
    let (_dir, s) = demo_session().await;
    let (text, data_type) = value(&s, "SELECT 9223372036854775808").await;
    assert_eq!(text, "9223372036854775808");
    assert!(matches!(data_type, DataType::Decimal128(..)), "{data_type}");
}

#[tokio::test]
async fn sum_of_bigint_is_numeric_and_sum_of_int_is_bigint() {
    let (_dir, s) = demo_session().await;
    let (text, data_type) = value(
        &s,
        "SELECT sum(x) FROM (VALUES (9223372036854775807::bigint), (1::bigint)) t(x)",
    )
    .await;
    assert_eq!(text, "9223372036854775808");
    assert!(
        matches!(data_type, DataType::Decimal128(_, 0)),
        "{data_type}"
    );
    let (text, data_type) = value(
        &s,
        "SELECT sum(x) FROM (VALUES (2147483647::int), (2147483647::int)) t(x)",
    )
    .await;
    assert_eq!((text.as_str(), data_type), ("4294967294", DataType::Int64));
    // Grouped, named, and ordered by the sum, over a table.
    let t = table(
        &s,
        "SELECT c.name, sum(p.age::bigint) AS total FROM person p \
         JOIN works_at w ON w.src = p.id JOIN company c ON w.dst = c.id \
         GROUP BY c.name ORDER BY total DESC, c.name LIMIT 2",
    )
    .await;
    assert!(t.contains("| total"), "{t}");
    assert_eq!(
        value(&s, "SELECT sum(age::bigint) FROM person").await.0,
        value(&s, "SELECT sum(age) FROM person").await.0
    );
}

#[tokio::test]
async fn floats_fail_where_postgres_fails() {
    let (_dir, s) = demo_session().await;
    for sql in [
        "SELECT 1.0::float8 / 0",
        "SELECT 0::float8 / 0",
        "SELECT x / 0 FROM (VALUES (1.5::float8)) t(x)",
    ] {
        fails_with(&s, sql, "22012", "division by zero").await;
    }
    for sql in [
        "SELECT sqrt(-1)",
        "SELECT sqrt(x) FROM (VALUES (4::float8), (-4::float8)) t(x)",
    ] {
        fails_with(
            &s,
            sql,
            "2201F",
            "cannot take square root of a negative number",
        )
        .await;
    }
    for sql in ["SELECT ln(0)", "SELECT ln(0::float8)", "SELECT log(0)"] {
        fails_with(&s, sql, "2201E", "cannot take logarithm of zero").await;
    }
    fails_with(
        &s,
        "SELECT ln(-1)",
        "2201E",
        "cannot take logarithm of a negative number",
    )
    .await;
    for sql in [
        "SELECT 1e308::float8 * 10",
        "SELECT 1e308::float8 + 1e308::float8",
        "SELECT exp(1000::float8)",
        "SELECT power(10::float8, 400)",
    ] {
        fails_with(&s, sql, "22003", "value out of range: overflow").await;
    }
    fails_with(
        &s,
        "SELECT 1e-308::float8 * 1e-308::float8",
        "22003",
        "value out of range: underflow",
    )
    .await;
    for (sql, call) in [
        ("SELECT sum(NULL)", "sum"),
        ("SELECT avg(NULL)", "avg"),
        ("SELECT array_agg(NULL)", "array_agg"),
        ("SELECT sum(NULL) OVER ()", "sum"),
    ] {
        let message = format!("function {call}(unknown) is not unique");
        fails_with(&s, sql, "42725", &message).await;
    }
    assert_eq!(value(&s, "SELECT sum(NULL::int)").await.0, "");
    // Infinity in is infinity out, as in PostgreSQL.
    assert_eq!(value(&s, "SELECT 'inf'::float8 * 2").await.0, "inf");
    assert_eq!(value(&s, "SELECT sqrt(4::float8)").await.0, "2.0");
}

#[tokio::test]
async fn rounding_follows_the_postgres_type() {
    let (_dir, s) = demo_session().await;
    // float8 rounds half to even; a literal with a decimal point is numeric in
    // PostgreSQL and rounds half away from zero.
    assert_eq!(value(&s, "SELECT round(2.5::float8)").await.0, "2.0");
    assert_eq!(value(&s, "SELECT round(3.5::float8)").await.0, "4.0");
    assert_eq!(value(&s, "SELECT round(2.5)").await.0, "3");
    assert_eq!(value(&s, "SELECT round(-2.5)").await.0, "-3");
    assert_eq!(
        values(
            &s,
            "SELECT round(x) FROM (VALUES (2.5::float8), (3.5::float8), (-2.5::float8)) t(x)"
        )
        .await,
        ["2.0", "4.0", "-2.0"]
    );
    assert_eq!(value(&s, "SELECT 2.5::int").await.0, "3");
    assert_eq!(value(&s, "SELECT -2.5::int").await.0, "-3");
    assert_eq!(value(&s, "SELECT (-2.5)::int").await.0, "-3");
    assert_eq!(value(&s, "SELECT 1.5::float8::int").await.0, "2");
    assert_eq!(value(&s, "SELECT 2.5::numeric::int").await.0, "3");
    assert_eq!(value(&s, "SELECT (-2.5)::numeric::int").await.0, "-3");
    assert_eq!(value(&s, "SELECT 2.5::float8::int").await.0, "2");
    assert_eq!(
        values(
            &s,
            "SELECT x::int FROM (VALUES (2.5::float8), (3.5::float8), (-2.5::float8)) t(x)"
        )
        .await,
        ["2", "4", "-2"]
    );
    assert_eq!(err(&s, "SELECT '2.5'::int").await.sqlstate(), "22P02");
    for (sql, message) in [
        (
            "SELECT 9223372036854775807.5::bigint",
            "bigint out of range",
        ),
        ("SELECT 1e19::float8::bigint", "bigint out of range"),
        ("SELECT 'NaN'::float8::int", "integer out of range"),
        ("SELECT 3000000000::numeric::int", "integer out of range"),
        (
            "SELECT (9223372036854775808)::bigint",
            "bigint out of range",
        ),
        (
            "SELECT abs(-9223372036854775808::bigint)",
            "bigint out of range",
        ),
    ] {
        fails_with(&s, sql, "22003", message).await;
    }
}

#[tokio::test]
async fn numeric_casts_round_half_away_from_zero() {
    let (_dir, s) = demo_session().await;
    assert_eq!(value(&s, "SELECT 1.005::numeric(10,2)").await.0, "1.01");
    assert_eq!(value(&s, "SELECT -1.005::numeric(10,2)").await.0, "-1.01");
    assert_eq!(value(&s, "SELECT 2.675::numeric(10,2)").await.0, "2.68");
    assert_eq!(value(&s, "SELECT 123.456::numeric(5,1)").await.0, "123.5");
    assert_eq!(
        value(&s, "SELECT 9223372036854775807::numeric::bigint")
            .await
            .0,
        "9223372036854775807"
    );
}

#[tokio::test]
async fn checked_constants_are_still_cached() {
    let (_dir, s) = demo_session().await;
    for _ in 0..2 {
        assert_eq!(value(&s, "SELECT 1 + 2 * 3").await.0, "7");
        fails_with(
            &s,
            "SELECT 9223372036854775807 + 1",
            "22003",
            "bigint out of range",
        )
        .await;
    }
}

#[tokio::test]
async fn decimal_literals_are_numeric_with_postgres_scales() {
    let (_dir, s) = demo_session().await;
    for (sql, expected) in [
        ("SELECT 0.1 + 0.2", "0.3"),
        ("SELECT 1.25 * 1.5", "1.875"),
        ("SELECT 1.10 + 1.200", "2.300"),
        ("SELECT 1.0 / 3", "0.33333333333333333333"),
        ("SELECT 10 / 4.0", "2.5000000000000000"),
        ("SELECT 1e20", "100000000000000000000"),
        ("SELECT '123.4500'::numeric", "123.4500"),
        ("SELECT 1.50::numeric::text", "1.50"),
        ("SELECT 42::numeric", "42"),
        ("SELECT 1e20::float8::text", "1e+20"),
        ("SELECT 1e-5::float8::text", "1e-05"),
        (
            "SELECT avg(x) FROM (VALUES (1), (2)) t(x)",
            "1.5000000000000000",
        ),
        (
            "SELECT avg(x) FROM (VALUES (2), (2), (1)) t(x)",
            "1.6666666666666667",
        ),
        (
            "SELECT avg(x) FROM (VALUES (1.5), (2.25)) t(x)",
            "1.8750000000000000",
        ),
        (
            "SELECT x::numeric / 3 FROM (VALUES (28)) t(x)",
            "9.3333333333333333",
        ),
        ("SELECT pg_typeof(1.5)::text", "numeric"),
        (
            "SELECT pg_typeof(1::int + 1::float4)::text",
            "double precision",
        ),
        ("SELECT pg_typeof(1::float4 + 1::float4)::text", "real"),
        ("SELECT atan2(1, 1)", "0.7853981633974483"),
        // `numeric` keeps its operand's scale, and what meets it is coerced to that.
        ("SELECT 1.5 < 3.14::numeric", "true"),
        ("SELECT 1.5 BETWEEN 1::numeric AND 3.14::numeric", "true"),
        ("SELECT 1.5 IN (3.14::numeric, 2)", "false"),
        ("SELECT coalesce(3.14::numeric, 1.5)", "3.14"),
        ("SELECT greatest(3.14::numeric, 1.5)", "3.14"),
        ("SELECT 2.5::float8::text = '2.5'", "true"),
        ("SELECT 2.5::float8::text IN ('2.5')", "true"),
        ("SELECT 2.5::float8::text || 'x'", "2.5x"),
        // Math of `real` is `double precision` (all but `abs`).
        ("SELECT ln(0.1::real)", "-2.3025850780928847"),
        ("SELECT sqrt(2::real)", "1.4142135623730951"),
        ("SELECT pg_typeof(ln(0.1::real))::text", "double precision"),
        ("SELECT pg_typeof(abs(-2.5::real))::text", "real"),
        (
            "SELECT CAST(true AS text) || ln(0.1::real)",
            "true-2.3025850780928847",
        ),
    ] {
        assert_eq!(value(&s, sql).await.0, expected, "{sql}");
    }
    let (_, data_type) = value(&s, "SELECT 1.5").await;
    assert_eq!(data_type, DataType::Decimal128(2, 1));
    fails_with(&s, "SELECT 1.0 / 0", "22012", "division by zero").await;
}

#[tokio::test]
async fn counts_are_postgres_integer_types() {
    let (_dir, s) = demo_session().await;
    for (sql, expected) in [
        (
            "SELECT row_number() OVER () FROM person LIMIT 1",
            DataType::Int64,
        ),
        (
            "SELECT rank() OVER (ORDER BY age) FROM person LIMIT 1",
            DataType::Int64,
        ),
        (
            "SELECT ntile(2) OVER () FROM person LIMIT 1",
            DataType::Int32,
        ),
        ("SELECT array_length(ARRAY[1, 2], 1)", DataType::Int32),
        ("SELECT cardinality(ARRAY[1, 2])", DataType::Int32),
        ("SELECT gcd(12, 18)", DataType::Int32),
        ("SELECT gcd(12::bigint, 18)", DataType::Int64),
    ] {
        assert_eq!(value(&s, sql).await.1, expected, "{sql}");
    }
    // Counts still compare with what they were compared with before.
    assert_eq!(value(&s, "SELECT 5 > ALL (ARRAY[1, 2, 3])").await.0, "true");
    assert_eq!(
        value(
            &s,
            "SELECT count(*) FROM (SELECT row_number() OVER (ORDER BY id) AS rn FROM person) t \
             WHERE rn <= 2"
        )
        .await
        .0,
        "2"
    );
}
