use datafusion::sql::parser::DFParser;
use datafusion_omnigraph::OmniGraphDialect;
use omnigraph_engine::{LoadMode, WriteOptions};

use crate::common::*;

async fn with_dialect(f: &Fixture, sql: &str) -> String {
    let mut statements =
        DFParser::parse_sql_with_dialect(sql, &OmniGraphDialect::default()).unwrap();
    let plan = f
        .ctx
        .state()
        .statement_to_plan(statements.pop_front().unwrap())
        .await
        .unwrap();
    let batches = f
        .ctx
        .execute_logical_plan(plan)
        .await
        .unwrap()
        .collect()
        .await
        .unwrap();
    datafusion::arrow::util::pretty::pretty_format_batches(&batches)
        .unwrap()
        .to_string()
}

#[tokio::test]
async fn as_of_and_system_time_read_historical_rows() {
    let f = fixture().await;
    let old = f.graph.snapshot("main").await.unwrap();
    let old_commit = old.head_commit().unwrap().to_string();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    let between = chrono::Utc::now().to_rfc3339();
    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    f.graph
        .load_ndjson(
            "main",
            r#"{"type":"Person","data":{"name":"zoe","age":9}}"#,
            LoadMode::Append,
            &WriteOptions::default(),
        )
        .await
        .unwrap();
    assert!(
        table(&f.ctx, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 4 |")
    );
    for r in [
        old.version().to_string(),
        format!("'{old_commit}'"),
        format!("'{between}'"),
    ] {
        let t = table(
            &f.ctx,
            &format!("SELECT count(*) AS n FROM as_of('person', {r})"),
        )
        .await;
        assert!(t.contains("| 3 |"), "as_of {r}: {t}");
        let t = with_dialect(
            &f,
            &format!("SELECT count(*) AS n FROM person FOR SYSTEM_TIME AS OF {r}"),
        )
        .await;
        assert!(t.contains("| 3 |"), "FOR SYSTEM_TIME AS OF {r}: {t}");
    }
    // An alias after the clause, a join between then and now.
    let t = with_dialect(
        &f,
        &format!("SELECT now_p.name FROM person now_p LEFT JOIN person FOR SYSTEM_TIME AS OF {} AS then_p ON now_p.id = then_p.id WHERE then_p.id IS NULL", old.version()),
    )
    .await;
    assert!(t.contains("zoe") && !t.contains("alice"), "{t}");
    // Pinning the session makes public read the past.
    f.graph_ctx
        .update_settings(|s| s.as_of = Some(old.version().to_string()));
    assert!(
        table(&f.ctx, "SELECT count(*) AS n FROM person")
            .await
            .contains("| 3 |")
    );
    let e = error(&f.ctx, "SELECT * FROM create_branch('x')").await;
    assert!(e.contains("read-only"), "{e}");
}
