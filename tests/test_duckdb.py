"""DuckDB's postgres scanner against omnigraph-server. DuckDB fetches extensions from
its own site, which CI may not reach; the PyPI package `duckdb-ext-postgres` ships the
extension built for one DuckDB release (pinned together in tests/requirements.txt), and
it is loaded from that file with automatic installs turned off, so nothing is
downloaded. Without it the tests skip and say why."""

import pathlib

import pytest

duckdb = pytest.importorskip("duckdb")


def extension_file() -> pathlib.Path:
    try:
        import duckdb_ext
    except ImportError:
        pytest.skip("the postgres extension is not installed offline: pip install duckdb-ext-postgres")
    wanted = f"v{duckdb.__version__}"
    for root in duckdb_ext.__path__:
        for path in pathlib.Path(root).rglob("postgres_scanner.duckdb_extension"):
            if wanted in path.parts:
                return path
    pytest.skip(f"duckdb-ext-postgres has no extension for DuckDB {wanted}: pin both together")


@pytest.fixture
def duck(server):
    con = duckdb.connect(
        config={"autoinstall_known_extensions": False, "autoload_known_extensions": False}
    )
    con.execute(f"LOAD '{extension_file()}'")
    dsn = f"host={server.host} port={server.port} dbname=demo user=tester"
    con.execute(f"ATTACH '{dsn}' AS og (TYPE postgres, READ_ONLY)")
    yield con
    con.close()


def test_extension_loads_without_a_download(duck):
    loaded = duck.execute(
        "SELECT loaded FROM duckdb_extensions() WHERE extension_name = 'postgres_scanner'"
    ).fetchall()
    assert loaded == [(True,)]




def test_scan_a_table(duck):
    rows = duck.execute("SELECT name, age FROM og.public.person ORDER BY name LIMIT 3").fetchall()
    assert rows == [("alice.chen", 28), ("alice.garcia", 39), ("alice.jones", 40)]


def test_postgres_query_passes_sql_through(duck):
    rows = duck.execute("SELECT * FROM postgres_query('og', 'SELECT count(*) AS n FROM person')").fetchall()
    assert rows == [(200,)]


def test_join_graph_tables_in_duckdb(duck):
    rows = duck.execute(
        "SELECT count(*) FROM og.public.knows k JOIN og.public.person p ON p.id = k.src"
    ).fetchall()
    total = duck.execute("SELECT count(*) FROM og.public.knows").fetchall()
    assert rows == total
