"""asyncpg against omnigraph-server.

asyncpg always uses the extended protocol with binary formats: it Parses each statement,
Describes it (parameter and result types), then introspects unknown type OIDs through
pg_catalog before Binding. No pytest-asyncio here: each test drives its coroutine with
asyncio.run.

Known gaps of the server are strict xfails: when a gap is fixed its test fails (XPASS)
until the mark is removed.
"""

import asyncio
import datetime
import io
import uuid

import asyncpg
import pytest

PREFIX = "apg." + uuid.uuid4().hex[:8] + "."


def run(server, body, **connect_kwargs):
    async def main():
        conn = await asyncpg.connect(
            host=server.host, port=server.port, user="tester", database="demo", **connect_kwargs
        )
        try:
            return await body(conn)
        finally:
            await conn.close()

    return asyncio.run(asyncio.wait_for(main(), 30))


def test_connect_and_version(server):
    async def body(conn):
        assert conn.get_server_version().major == 15
        assert (await conn.fetchval("SELECT version()")).startswith("PostgreSQL 15")
        assert await conn.fetchval("SELECT current_database()") == "demo"

    run(server, body)


def test_fetch_typed_results(server):
    async def body(conn):
        row = await conn.fetchrow(
            "SELECT 1::int AS i, 'x'::text AS t, DATE '2020-01-02' AS d, NULL::text AS n, "
            "true AS b, 1.5::float8 AS f, 9000000000::bigint AS big"
        )
        assert dict(row) == {
            "i": 1, "t": "x", "d": datetime.date(2020, 1, 2), "n": None,
            "b": True, "f": 1.5, "big": 9000000000,
        }
        rows = await conn.fetch("SELECT name, age, city FROM person WHERE name = 'alice.smith'")
        assert [tuple(r) for r in rows] == [("alice.smith", 78, "Oslo")]

    run(server, body)


def test_typed_arguments(server):
    async def body(conn):
        assert await conn.fetchval("SELECT name FROM person WHERE age = $1 AND name = $2", 78, "alice.smith") == "alice.smith"
        n = await conn.fetchval("SELECT count(*) FROM knows WHERE since >= $1", datetime.date(1900, 1, 1))
        assert n == await conn.fetchval("SELECT count(*) FROM knows WHERE since IS NOT NULL")
        assert await conn.fetchval("SELECT $1::int + 1", 41) == 42
        assert await conn.fetchval("SELECT $1::text", "héllo") == "héllo"
        assert await conn.fetchval("SELECT $1::date", datetime.date(2020, 1, 2)) == datetime.date(2020, 1, 2)
        assert await conn.fetchval("SELECT $1::boolean", True) is True
        assert await conn.fetchval("SELECT $1::float8", 2.5) == 2.5
        assert await conn.fetchval("SELECT $1::bigint", 9_000_000_000) == 9_000_000_000
        assert await conn.fetchval("SELECT $1::text IS NULL", None) is True
        row = await conn.fetchrow("SELECT * FROM neighbors('knows', $1) LIMIT 1", "alice.smith")
        assert row["start_id"] == "alice.smith"

    run(server, body)


def test_prepared_statement_reuse(server):
    async def body(conn):
        stmt = await conn.prepare("SELECT age FROM person WHERE name = $1")
        assert [a.name for a in stmt.get_attributes()] == ["age"]
        assert stmt.get_parameters()[0].name == "text"
        assert await stmt.fetchval("alice.smith") == 78
        assert await stmt.fetchval("alice.jones") == 40
        assert await stmt.fetchval("nobody") is None
        for _ in range(3):
            assert (await stmt.fetchrow("alice.smith"))["age"] == 78

    run(server, body)


