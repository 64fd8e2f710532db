use datafusion::arrow::util::pretty::pretty_format_batches;
use omnigraph_sql::{Session, SqlError};
use tempfile::TempDir;

pub async fn demo_session() -> (TempDir, Session) {
    let dir = TempDir::new().unwrap();
    let graph = omnigraph_sql::demo::ensure_demo_graph(dir.path().join("demo").to_str().unwrap())
        .await
        .unwrap();
    (dir, Session::new(graph).await.unwrap())
}

pub async fn table(s: &Session, sql: &str) -> String {
    let batches = s.query(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
    pretty_format_batches(&batches).unwrap().to_string()
}

pub async fn err(s: &Session, sql: &str) -> SqlError {
    match s.execute(sql).await {
        Err(e) => e,
        Ok(_) => panic!("expected {sql} to fail"),
    }
}
