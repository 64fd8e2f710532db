//! What each role may do is decided by what a statement does, wherever in it that sits.
//! Every procedure, every form of write and every statement that touches the server's
//! files runs in every position a statement can hold it (top level, `FROM`, a subquery,
//! a CTE, a function's argument, a traversal's start query, a start query inside one,
//! a view, `EXPLAIN ANALYZE`, `PREPARE`/`EXECUTE`), over the simple and the extended
//! protocol, as each role: a role below the one it needs gets 42501 and leaves the graph
//! and the file system as they were, and the least role that may run it does change
//! them (so the refusal is not vacuous).

use std::path::{Path, PathBuf};

use datafusion_omnigraph::{PROCEDURES, Role};
use tokio_postgres::Client;

use crate::auth::users_file;
use crate::common::{sqlstate, start};

/// A string literal holding `text`.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// How an operation is written.
enum Form {
    /// A call usable wherever a table is, such as `create_branch('b')`; `CALL`-able when
    /// it is a procedure.
    TableFunction { call: String, procedure: bool },
    /// A statement of its own (a write, a `COPY`, DDL).
    Statement(String),
}

/// What running an operation leaves behind, which the test looks for.
enum Effect {
    /// A commit or a branch change.
    Graph,
    /// A file written on the server.
    File(PathBuf),
    /// Nothing the test can see; it must merely be allowed.
    Allowed,
}

struct Operation {
    label: String,
    /// The least role that may run it.
    needs: Role,
    /// Run by the admin first, so the operation has something to act on.
    setup: Vec<String>,
    form: Form,
    effect: Effect,
}

/// Whether the roles that may run a placement can do so.
#[derive(Clone, Copy, PartialEq)]
enum Support {
    Runs,
    /// Refused (42501) below the role it needs, then 0A000: not built yet.
    NotYet,
    /// Not valid SQL here, or not planned: it fails for every role, whatever the error.
    Fails,
}

/// One way to place an operation in statements.
struct Placement {
    position: &'static str,
    statements: Vec<String>,
    supported: Support,
    /// The role the placement itself needs (a view is created by a writer).
    needs: Role,
}

fn placements(form: &Form, n: usize) -> Vec<Placement> {
    let place = |position, statements: Vec<String>, supported: bool| Placement {
        position,
        statements,
        supported: if supported {
            Support::Runs
        } else {
            Support::Fails
        },
        needs: Role::Read,
    };
    match form {
        Form::TableFunction { call, procedure } => {
            let start_query = format!("SELECT 'alice.smith' FROM {call}");
            let nested_start = format!(
                "SELECT start_id FROM neighbors_of('knows', {})",
                quote(&start_query)
            );
            let mut all = vec![
                place("FROM", vec![format!("SELECT * FROM {call}")], true),
                place(
                    "subquery",
                    vec![format!("SELECT 1 WHERE EXISTS (SELECT * FROM {call})")],
                    true,
                ),
                place(
                    "CTE",
                    vec![format!(
                        "WITH x AS (SELECT * FROM {call}) SELECT count(*) FROM x"
                    )],
                    true,
                ),
                place(
                    "function argument",
                    vec![format!(
                        "SELECT coalesce((SELECT max(1) FROM {call}), 0) AS n"
                    )],
                    true,
                ),
                place(
                    "start query of neighbors_of",
                    vec![format!(
                        "SELECT * FROM neighbors_of('knows', {})",
                        quote(&start_query)
                    )],
                    true,
                ),
                place(
                    "start query of traverse_from",
                    vec![format!(
                        "SELECT * FROM traverse_from('knows', {}, 2)",
                        quote(&start_query)
                    )],
                    true,
                ),
                place(
                    "start query inside a start query",
                    vec![format!(
                        "SELECT * FROM neighbors_of('knows', {})",
                        quote(&nested_start)
                    )],
                    true,
                ),
                place(
                    "EXPLAIN ANALYZE",
                    vec![format!("EXPLAIN ANALYZE SELECT * FROM {call}")],
                    true,
                ),
                // Views cannot be created (0A000); if they come, a view must be refused
                // below the role its query needs.
                Placement {
                    needs: Role::Write,
                    supported: Support::NotYet,
                    ..place(
                        "view",
                        vec![
                            format!("CREATE VIEW v{n} AS SELECT * FROM {call}"),
                            format!("SELECT * FROM v{n}"),
                        ],
                        false,
                    )
                },
                place(
                    "PREPARE/EXECUTE",
                    vec![
                        format!("PREPARE p{n} AS SELECT * FROM {call}"),
                        format!("EXECUTE p{n}"),
                    ],
                    true,
                ),
            ];
            if *procedure {
                all.push(place("CALL", vec![format!("CALL {call}")], true));
            }
            all
        }
        Form::Statement(statement) => {
            // ON CONFLICT is taken apart before planning only for a statement of its own.
            let from_file = statement.contains(" FROM '");
            let explains = !statement.starts_with("CREATE")
                && !statement.contains("ON CONFLICT")
                && !from_file;
            let prepares = explains && !statement.starts_with("COPY");
            // Tables are not created by DDL (only an admin could).
            let top_level = if statement.starts_with("CREATE") {
                Support::NotYet
            } else {
                Support::Runs
            };
            vec![
                Placement {
                    supported: top_level,
                    ..place("top level", vec![statement.clone()], true)
                },
                Placement {
                    supported: top_level,
                    ..place(
                        "after a comment",
                        vec![format!("/* c */ -- c\n{statement}")],
                        true,
                    )
                },
                place(
                    "EXPLAIN ANALYZE",
                    vec![format!("EXPLAIN ANALYZE {statement}")],
                    explains,
                ),
                place(
                    "PREPARE/EXECUTE",
                    vec![
                        format!("PREPARE s{n} AS {statement}"),
                        format!("EXECUTE s{n}"),
                    ],
                    prepares,
                ),
                place(
                    "start query",
                    vec![format!(
                        "SELECT * FROM neighbors_of('knows', {})",
                        quote(statement)
                    )],
                    false,
                ),
                place(
                    "writable CTE",
                    vec![format!("WITH w AS ({statement}) SELECT 1")],
                    false,
                ),
            ]
        }
    }
}