def test_cursor_in_transaction(server):
    async def body(conn):
        async with conn.transaction():
            names = [r["name"] async for r in conn.cursor("SELECT name FROM company ORDER BY name", prefetch=6)]
            assert len(names) == 20 and names == sorted(names)
            cur = await conn.cursor("SELECT name FROM company ORDER BY name")
            first = await cur.fetch(5)
            nxt = await cur.fetchrow()
            assert [r["name"] for r in first] == names[:5]
            assert nxt["name"] == names[5]

    run(server, body)


def test_transaction_commit_and_rollback(server):
    async def body(conn):
        kept, dropped = PREFIX + "kept", PREFIX + "dropped"
        async with conn.transaction():
            await conn.execute("INSERT INTO person (name, age) VALUES ($1, $2)", kept, 5)
            assert await conn.fetchval("SELECT age FROM person WHERE name = $1", kept) == 5
        assert await conn.fetchval("SELECT count(*) FROM person WHERE name = $1", kept) == 1

        with pytest.raises(RuntimeError):
            async with conn.transaction():
                await conn.execute("INSERT INTO person (name) VALUES ($1)", dropped)
                raise RuntimeError("roll back")
        assert await conn.fetchval("SELECT count(*) FROM person WHERE name = $1", dropped) == 0

        tr = conn.transaction()
        await tr.start()
        with pytest.raises(asyncpg.UndefinedTableError):
            await conn.fetch("SELECT * FROM nope")
        with pytest.raises(asyncpg.InFailedSQLTransactionError) as info:
            await conn.fetch("SELECT 1")
        assert info.value.sqlstate == "25P02"
        await tr.rollback()
        assert await conn.fetchval("SELECT 1") == 1

    run(server, body)


@pytest.mark.parametrize(
    "sql,cls,sqlstate",
    [
        ("SELECT * FROM no_such_table", asyncpg.UndefinedTableError, "42P01"),
        ("SELECT nope FROM person", asyncpg.UndefinedColumnError, "42703"),
        ("SELEC 1", asyncpg.PostgresSyntaxError, "42601"),
        ("INSERT INTO person (name) VALUES ('alice.smith')", asyncpg.UniqueViolationError, "23505"),
        ("SELECT 1/0", asyncpg.DivisionByZeroError, "22012"),
    ],
)
def test_errors(server, sql, cls, sqlstate):
    async def body(conn):
        with pytest.raises(cls) as info:
            await conn.execute(sql)  # simple protocol (no args)
        assert info.value.sqlstate == sqlstate
        with pytest.raises(cls) as info:
            await conn.fetch(sql)  # extended protocol
        assert info.value.sqlstate == sqlstate
        assert await conn.fetchval("SELECT 1") == 1

    run(server, body)


def test_connect_errors(server, scram_server):
    from conftest import SCRAM_USERS

    async def connect(srv, **kw):
        c = await asyncpg.connect(host=srv.host, port=srv.port, **kw)
        await c.close()

    with pytest.raises(asyncpg.InvalidCatalogNameError) as info:
        asyncio.run(connect(server, user="tester", database="demo@nosuch"))
    assert info.value.sqlstate == "3D000"
    with pytest.raises(asyncpg.InvalidPasswordError) as info:
        asyncio.run(connect(scram_server, user="reader", password="wrong", database="demo"))
    assert info.value.sqlstate == "28P01"

    async def reader():
        c = await asyncpg.connect(
            host=scram_server.host, port=scram_server.port, database="demo",
            user="reader", password=SCRAM_USERS["reader"][0],
        )
        try:
            assert await c.fetchval("SELECT current_user") == "reader"
            with pytest.raises(asyncpg.InsufficientPrivilegeError) as info:
                await c.execute("INSERT INTO person (name) VALUES ($1)", PREFIX + "nope")
            assert info.value.sqlstate == "42501"
        finally:
            await c.close()

    asyncio.run(reader())


