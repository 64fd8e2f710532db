use std::process::Command;

fn shell(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_omnigraph-sql"))
        .args(args)
        .output()
        .expect("run omnigraph-sql")
}

#[test]
fn csv_output_is_a_header_then_rows_and_nothing_else() {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = dir.path().join("demo");
    let g = graph.to_str().unwrap();
    let out = shell(&[
        "--graph",
        g,
        "--demo",
        "--format",
        "csv",
        "-c",
        "SELECT name, age FROM person WHERE name IN ('alice.smith', 'bob.jones') ORDER BY name",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[0], "name,age");
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[1].starts_with("alice.smith,"), "{stdout}");
    // An empty result still has its header.
    let out = shell(&[
        "--graph",
        g,
        "--format",
        "csv",
        "-c",
        "SELECT name FROM person WHERE age > 1000",
    ]);
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "name\n");
}

#[test]
fn commands_files_branches_and_exit_status() {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = dir.path().join("demo");
    let g = graph.to_str().unwrap();
    let out = shell(&[
        "--graph",
        g,
        "--demo",
        "-c",
        "CALL create_branch('f')",
        "-c",
        "SELECT 1",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let script = dir.path().join("q.sql");
    std::fs::write(
        &script,
        "SHOW omnigraph.branch;\nSELECT count(*) AS n FROM person;\n",
    )
    .unwrap();
    let out = shell(&[
        "--graph",
        g,
        "--branch",
        "f",
        "--format",
        "csv",
        "-f",
        script.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "omnigraph.branch\nf\nn\n200\n"
    );
    // -c and -f run in the order given.
    let out = shell(&[
        "--graph",
        g,
        "--format",
        "csv",
        "-f",
        script.to_str().unwrap(),
        "-c",
        "SELECT 'last' AS x",
    ]);
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "omnigraph.branch\nmain\nn\n200\nx\nlast\n"
    );
    let out = shell(&["--graph", g, "-c", "SELECT * FROM robots"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("42P01"));
    let out = shell(&["--graph", g, "--branch", "nope", "-c", "SELECT 1"]);
    assert!(!out.status.success());
}

#[test]
fn writes_print_their_command_tag_and_notices() {
    let dir = tempfile::TempDir::new().unwrap();
    let graph = dir.path().join("demo");
    let out = shell(&[
        "--graph",
        graph.to_str().unwrap(),
        "--demo",
        "-c",
        "INSERT INTO person (name, age) VALUES ('zz', 3)",
        "-c",
        "INSERT INTO knows (src, dst) VALUES ('zz', 'alice.smith')",
        "-c",
        "DELETE FROM person WHERE name = 'zz'",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("INSERT 0 1"), "{stderr}");
    assert!(stderr.contains("DELETE 1"), "{stderr}");
    assert!(
        stderr.contains("NOTICE:  deleting from person also deleted 1 incident edges"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty(), "writes print no table");
}