/// The schema of the graph under test: the demo's and the node types added since.
struct Schema {
    added: Vec<String>,
}

impl Schema {
    fn with(&self, extra: &str) -> String {
        let mut text = omnigraph_sql::demo::DEMO_SCHEMA.to_string();
        for node in self.added.iter().map(String::as_str).chain([extra]) {
            text.push_str(&format!("node {node} {{ k: String @key }}\n"));
        }
        text
    }
}

/// The operations of case `n`; every procedure of [`PROCEDURES`] is among them.
fn operations(n: usize, dir: &Path, schema: &Schema) -> Vec<Operation> {
    let ndjson = dir.join(format!("load{n}.ndjson"));
    std::fs::write(
        &ndjson,
        format!("{{\"type\":\"Person\",\"data\":{{\"name\":\"loaded{n}\"}}}}\n"),
    )
    .unwrap();
    let csv = dir.join(format!("in{n}.csv"));
    std::fs::write(&csv, format!("name\ncopied{n}\n")).unwrap();
    let out = dir.join(format!("out{n}.csv"));
    let procedure = |label: &str, needs, setup: Vec<String>, call: String, effect| Operation {
        label: label.to_string(),
        needs,
        setup,
        form: Form::TableFunction {
            call,
            procedure: true,
        },
        effect,
    };
    let statement = |label: &str, needs, setup: Vec<String>, sql: String, effect| Operation {
        label: label.to_string(),
        needs,
        setup,
        form: Form::Statement(sql),
        effect,
    };
    vec![
        procedure(
            "create_branch",
            Role::Write,
            vec![],
            format!("create_branch('made{n}')"),
            Effect::Graph,
        ),
        procedure(
            "delete_branch",
            Role::Write,
            vec![format!("CALL create_branch('doomed{n}')")],
            format!("delete_branch('doomed{n}')"),
            Effect::Graph,
        ),
        procedure(
            "merge",
            Role::Write,
            vec![
                format!("CALL create_branch('src{n}')"),
                format!("INSERT INTO src{n}.person (name) VALUES ('merged{n}')"),
            ],
            format!("merge('src{n}', 'main')"),
            Effect::Graph,
        ),
        procedure(
            "optimize",
            Role::Write,
            vec![
                format!("INSERT INTO person (name) VALUES ('small{n}a')"),
                format!("INSERT INTO person (name) VALUES ('small{n}b')"),
            ],
            "optimize('person')".to_string(),
            Effect::Graph,
        ),
        procedure(
            "cleanup",
            Role::Admin,
            vec![],
            "cleanup(1000)".to_string(),
            Effect::Allowed,
        ),
        procedure(
            "merge_conflicts",
            Role::Read,
            vec![format!("CALL create_branch('compared{n}')")],
            format!("merge_conflicts('compared{n}', 'main')"),
            Effect::Allowed,
        ),
        procedure(
            "apply_schema",
            Role::Admin,
            vec![],
            format!(
                "apply_schema({})",
                quote(&schema.with(&format!("Added{n}")))
            ),
            Effect::Graph,
        ),
        procedure(
            "create_index",
            Role::Admin,
            vec!["CALL drop_index('person_city_idx', true)".to_string()],
            "create_index('person', 'city')".to_string(),
            Effect::Graph,
        ),
        procedure(
            "drop_index",
            Role::Admin,
            vec!["CALL create_index('person', 'age', 'dropped_age', NULL, true)".to_string()],
            "drop_index('dropped_age')".to_string(),
            Effect::Graph,
        ),
        procedure(
            "load",
            Role::Admin,
            vec![],
            format!("load({}, 'append')", quote(&ndjson.display().to_string())),
            Effect::Graph,
        ),
        statement(
            "INSERT",
            Role::Write,
            vec![],
            format!("INSERT INTO person (name) VALUES ('ins{n}')"),
            Effect::Graph,
        ),
        statement(
            "INSERT ... SELECT",
            Role::Write,
            vec![],
            format!("INSERT INTO person (name) SELECT 'sel{n}'"),
            Effect::Graph,
        ),
        statement(
            "UPDATE",
            Role::Write,
            vec![],
            format!("UPDATE person SET age = {n} WHERE name = 'alice.smith'"),
            Effect::Graph,
        ),
        statement(
            "DELETE",
            Role::Write,
            vec![format!("INSERT INTO person (name) VALUES ('del{n}')")],
            format!("DELETE FROM person WHERE name = 'del{n}'"),
            Effect::Graph,
        ),
        statement(
            "TRUNCATE",
            Role::Write,
            vec![format!("INSERT INTO scratch (k) VALUES ('t{n}')")],
            "TRUNCATE scratch".to_string(),
            Effect::Graph,
        ),
        statement(
            "REPLACE INTO",
            Role::Write,
            vec![],
            format!("REPLACE INTO person (name, age) VALUES ('rep{n}', 1)"),
            Effect::Graph,
        ),
        statement(
            "ON CONFLICT DO NOTHING",
            Role::Write,
            vec![],
            format!("INSERT INTO person (name) VALUES ('new{n}') ON CONFLICT (name) DO NOTHING"),
            Effect::Graph,
        ),
        statement(
            "ON CONFLICT DO UPDATE",
            Role::Write,
            vec![],
            format!(
                "INSERT INTO person (name, age) VALUES ('alice.jones', {n}) \
                 ON CONFLICT (name) DO UPDATE SET age = excluded.age"
            ),
            Effect::Graph,
        ),
        statement(
            "COPY (query) TO file",
            Role::Admin,
            vec![],
            format!(
                "COPY (SELECT 'x' AS x) TO {} STORED AS CSV",
                quote(&out.display().to_string())
            ),
            Effect::File(out.clone()),
        ),
        statement(
            "COPY(query) TO file",
            Role::Admin,
            vec![],
            format!(
                "COPY(SELECT name FROM person) TO {}",
                quote(&out.with_extension("parquet").display().to_string())
            ),
            Effect::File(out.with_extension("parquet")),
        ),
        statement(
            "COPY table TO file",
            Role::Admin,
            vec![],
            format!(
                "COPY person TO {}",
                quote(&out.with_extension("json").display().to_string())
            ),
            Effect::File(out.with_extension("json")),
        ),
        statement(
            "COPY table FROM file",
            Role::Admin,
            vec![],
            format!(
                "COPY person (name) FROM {} WITH (FORMAT csv, HEADER)",
                quote(&csv.display().to_string())
            ),
            Effect::Graph,
        ),
        statement(
            "CREATE EXTERNAL TABLE",
            Role::Admin,
            vec![],
            format!(
                "CREATE EXTERNAL TABLE ext{n} STORED AS CSV LOCATION {} OPTIONS ('format.has_header' 'true')",
                quote(&csv.display().to_string())
            ),
            Effect::Allowed,
        ),
    ]
}

