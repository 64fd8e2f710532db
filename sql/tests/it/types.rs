//! Expressions and casts have PostgreSQL 15's types: integer literals are `integer` where
//! they fit, casts to character types truncate and pad, text reads as numbers as
//! PostgreSQL reads it, and mixes PostgreSQL refuses fail with its SQLSTATE. Every
//! expected value and SQLSTATE here is PostgreSQL 15's own, checked with psql.

use datafusion::arrow::datatypes::DataType;
use datafusion::arrow::util::display::array_value_to_string;
use omnigraph_sql::Session;

use crate::common::*;

/// The first row of `sql` as text, with each column's type.
async fn row(s: &Session, sql: &str) -> Vec<(String, DataType)> {
    let batches = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    let batch = &batches[0];
    batch
        .columns()
        .iter()
        .map(|c| (array_value_to_string(c, 0).unwrap(), c.data_type().clone()))
        .collect()
}

async fn texts(s: &Session, sql: &str) -> Vec<String> {
    row(s, sql).await.into_iter().map(|(v, _)| v).collect()
}

async fn types(s: &Session, sql: &str) -> Vec<DataType> {
    row(s, sql).await.into_iter().map(|(_, t)| t).collect()
}

async fn fails_with(s: &Session, sql: &str, sqlstate: &str) {
    let e = err(s, sql).await;
    assert_eq!(e.sqlstate(), sqlstate, "{sql}: {e}");
}

#[tokio::test]
async fn integer_literals_are_integer_where_they_fit() {
    let (_dir, s) = demo_session().await;
    use DataType::*;
    assert_eq!(
        types(&s, "SELECT 1, -2147483648, 2147483648, 1 + 1").await,
        [Int32, Int32, Int64, Int32]
    );
    assert_eq!(
        types(&s, "SELECT 1 + 3000000000, 1::bigint + 1, 7 / 2, 7 % 3").await,
        [Int64, Int64, Int32, Int32]
    );
    assert_eq!(
        texts(&s, "SELECT 7 / 2, -7 % 3, 1 + 3000000000").await,
        ["3", "-1", "3000000001"]
    );
    assert_eq!(types(&s, "VALUES (1)").await, [Int32]);
    assert_eq!(types(&s, "VALUES (1), (3000000000)").await, [Int64]);
    assert_eq!(types(&s, "SELECT 1 UNION ALL SELECT 2").await, [Int32]);
    assert_eq!(
        types(&s, "SELECT 1 UNION ALL SELECT 3000000000").await,
        [Int64]
    );
    assert_eq!(
        types(
            &s,
            "SELECT CASE WHEN true THEN 1 ELSE 2 END, coalesce(NULL, 1)"
        )
        .await,
        [Int32, Int32]
    );
    assert_eq!(
        types(&s, "SELECT ARRAY[1, 2]").await,
        [List(std::sync::Arc::new(
            datafusion::arrow::datatypes::Field::new_list_field(Int32, true)
        ))]
    );
    // Columns keep their own types.
    assert_eq!(
        types(
            &s,
            "SELECT age + 1, age / 10 * 10 FROM person ORDER BY id LIMIT 1"
        )
        .await[0],
        Int32
    );
    assert_eq!(
        texts(
            &s,
            "SELECT count(*) FROM person WHERE age IN (1, 2, 3000000000)"
        )
        .await,
        ["0"]
    );
    assert_eq!(
        texts(&s, "SELECT count(1), sum(2) FROM person LIMIT 1 OFFSET 0")
            .await
            .len(),
        2
    );
    assert_eq!(
        texts(&s, "WITH RECURSIVE r AS (SELECT 1 AS n UNION ALL SELECT n + 1 FROM r WHERE n < 5) SELECT max(n) FROM r").await,
        ["5"]
    );
    assert_eq!(
        texts(&s, "SELECT (SELECT 1) + 1, 1 IN (SELECT 1)").await,
        ["2", "true"]
    );
}

