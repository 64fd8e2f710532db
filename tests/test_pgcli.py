"""pgcli against omnigraph-server: the command line without a terminal (`-l`, `--ping`,
`-c`, `-f`, backslash commands), and the catalog queries its completion runs when it
starts, through pgcli's own `PGExecute` (what the interactive prompt calls).

Each strict expected failure names the gap in docs/known-gaps.md that causes it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("pgcli")

PGCLI = Path(sys.executable).with_name("pgcli")


def pgcli(server, tmp_path, *args: str) -> str:
    """Runs pgcli non-interactively against the demo graph; returns its standard output."""
    env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path), HOME=str(tmp_path))
    # Without it pgcli prints a note on the local time zone among the output.
    (tmp_path / "pgclirc").write_text("[main]\nuse_local_timezone = False\n")
    env.pop("PGPASSWORD", None)
    result = subprocess.run(
        [str(PGCLI), "-h", server.host, "-p", str(server.port), "-U", "tester", "-w"]
        + ["--pgclirc", str(tmp_path / "pgclirc"), "--less-chatty", *args, "demo"],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, f"pgcli {args} exited {result.returncode}:\n{result.stderr}"
    return result.stdout


def table_cells(output: str) -> list[list[str]]:
    """The rows of pgcli's boxed table output, cell by cell."""
    return [
        [cell.strip() for cell in line.strip("|").split("|")]
        for line in output.splitlines()
        if line.startswith("| ")
    ]


def test_ping(server, tmp_path):
    assert "PONG" in pgcli(server, tmp_path, "--ping")


def test_query_with_c(server, tmp_path):
    out = pgcli(server, tmp_path, "-c", "SELECT name, age FROM person ORDER BY name LIMIT 3")
    rows = table_cells(out)
    assert rows[0] == ["name", "age"]
    assert rows[1:] == [["alice.chen", "28"], ["alice.garcia", "39"], ["alice.jones", "40"]]
    assert "SELECT 3" in out


def test_query_file_and_tuples_only(server, tmp_path):
    script = tmp_path / "q.sql"
    script.write_text("SELECT count(*) AS n FROM person;\n")
    out = pgcli(server, tmp_path, "-t", "-f", str(script))
    assert out.split() == ["200"]


def test_backslash_dt_lists_the_graph_tables(server, tmp_path):
    out = pgcli(server, tmp_path, "-t", "-c", "\\dt")
    tables = sorted(line.split()[1] for line in out.splitlines() if line.strip())
    assert tables == ["company", "knows", "person", "works_at"]


def test_backslash_d_describes_columns(server, tmp_path):
    rows = table_cells(pgcli(server, tmp_path, "-c", "\\d person"))
    assert rows[0] == ["Column", "Type", "Modifiers"]
    assert rows[1:] == [
        ["id", "text", "not null"],
        ["name", "text", "not null"],
        ["age", "integer", ""],
        ["city", "text", ""],
    ]


def test_backslash_d_shows_the_primary_key(server, tmp_path):
    out = pgcli(server, tmp_path, "-c", "\\d person")
    assert '"person_pkey" PRIMARY KEY' in out


def test_list_databases(server, tmp_path):
    rows = table_cells(pgcli(server, tmp_path, "-l"))
    assert rows[0][:3] == ["Name", "Owner", "Encoding"]
    assert [row[0] for row in rows[1:]] == ["demo"]


def test_backslash_df_lists_procedures(server, tmp_path):
    out = pgcli(server, tmp_path, "-c", "\\df")
    assert "neighbors" in out
    assert "TABLE(start_id text, node_id text, edge_id text)" in out
    assert "create_branch" in out


# Completion metadata: what pgcli's completer loads on connect (pgcli/completion_refresher.py).


@pytest.fixture(scope="module")
def executor(server):
    from pgcli.pgexecute import PGExecute

    executor = PGExecute(
        database="demo", user="tester", password=None, host=server.host, port=server.port, dsn=None
    )
    yield executor
    executor.conn.close()


def test_completion_search_path_and_schemata(executor):
    # As PostgreSQL answers current_schemas(true): the implicit pg_catalog first.
    assert list(executor.search_path())[:2] == ["pg_catalog", "public"]
    assert {"public", "pg_catalog", "information_schema"} <= set(executor.schemata())


def test_completion_databases(executor):
    assert "demo" in executor.databases()




def test_completion_tables(executor):
    # As PostgreSQL's, the list has the catalogs' tables too (pg_catalog, information_schema).
    tables = list(executor.tables())
    public = sorted(t for s, t in tables if s == "public")
    assert public == ["company", "knows", "person", "works_at"]
    assert any(schema == "pg_catalog" for schema, _ in tables)


def test_completion_table_columns(executor):
    columns = {(row[1], row[2]) for row in executor.table_columns()}
    assert {("person", "name"), ("person", "age"), ("knows", "src")} <= columns


@pytest.mark.xfail(
    strict=True,
    reason="known-gaps 'Client tools': the query unnests a correlated scalar subquery "
    "in a derived table, which is refused (0A000)",
)
def test_completion_foreign_keys(executor):
    keys = {(fk.childtable, fk.childcolumn, fk.parenttable) for fk in executor.foreignkeys()}
    assert ("knows", "src", "person") in keys


def test_completion_functions(executor):
    assert any(f.func_name == "neighbors" for f in executor.functions())


def test_completion_casing(executor):
    # The words of SQL-bodied functions outside pg_catalog (`regexp_split_to_table`, CTE
    # columns named `count`): there are none here, and PostgreSQL lists none for a database
    # without such functions either.
    assert list(executor.casing()) == []


def test_completion_datatypes(executor):
    # No user-defined types: PostgreSQL answers no rows here too.
    assert list(executor.datatypes()) == []
