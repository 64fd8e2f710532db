use std::io::Write;

use omnigraph_pg::users::{Role, ScramSecret, User};
use omnigraph_pg::{ConnectionLimits, Server, ServerConfig, ServerError};

use crate::common::{sqlstate, start};

pub(crate) fn users_file(dir: &std::path::Path) -> std::path::PathBuf {
    let path = dir.join("users");
    let mut file = std::fs::File::create(&path).unwrap();
    for (name, role) in [
        ("reader", Role::Read),
        ("writer", Role::Write),
        ("boss", Role::Admin),
    ] {
        let user = User {
            name: name.to_string(),
            role,
            secret: ScramSecret::generate(&format!("{name}-pw")).unwrap(),
        };
        writeln!(file, "{user}").unwrap();
    }
    path
}

#[tokio::test]
async fn scram_users_and_roles_are_enforced() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(Some(users_file(dir.path()))).await;

    let err = server
        .try_connect("reader", Some("wrong"), "demo")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "28P01");
    let err = server
        .try_connect("nobody", Some("x"), "demo")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "28P01");
    assert!(server.try_connect("reader", None, "demo").await.is_err());

    let reader = server
        .try_connect("reader", Some("reader-pw"), "demo")
        .await
        .unwrap();
    reader
        .query("SELECT count(*) FROM person", &[])
        .await
        .unwrap();
    for sql in [
        "INSERT INTO person (name) VALUES ('r')",
        "DELETE FROM person",
        "CALL create_branch('r')",
        "SELECT * FROM create_branch('r')",
        "WITH b AS (SELECT * FROM create_branch('r')) SELECT branch FROM b",
        "SELECT 1 WHERE EXISTS (SELECT * FROM merge('main', 'main'))",
        "COPY (SELECT * FROM create_branch('r')) TO STDOUT",
        "CALL load('/etc/passwd')",
    ] {
        let err = reader.simple_query(sql).await.unwrap_err();
        assert_eq!(sqlstate(&err), "42501", "{sql}");
        let err = reader.query(sql, &[]).await.unwrap_err();
        assert_eq!(sqlstate(&err), "42501", "{sql}");
    }

    let writer = server
        .try_connect("writer", Some("writer-pw"), "demo")
        .await
        .unwrap();
    writer
        .batch_execute("INSERT INTO person (name) VALUES ('w'); CALL create_branch('w')")
        .await
        .unwrap();
    reader
        .query("SELECT * FROM merge_conflicts('w')", &[])
        .await
        .unwrap();
    let err = writer
        .simple_query("CALL apply_schema('node A { n: String @key }')")
        .await
        .unwrap_err();
    assert_eq!(sqlstate(&err), "42501");
    // The actor of a commit is the connected user.
    let actor: String = writer
        .query_one(
            "SELECT actor FROM omnigraph.commits WHERE branch = 'main' ORDER BY committed_at DESC LIMIT 1",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(actor, "writer");

    let boss = server
        .try_connect("boss", Some("boss-pw"), "demo")
        .await
        .unwrap();
    let path = dir.path().join("more.ndjson");
    std::fs::write(
        &path,
        "{\"type\":\"Company\",\"data\":{\"name\":\"Loaded Inc\"}}\n",
    )
    .unwrap();
    boss.simple_query(&format!("CALL load('{}')", path.display()))
        .await
        .unwrap();
    let n: i64 = reader
        .query_one(
            "SELECT count(*) FROM company WHERE name = 'Loaded Inc'",
            &[],
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(n, 1);
}

#[tokio::test]
async fn trust_mode_refuses_non_loopback_addresses() {
    let data = tempfile::tempdir().unwrap();
    let result = Server::bind(ServerConfig {
        data_dir: data.path().to_path_buf(),
        listen: "0.0.0.0:0".parse().unwrap(),
        demo: false,
        users: None,
        tls_cert: None,
        tls_key: None,
        limits: ConnectionLimits::default(),
        log: Default::default(),
    })
    .await;
    assert!(matches!(result, Err(ServerError::TrustOnNetwork(_))));
}