def test_copy_from_query(server):
    async def body(conn):
        buf = io.BytesIO()
        status = await conn.copy_from_query(
            "SELECT name, age FROM person WHERE name = ANY($1::text[]) ORDER BY name",
            ["alice.smith", "alice.jones"],
            output=buf,
        )
        assert status == "COPY 2"
        assert buf.getvalue() == b"alice.jones\t40\nalice.smith\t78\n"
        buf = io.BytesIO()
        await conn.copy_from_query(
            "SELECT name, industry FROM company WHERE name = 'acme'", output=buf, format="csv"
        )
        assert buf.getvalue() == b"acme,manufacturing\n"

    run(server, body)


def test_copy_from_table(server):
    async def body(conn):
        buf = io.BytesIO()
        status = await conn.copy_from_table("company", columns=["name", "industry"], output=buf)
        assert status == "COPY 20"
        assert b"acme\tmanufacturing\n" in buf.getvalue()

    run(server, body)


def test_copy_records_to_table_sends_binary_copy(server):
    # asyncpg copies records in PostgreSQL's binary COPY format, each value in the binary
    # form of the column's type as it looked the types up.
    async def body(conn):
        rows = [(f"{PREFIX}c{i:03}", 20 + i) for i in range(300)]
        status = await conn.copy_records_to_table("person", records=rows, columns=["name", "age"])
        assert status == "COPY 300"
        got = await conn.fetch(
            "SELECT name, age FROM person WHERE name LIKE $1 ORDER BY name", PREFIX + "c%"
        )
        assert [tuple(r) for r in got] == rows
        edges = [(rows[0][0], r[0], datetime.date(2021, 1, 1 + i)) for i, r in enumerate(rows[1:4])]
        status = await conn.copy_records_to_table(
            "knows", records=edges, columns=["src", "dst", "since"]
        )
        assert status == "COPY 3"
        got = await conn.fetch(
            "SELECT src, dst, since FROM knows WHERE src = $1 ORDER BY dst", rows[0][0]
        )
        assert [tuple(r) for r in got] == edges
        with pytest.raises(asyncpg.UniqueViolationError):
            await conn.copy_records_to_table("person", records=rows[:2], columns=["name", "age"])

    run(server, body)


def test_executemany(server):
    async def body(conn):
        rows = [(f"{PREFIX}m{i}", 60 + i, datetime.date(2020, 1, 1 + i)) for i in range(4)]
        await conn.executemany("INSERT INTO person (name, age) VALUES ($1, $2)", [r[:2] for r in rows])
        got = await conn.fetch(
            "SELECT name, age FROM person WHERE name LIKE $1 ORDER BY name", PREFIX + "m%"
        )
        assert [tuple(r) for r in got] == [r[:2] for r in rows]
        await conn.executemany(
            "INSERT INTO knows (src, dst, since) VALUES ($1, $2, $3)",
            [(rows[0][0], r[0], r[2]) for r in rows[1:]],
        )
        got = await conn.fetch("SELECT dst, since FROM knows WHERE src = $1 ORDER BY dst", rows[0][0])
        assert [tuple(r) for r in got] == [(r[0], r[2]) for r in rows[1:]]

    run(server, body)


def test_cancel_via_timeout(private_server):
    # A server of its own: the cancelled query keeps running on the server (known gap).
    server = private_server

    async def body(conn):
        with pytest.raises(asyncio.TimeoutError):
            # asyncpg sends a CancelRequest when the timeout expires
            await conn.fetchval(
                "SELECT count(*) FROM person a, person b, person c, person d "
                "WHERE a.age + b.age + c.age + d.age > 10",
                timeout=0.3,
            )
        assert await conn.fetchval("SELECT 1") == 1
        await conn.execute("SET statement_timeout = 300")
        with pytest.raises(asyncpg.QueryCanceledError) as info:
            await conn.fetchval(
                "SELECT count(*) FROM person a, person b, person c, person d "
                "WHERE a.age + b.age + c.age + d.age > 10"
            )
        assert info.value.sqlstate == "57014"

    run(server, body)
