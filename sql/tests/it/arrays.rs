//! Arrays as PostgreSQL 15 reads and writes them: the text form both ways, the array
//! operators and constructors, and set-returning functions. Every expected answer is
//! PostgreSQL 15's own.

use datafusion::arrow::util::display::array_value_to_string;
use omnigraph_sql::Session;

use crate::common::*;

/// Every row of `sql`, each as its values' text joined by `|` (`NULL` for a null).
async fn rows(s: &Session, sql: &str) -> Vec<String> {
    let batches = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    batches
        .iter()
        .flat_map(|b| {
            (0..b.num_rows()).map(move |i| {
                b.columns()
                    .iter()
                    .map(|c| match c.is_null(i) {
                        true => "NULL".to_string(),
                        false => array_value_to_string(c, i).unwrap(),
                    })
                    .collect::<Vec<_>>()
                    .join("|")
            })
        })
        .collect()
}

#[tokio::test]
async fn arrays_cast_to_text_in_postgresql_form() {
    let (_dir, s) = demo_session().await;
    assert_eq!(
        rows(
            &s,
            "SELECT ARRAY[1, 2]::text, ARRAY['a b', NULL, '', 'x\"y']::text, \
             ARRAY[true, false]::text, ARRAY[[1, 2], [3, 4]]::text"
        )
        .await,
        [r#"{1,2}|{"a b",NULL,"","x\"y"}|{t,f}|{{1,2},{3,4}}"#]
    );
}

#[tokio::test]
async fn text_columns_cast_to_arrays_as_array_in_reads_them() {
    let (_dir, s) = demo_session().await;
    assert_eq!(
        rows(
            &s,
            "SELECT t::int[], t::text[] FROM (VALUES (1, '{1,2}'), (2, '{}'), (3, NULL)) v(k, t) \
             ORDER BY k"
        )
        .await,
        ["[1, 2]|[1, 2]", "[]|[]", "NULL|NULL"]
    );
    let e = err(&s, "SELECT t::int[] FROM (VALUES ('1,2')) v(t)").await;
    assert_eq!(e.sqlstate(), "22P02", "{e}");
}

#[tokio::test]
async fn array_operators_and_constructors() {
    let (_dir, s) = demo_session().await;
    assert_eq!(
        rows(
            &s,
            "SELECT ARRAY[1, 2] && ARRAY[2, 5], ARRAY[1] && ARRAY[3], \
             ARRAY[1, 2, 3] @> ARRAY[2], ARRAY[2] <@ ARRAY[1, 2]"
        )
        .await,
        ["true|false|true|true"]
    );
    assert_eq!(
        rows(
            &s,
            "SELECT ARRAY(SELECT x FROM (VALUES (3), (1), (2)) v(x) ORDER BY x)::text, \
             ARRAY(SELECT 1 WHERE false)::text"
        )
        .await,
        ["{1,2,3}|{}"]
    );
}

#[tokio::test]
async fn set_returning_functions_give_rows_and_name_their_column() {
    let (_dir, s) = demo_session().await;
    assert_eq!(
        rows(&s, "SELECT generate_series(1, 3) AS g, 'x' AS y").await,
        ["1|x", "2|x", "3|x"]
    );
    assert_eq!(
        rows(&s, "SELECT generate_series(1, 2) * 10").await,
        ["10", "20"]
    );
    assert_eq!(
        rows(
            &s,
            "SELECT pg_typeof(g)::text FROM (SELECT generate_series(1, 2) AS g) s LIMIT 1"
        )
        .await,
        ["integer"]
    );
    assert_eq!(
        rows(&s, "SELECT g, g.g FROM generate_series(1, 3) g ORDER BY g").await,
        ["1|1", "2|2", "3|3"]
    );
    assert_eq!(
        rows(&s, "SELECT unnest FROM unnest(ARRAY[2, 1]) ORDER BY unnest").await,
        ["1", "2"]
    );
    assert_eq!(
        rows(&s, "SELECT u FROM unnest(ARRAY['b', 'a']) u ORDER BY u").await,
        ["a", "b"]
    );
}
