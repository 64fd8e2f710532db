"""`COPY ... FROM STDIN` through real clients, compared with PostgreSQL 15.

Each case runs the same COPY with the same bytes into our `person` and into a PostgreSQL
table of the same columns (`name` its key), then compares the rows it left, or the
SQLSTATE it failed with (and that nothing was written). psycopg 3's `copy()`, psql's
`\\copy`, CopyFail and transactions are checked on their own.
"""

import subprocess
import uuid

import psycopg
import psycopg.errors as pe
import pytest

from test_differential import PG_BIN, start_pg

PREFIX = "cp." + uuid.uuid4().hex[:6] + "."

# (name, COPY options, data with {p} for the case's name prefix, expected SQLSTATE)
CASES = [
    ("text", "", "{p}a\t1\tx\n{p}b\t\\N\t\\N\n{p}c\t3\ttab\\there\\\\ \\101\n", None),
    ("text_end_marker", "", "{p}a\t1\tx\n\\.\n", None),
    ("text_delimiter_null", "(DELIMITER '|', NULL 'nil')", "{p}a|nil|x\n{p}b|2|nil\n", None),
    ("csv_header_quotes", "(FORMAT csv, HEADER true)",
     'name,age,city\n"{p}a",1,"Paris, France"\n{p}b,,""\n"{p}c",3,"say ""hi"""\n', None),
    ("csv_multiline", "(FORMAT csv)", '{p}a,1,"two\nlines"\n', None),
    ("csv_null_string", "(FORMAT csv, NULL 'NA', DELIMITER ';')", "{p}a;NA;x\n{p}b;2;NA\n", None),
    ("csv_quote_escape", "(FORMAT csv, QUOTE '''', ESCAPE '\\')", "'{p}a',1,'it\\'s'\n", None),
    ("csv_force_null", "(FORMAT csv, FORCE_NULL (city))", '{p}a,1,""\n{p}b,2,\n', None),
    ("csv_crlf", "(FORMAT csv)", "{p}a,1,x\r\n{p}b,2,y\r\n", None),
    ("too_few_columns", "(FORMAT csv)", "{p}a,1,x\n{p}b,2\n", "22P04"),
    ("too_many_columns", "", "{p}a\t1\tx\ty\n", "22P04"),
    ("bad_integer", "(FORMAT csv)", "{p}a,1,x\n{p}b,two,y\n", "22P02"),
    ("integer_out_of_range", "(FORMAT csv)", "{p}a,99999999999,x\n", "22003"),
    ("unterminated_quote", "(FORMAT csv)", '{p}a,1,"open\n', "22P04"),
    ("duplicate_key", "(FORMAT csv)", "{p}a,1,x\n{p}a,2,y\n", "23505"),
    ("null_key", "(FORMAT csv)", ",1,x\n", "23502"),
]


@pytest.fixture(scope="module")
def pg():
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 is not installed ({PG_BIN} is missing)")
    cluster = start_pg()
    try:
        with psycopg.connect(cluster.dsn("postgres", "postgres"), autocommit=True) as conn:
            conn.execute("CREATE TABLE person (name text PRIMARY KEY, age int, city text)")
            yield conn
    finally:
        cluster.stop()


@pytest.fixture
def conn(server):
    with psycopg.connect(server.dsn(), autocommit=True) as connection:
        yield connection


def copy_in(conn, sql: str, data: bytes) -> str | None:
    """Runs the COPY with `data`; the SQLSTATE it failed with, or None."""
    try:
        with conn.cursor().copy(sql) as copy:
            copy.write(data)
    except psycopg.Error as e:
        return e.sqlstate
    return None


def rows(conn, prefix: str) -> list[tuple]:
    return conn.execute(
        "SELECT name, age, city FROM person WHERE name LIKE %s ORDER BY name", (prefix + "%",)
    ).fetchall()


