//! pgbench, PostgreSQL's load driver: custom scripts run in both protocols; its own
//! schema (`pgbench -i`) cannot exist in a graph, and it is told so.

use std::process::{Command, Output};

use crate::common::{TestServer, start};

fn pgbench(server: &TestServer, args: &[&str]) -> (Output, String) {
    let output = Command::new("pgbench")
        .arg("-h")
        .arg(server.addr.ip().to_string())
        .arg("-p")
        .arg(server.addr.port().to_string())
        .args(["-U", "tester"])
        .args(args)
        .arg("demo")
        .output()
        .expect("pgbench is installed (.ci/run installs postgresql-client)");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output, text)
}

// pgbench runs as a blocking child process, so the server needs a thread of its own.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pgbench_runs_custom_scripts_and_is_told_its_schema_cannot_be_created() {
    let server = start(None).await;
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("lookup.sql");
    std::fs::write(
        &script,
        "\\set age random(1, 80)\n\
         SELECT count(*) FROM person WHERE age > :age;\n\
         SELECT name FROM person WHERE age = :age ORDER BY name LIMIT 3;\n",
    )
    .unwrap();
    let script = script.to_str().unwrap();
    for mode in ["simple", "extended", "prepared"] {
        let (out, text) = pgbench(
            &server,
            &["-n", "-M", mode, "-c", "2", "-t", "20", "-f", script],
        );
        assert!(out.status.success(), "{mode}: {text}");
        assert!(
            text.contains("number of transactions actually processed: 40/40"),
            "{mode}: {text}"
        );
        assert!(
            text.contains("number of failed transactions: 0"),
            "{mode}: {text}"
        );
    }
    let (out, text) = pgbench(&server, &["-i"]);
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("is not supported: tables are defined by the graph schema"),
        "{text}"
    );
    assert!(text.contains("CALL apply_schema"), "{text}");
}
