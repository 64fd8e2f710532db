"""`COPY ... FROM STDIN` through real clients, compared with PostgreSQL 15.

Each case runs the same COPY with the same bytes into our `person` and into a PostgreSQL
table of the same columns (`name` its key), then compares the rows it left, or the
SQLSTATE it failed with (and that nothing was written). psycopg 3's `copy()`, psql's
`\\copy`, CopyFail and transactions are checked on their own.
"""

import subprocess
import time
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


SIGNATURE = b"PGCOPY\n\xff\r\n\x00"


def binary_copy(rows, header=SIGNATURE + b"\x00\x00\x00\x00\x00\x00\x00\x00", trailer=True):
    """PostgreSQL's binary COPY data of (name text, age int4, city text) rows; a field
    given as bytes is sent as it is."""
    out = bytearray(header)
    for row in rows:
        out += len(row).to_bytes(2, "big", signed=True)
        for value in row:
            if value is None:
                out += (-1).to_bytes(4, "big", signed=True)
                continue
            if isinstance(value, bytes):
                data = value
            elif isinstance(value, int):
                data = value.to_bytes(4, "big", signed=True)
            else:
                data = value.encode()
            out += len(data).to_bytes(4, "big") + data
    if trailer:
        out += (-1).to_bytes(2, "big", signed=True)
    return bytes(out)


# (name, rows given the case's prefix, binary_copy's options, expected SQLSTATE)
BINARY_CASES = [
    ("rows", lambda p: [(p + "a", 1, "x"), (p + "b", None, None)], {}, None),
    ("no_trailer", lambda p: [(p + "a", 1, "x")], {"trailer": False}, None),
    ("bad_signature", lambda p: [(p + "a", 1, "x")], {"header": b"PGCOPY\n\xff\r\n\x01" + bytes(8)}, "22P04"),
    ("with_oids", lambda p: [(p + "a", 1, "x")], {"header": SIGNATURE + b"\x00\x01\x00\x00" + bytes(4)}, "22P04"),
    ("field_count", lambda p: [(p + "a", 1)], {}, "22P04"),
    ("int4_of_8_bytes", lambda p: [(p + "a", (1).to_bytes(8, "big"), "x")], {}, "22P03"),
    ("cut_short", lambda p: [(p + "a", 1, "x"), (p + "b", 2, "y")], {"trailer": False, "cut": 3}, "22P04"),
    ("bad_utf8", lambda p: [(p.encode() + b"\xff", 1, "x")], {}, "22021"),
]


@pytest.mark.parametrize("name,make_rows,options,expected", BINARY_CASES, ids=[c[0] for c in BINARY_CASES])
def test_binary_copy_matches_postgres(conn, pg, name, make_rows, options, expected):
    prefix = f"{PREFIX}bin.{name}."
    options = dict(options)
    cut = options.pop("cut", 0)
    payload = binary_copy(make_rows(prefix), **options)
    if cut:
        payload = payload[:-cut]
    sql = "COPY person (name, age, city) FROM STDIN (FORMAT binary)"
    ours = copy_in(conn, sql, payload)
    theirs = copy_in(pg, sql, payload)
    assert theirs == expected, f"PostgreSQL: {theirs}"
    assert ours == theirs
    assert rows(conn, prefix) == rows(pg, prefix)


def test_psycopg_binary_copy_with_types(conn, pg):
    prefix = PREFIX + "bintypes."
    for target in (conn, pg):
        with target.cursor().copy("COPY person (name, age, city) FROM STDIN (FORMAT binary)") as copy:
            copy.set_types(["text", "int4", "text"])
            for i in range(300):
                copy.write_row((f"{prefix}{i:04}", i if i % 7 else None, "Oslo" if i % 2 else None))
    assert rows(conn, prefix) == rows(pg, prefix)
    assert len(rows(conn, prefix)) == 300


def copy_error(conn, sql: str, data: bytes):
    try:
        with conn.cursor().copy(sql) as copy:
            copy.write(data)
    except psycopg.Error as e:
        return e.sqlstate, e.diag.message_primary, e.diag.context
    return None


@pytest.mark.parametrize("options,data", [
    ("(FORMAT csv)", "{p}a,1,x\n{p}b,2\n"),
    ("(FORMAT csv)", "{p}a,1,x\n{p}b,two,y\n"),
    ("", "{p}a\t1\tx\ty\n"),
    ("", "{p}a\t1\tx\n{p}b\t99999999999\ty\n"),
], ids=["missing_column", "bad_integer", "extra_column", "out_of_range"])
def test_errors_name_their_line_as_postgres_does(conn, pg, options, data):
    prefix = PREFIX + "context."
    payload = data.format(p=prefix).encode()
    sql = f"COPY person (name, age, city) FROM STDIN {options}"
    assert copy_error(conn, sql, payload) == copy_error(pg, sql, payload)


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


def test_psycopg2_copy_expert(server):
    import io

    import psycopg2

    prefix = PREFIX + "pg2."
    data = "".join(f"{prefix}{i:03},{i},Rome\n" for i in range(50))
    conn = psycopg2.connect(server.dsn())
    try:
        with conn.cursor() as cur:
            cur.copy_expert(
                "COPY person (name, age, city) FROM STDIN WITH (FORMAT csv)", io.StringIO(data)
            )
            assert cur.rowcount == 50
        conn.commit()
        with conn.cursor() as cur:
            cur.execute("SELECT count(*), sum(age) FROM person WHERE name LIKE %s", (prefix + "%",))
            assert cur.fetchone() == (50, sum(range(50)))
    finally:
        conn.close()


def test_progress_of_a_running_copy_is_listed(server):
    prefix = PREFIX + "progress."
    with psycopg.connect(server.dsn(), autocommit=True) as conn, \
            psycopg.connect(server.dsn(), autocommit=True) as observer:
        assert observer.execute("SELECT count(*) FROM pg_stat_progress_copy").fetchone() == (0,)
        with conn.cursor().copy("COPY person (name, age) FROM STDIN") as copy:
            for i in range(20_000):
                copy.write_row((f"{prefix}{i:05}", i))
            copy.write(b"")
            # The rows sent so far have been read; the copy is still open.
            seen = None
            for _ in range(50):
                seen = observer.execute(
                    "SELECT command, type, relid = 'person'::regclass, bytes_processed > 0,"
                    " tuples_processed, bytes_total, datname"
                    " FROM pg_stat_progress_copy"
                ).fetchall()
                if seen and seen[0][4] > 0:
                    break
                time.sleep(0.1)
            assert seen and seen[0][:4] == ("COPY FROM", "PIPE", True, True), seen
            assert seen[0][5] == 0
        assert observer.execute("SELECT count(*) FROM pg_stat_progress_copy").fetchone() == (0,)
        assert len(rows(conn, prefix)) == 20_000


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
