use crate::common::*;

#[tokio::test]
async fn procedures_run_at_execution_never_at_planning_or_explain() {
    let f = fixture().await;
    table(&f.ctx, "EXPLAIN SELECT * FROM create_branch('planned')").await;
    let df = f
        .ctx
        .sql("SELECT * FROM create_branch('planned')")
        .await
        .unwrap();
    assert!(
        !f.graph.branch_exists("planned").await.unwrap(),
        "planning alone must not create the branch"
    );
    df.collect().await.unwrap();
    assert!(f.graph.branch_exists("planned").await.unwrap());
    let t = table(&f.ctx, "SELECT * FROM delete_branch('planned')").await;
    assert!(t.contains("planned"), "{t}");
    assert!(!f.graph.branch_exists("planned").await.unwrap());
}

#[tokio::test]
async fn apply_schema_and_load_procedures() {
    let f = fixture().await;
    let migrated = format!("{SCHEMA}\nnode City {{ name: String @key }}")
        .replace("city: String?", "city: String?, nick: String?");
    let t = table(
        &f.ctx,
        &format!(
            "SELECT new_tables, altered_tables FROM apply_schema('{}')",
            migrated.replace('\'', "''")
        ),
    )
    .await;
    assert!(t.contains("| city       | person         |"), "{t}");
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("more.ndjson");
    std::fs::write(&path, "{\"type\":\"City\",\"data\":{\"name\":\"oslo\"}}\n{\"type\":\"Person\",\"data\":{\"name\":\"erin\",\"nick\":\"e\"}}\n").unwrap();
    let t = table(
        &f.ctx,
        &format!(
            "SELECT nodes, edges FROM load('{}', 'append')",
            path.display()
        ),
    )
    .await;
    assert!(t.contains("| 2     | 0     |"), "{t}");
    assert!(
        table(&f.ctx, "SELECT nick FROM person WHERE name = 'erin'")
            .await
            .contains("| e    |")
    );
    // Errors: bad mode, missing file, wrong arity.
    let e = error(
        &f.ctx,
        &format!("SELECT * FROM load('{}', 'sideways')", path.display()),
    )
    .await;
    assert!(e.contains("invalid load mode"), "{e}");
    let e = error(&f.ctx, "SELECT * FROM load('/no/such/file.ndjson')").await;
    assert!(e.contains("cannot open"), "{e}");
    let e = error(&f.ctx, "SELECT * FROM create_branch()").await;
    assert!(e.contains("takes 1 to 2 arguments"), "{e}");
}

#[tokio::test]
async fn a_failed_load_procedure_changes_nothing() {
    let f = fixture().await;
    let dir = tempfile::TempDir::new().unwrap();
    let path = dir.path().join("bad.ndjson");
    std::fs::write(&path, "{\"type\":\"Person\",\"data\":{\"name\":\"zed\"}}\n{\"edge\":\"Knows\",\"from\":\"zed\",\"to\":\"ghost\"}\n").unwrap();
    let before = f.graph.snapshot("main").await.unwrap().version();
    let e = error(&f.ctx, &format!("SELECT * FROM load('{}')", path.display())).await;
    assert!(e.contains("line 2") && e.contains("ghost"), "{e}");
    assert_eq!(f.graph.snapshot("main").await.unwrap().version(), before);
}

#[tokio::test]
async fn a_procedure_referenced_twice_runs_once() {
    let f = fixture().await;
    let t = table(
        &f.ctx,
        "WITH b AS (SELECT * FROM create_branch('cte')) SELECT branch FROM b UNION ALL SELECT branch FROM b",
    )
    .await;
    assert_eq!(t.matches("| cte    |").count(), 2, "{t}");
    assert!(f.graph.branch_exists("cte").await.unwrap());
}

/// The procedure table is the one list: every procedure is registered as a table
/// function, and the SQL reference documents each with its signature and role.
#[tokio::test]
async fn every_procedure_is_registered_and_documented_with_its_role() {
    let f = fixture().await;
    let reference = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/sql-reference.md"
    ))
    .unwrap();
    for p in datafusion_omnigraph::PROCEDURES {
        assert!(
            f.ctx.table_function(p.name).is_ok(),
            "{} is not registered",
            p.name
        );
        let row = format!("| `{}{}` | {} |", p.name, p.signature, p.role);
        assert!(
            reference.lines().any(|line| line.starts_with(&row)),
            "docs/sql-reference.md has no row starting {row}"
        );
    }
}