@pytest.mark.parametrize("name,options,data,expected", CASES, ids=[c[0] for c in CASES])
def test_copy_from_stdin_matches_postgres(conn, pg, name, options, data, expected):
    prefix = f"{PREFIX}{name}."
    payload = data.format(p=prefix).encode()
    sql = f"COPY person (name, age, city) FROM STDIN {options}"
    ours = copy_in(conn, sql, payload)
    theirs = copy_in(pg, sql, payload)
    assert theirs == expected, f"PostgreSQL: {theirs}"
    assert ours == theirs
    assert rows(conn, prefix) == rows(pg, prefix)


def test_invalid_utf8_is_22021_and_writes_nothing(conn, pg):
    prefix = PREFIX + "utf8."
    payload = f"{prefix}a,1,x\n{prefix}b,2,".encode() + b"\xff\n"
    sql = "COPY person (name, age, city) FROM STDIN (FORMAT csv)"
    assert copy_in(conn, sql, payload) == copy_in(pg, sql, payload) == "22021"
    assert rows(conn, prefix) == []


def test_rows_written_with_write_row_and_one_commit(conn):
    prefix = PREFIX + "rows."
    before = conn.execute("SELECT count(*) FROM omnigraph.commits").fetchone()[0]
    with conn.cursor().copy("COPY person (name, age) FROM STDIN") as copy:
        for i in range(2000):
            copy.write_row((f"{prefix}{i:05}", i))
    assert conn.execute(
        "SELECT count(*), sum(age) FROM person WHERE name LIKE %s", (prefix + "%",)
    ).fetchone() == (2000, sum(range(2000)))
    after = conn.execute("SELECT count(*) FROM omnigraph.commits").fetchone()[0]
    assert after == before + 1
    message = conn.execute(
        "SELECT message FROM omnigraph.commits ORDER BY version DESC LIMIT 1"
    ).fetchone()[0]
    assert message.startswith("COPY person (name, age) FROM STDIN"), message


def test_an_aborted_copy_writes_nothing(conn):
    prefix = PREFIX + "fail."
    # psycopg sends CopyFail with the exception's text and raises the exception again.
    with pytest.raises(RuntimeError, match="client gave up"):
        with conn.cursor().copy("COPY person (name, age) FROM STDIN") as copy:
            copy.write_row((prefix + "a", 1))
            raise RuntimeError("client gave up")
    assert rows(conn, prefix) == []
    assert conn.execute("SELECT 1").fetchone() == (1,)


def test_copy_in_a_transaction_is_the_transactions(server):
    prefix = PREFIX + "tx."
    with psycopg.connect(server.dsn()) as conn:
        with conn.cursor().copy("COPY person (name, age) FROM STDIN") as copy:
            copy.write_row((prefix + "a", 1))
        assert conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS
        assert len(rows(conn, prefix)) == 1
        conn.rollback()
        assert rows(conn, prefix) == []
        with conn.cursor().copy("COPY person (name, age) FROM STDIN") as copy:
            copy.write_row((prefix + "b", 2))
        conn.commit()
    with psycopg.connect(server.dsn(), autocommit=True) as other:
        assert rows(other, prefix) == [(prefix + "b", 2, None)]


def test_unknown_table_and_column_fail_before_any_data(conn):
    with pytest.raises(pe.UndefinedTable):
        with conn.cursor().copy("COPY nosuch FROM STDIN"):
            pass
    with pytest.raises(pe.UndefinedColumn):
        with conn.cursor().copy("COPY person (name, nosuch) FROM STDIN"):
            pass


def test_psql_backslash_copy(server):
    prefix = PREFIX + "psql."
    data = f"{prefix}a,5,Oslo\n{prefix}b,6,\n"
    done = subprocess.run(
        ["psql", server.dsn(), "-v", "ON_ERROR_STOP=1", "-c",
         "\\copy person (name, age, city) from stdin with (format csv)"],
        input=data, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "COPY 2"
    with psycopg.connect(server.dsn(), autocommit=True) as conn:
        assert rows(conn, prefix) == [(prefix + "a", 5, "Oslo"), (prefix + "b", 6, None)]