#[tokio::test]
async fn integer_arithmetic_overflows_as_integer() {
    let (_dir, s) = demo_session().await;
    for sql in [
        "SELECT 2147483647 + 1",
        "SELECT 65536 * 65536",
        "SELECT -2147483648 - 1",
        "SELECT (-2147483648) / -1",
        "SELECT -(-2147483647 - 1)",
    ] {
        let e = err(&s, sql).await;
        assert_eq!(
            (e.sqlstate(), e.message.as_str()),
            ("22003", "integer out of range"),
            "{sql}"
        );
    }
    assert_eq!(
        texts(&s, "SELECT 2147483647 + 1::bigint").await,
        ["2147483648"]
    );
}

#[tokio::test]
async fn pg_typeof_names_postgres_types() {
    let (_dir, s) = demo_session().await;
    assert_eq!(
        texts(
            &s,
            "SELECT pg_typeof(1), pg_typeof(3000000000), pg_typeof('a'), pg_typeof('a' || 1)"
        )
        .await,
        ["integer", "bigint", "unknown", "text"]
    );
    assert_eq!(
        texts(&s, "SELECT pg_typeof(1::smallint + 1::smallint), pg_typeof(1 / 2), pg_typeof(1::float4 + 1::float8), pg_typeof(true)").await,
        ["smallint", "integer", "double precision", "boolean"]
    );
    assert_eq!(
        texts(
            &s,
            "SELECT pg_typeof(current_date), pg_typeof(ARRAY[1, 2]), pg_typeof(NULL)"
        )
        .await,
        ["date", "integer[]", "unknown"]
    );
    assert_eq!(
        texts(&s, "SELECT pg_typeof(name), pg_typeof(age), pg_typeof('x'::varchar(3)), pg_typeof('x'::char(2)) FROM person LIMIT 1").await,
        ["text", "integer", "character varying", "character"]
    );
}

#[tokio::test]
async fn character_types_truncate_and_pad() {
    let (_dir, s) = demo_session().await;
    assert_eq!(
        texts(
            &s,
            "SELECT 'abcdef'::varchar(3), 'ab'::char(4), 65::int::text::char(1)"
        )
        .await,
        ["abc", "ab  ", "6"]
    );
    assert_eq!(
        texts(
            &s,
            "SELECT length('ab'::char(4)), length('ab  '::varchar), 'ab'::char(4) || 'x'"
        )
        .await,
        ["2", "4", "abx"]
    );
    assert_eq!(
        texts(
            &s,
            "SELECT 'a '::char(3) = 'a'::char(3), 'a '::text = 'a'::text"
        )
        .await,
        ["true", "false"]
    );
    fails_with(&s, "SELECT 1::no_such_type", "42704").await;
}

#[tokio::test]
async fn text_reads_as_numbers_as_postgres_reads_it() {
    let (_dir, s) = demo_session().await;
    assert_eq!(
        texts(&s, "SELECT ' 42 '::int, '-7'::bigint, '+3'::smallint").await,
        ["42", "-7", "3"]
    );
    fails_with(&s, "SELECT '9223372036854775808'::bigint", "22003").await;
    fails_with(&s, "SELECT '40000'::smallint", "22003").await;
    fails_with(&s, "SELECT '1.5'::int", "22P02").await;
    fails_with(&s, "SELECT 'abc'::int", "22P02").await;
    fails_with(&s, "SELECT 1234.5::numeric(5,2)", "22003").await;
    assert_eq!(texts(&s, "SELECT 123.456::numeric(5,2)").await, ["123.46"]);
}

#[tokio::test]
async fn incompatible_branches_fail_as_in_postgres() {
    let (_dir, s) = demo_session().await;
    fails_with(&s, "SELECT true UNION SELECT 1", "42804").await;
    fails_with(&s, "SELECT 1 UNION SELECT 'abc'", "22P02").await;
    fails_with(&s, "SELECT CASE WHEN true THEN 1 ELSE false END", "42804").await;
    fails_with(&s, "SELECT true = 1", "42883").await;
    assert_eq!(
        texts(
            &s,
            "SELECT x FROM (SELECT 1 AS x UNION SELECT '2') t ORDER BY x DESC"
        )
        .await,
        ["2"]
    );
    assert_eq!(
        types(&s, "SELECT 1 UNION SELECT '2'").await,
        [DataType::Int32]
    );
}