/// Every branch's head: any commit, branch creation or deletion changes it.
async fn graph_state(admin: &Client) -> String {
    let rows = admin
        .simple_query("SELECT name, head_commit FROM omnigraph.branches ORDER BY name")
        .await
        .unwrap();
    format!("{rows:?}")
}

#[derive(Clone, Copy, Debug)]
enum Protocol {
    Simple,
    Extended,
}

/// Runs `statements` in order; the first error ends the run.
async fn run(
    client: &Client,
    protocol: Protocol,
    statements: &[String],
) -> Result<(), tokio_postgres::Error> {
    for sql in statements {
        match protocol {
            Protocol::Simple => client.simple_query(sql).await.map(drop)?,
            Protocol::Extended => client.query(sql.as_str(), &[]).await.map(drop)?,
        }
    }
    Ok(())
}

#[tokio::test]
async fn each_role_may_do_exactly_what_its_statements_need() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(Some(users_file(dir.path()))).await;
    let mut clients = Vec::new();
    for (role, user) in [
        (Role::Read, "reader"),
        (Role::Write, "writer"),
        (Role::Admin, "boss"),
    ] {
        let client = server
            .try_connect(user, Some(&format!("{user}-pw")), "demo")
            .await
            .unwrap();
        clients.push((role, client));
    }
    let admin = &clients[2].1;
    let mut schema = Schema { added: vec![] };
    admin
        .simple_query(&format!(
            "CALL apply_schema({})",
            quote(&schema.with("Scratch"))
        ))
        .await
        .unwrap();
    schema.added.push("Scratch".to_string());

    // Every procedure has its operation here, with the role its spec declares.
    let listed = operations(0, dir.path(), &schema);
    for spec in PROCEDURES {
        let operation = listed
            .iter()
            .find(|o| o.label == spec.name)
            .unwrap_or_else(|| panic!("procedure {} is not exercised here", spec.name));
        assert_eq!(operation.needs, spec.role, "{}", spec.name);
    }

    let mut n = 0;
    let mut cases = 0;
    // Each case builds its operation afresh (new names, files and schema), by index.
    for (index, listed) in listed.iter().enumerate() {
        for protocol in [Protocol::Simple, Protocol::Extended] {
            let positions = placements(&listed.form, 0).len();
            for position in 0..positions {
                n += 1;
                cases += 1;
                let operation = operations(n, dir.path(), &schema).swap_remove(index);
                let placement = placements(&operation.form, n).swap_remove(position);
                let context = format!(
                    "{} in {} over {protocol:?}: {:?}",
                    operation.label, placement.position, placement.statements
                );
                for sql in &operation.setup {
                    admin.simple_query(sql).await.unwrap();
                }
                for (role, client) in &clients {
                    let before = graph_state(admin).await;
                    let result = run(client, protocol, &placement.statements).await;
                    let after = graph_state(admin).await;
                    let written = match &operation.effect {
                        Effect::File(path) => path.exists(),
                        _ => false,
                    };
                    let needs = operation.needs.max(placement.needs);
                    let allowed = *role >= needs && placement.supported == Support::Runs;
                    if !allowed {
                        let err = result.expect_err(&format!("{role} ran {context}"));
                        let expected = match placement.supported {
                            _ if *role < needs && placement.supported != Support::Fails => {
                                Some("42501")
                            }
                            Support::NotYet => Some("0A000"),
                            _ => None,
                        };
                        if let Some(code) = expected {
                            assert_eq!(sqlstate(&err), code, "{role}: {context}: {err}");
                        }
                        assert_eq!(before, after, "{role} changed the graph: {context}");
                        assert!(!written, "{role} wrote a file: {context}");
                        continue;
                    }
                    if let Err(e) = result {
                        panic!("{role} may run {context}, but: {e:?}");
                    }
                    match &operation.effect {
                        Effect::Graph => {
                            assert_ne!(before, after, "{role} changed nothing: {context}")
                        }
                        Effect::File(path) => {
                            assert!(written, "{role} wrote no file: {context}");
                            std::fs::remove_file(path).unwrap();
                        }
                        Effect::Allowed => {}
                    }
                    if operation.label == "apply_schema" {
                        schema.added.push(format!("Added{n}"));
                    }
                    break;
                }
            }
        }
    }
    assert!(cases >= 250, "{cases} cases");
}
