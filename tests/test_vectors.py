"""Vector search over the wire: pgvector's distance operators and functions on a
`Vector(n)` property, nearest neighbours with the query vector as a bound parameter,
against brute force computed here."""

import math
import os
import random
import subprocess
from pathlib import Path

import psycopg
import pytest

from conftest import server_binary, start_server, stop_server

DIMS = 16
DOCS = 400


def l2(a, b):
    return math.sqrt(sum((x - y) ** 2 for x, y in zip(a, b)))


def cosine(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    return 1 - dot / math.sqrt(sum(x * x for x in a) * sum(y * y for y in b))


def negative_dot(a, b):
    return -sum(x * y for x, y in zip(a, b))


def text(v):
    return "[" + ",".join(repr(x) for x in v) + "]"


def as_float32(x):
    # The values a `Vector(n)` holds: 32-bit floats.
    import struct
    return struct.unpack("f", struct.pack("f", x))[0]


@pytest.fixture(scope="module")
def docs(tmp_path_factory):
    """(connection to a graph of `DOCS` documents, their vectors by n)."""
    rng = random.Random(2026)
    vectors = {n: [as_float32(rng.uniform(-1, 1)) for _ in range(DIMS)] for n in range(DOCS)}
    data_dir = Path(tmp_path_factory.mktemp("vector-data"))
    shell = Path(os.environ.get("OMNIGRAPH_SQL", server_binary().parent / "omnigraph-sql"))
    subprocess.run([str(shell), "--graph", str(data_dir / "vec"), "-q", "-c", "SELECT 1"],
                   check=True, capture_output=True)
    server = start_server(data_dir=data_dir)
    try:
        conn = psycopg.connect(server.dsn("vec"), autocommit=True)
        conn.execute("CALL apply_schema(%s)",
                     (f"node Doc {{ n: I64 @key, topic: I64, emb: Vector({DIMS}) }}",))
        with conn.cursor() as cur:
            cur.executemany("INSERT INTO doc (n, topic, emb) VALUES (%s, %s, %s)",
                            [(n, n % 4, v) for n, v in vectors.items()])
        yield conn, vectors
        conn.close()
    finally:
        stop_server(server)


def l1(a, b):
    return sum(abs(x - y) for x, y in zip(a, b))


@pytest.mark.parametrize("operator,measure",
                         [("<->", l2), ("<=>", cosine), ("<#>", negative_dot), ("<+>", l1)])
@pytest.mark.parametrize("prepare", [False, True])
def test_nearest_neighbours_with_a_bound_query_vector(docs, operator, measure, prepare):
    conn, vectors = docs
    rng = random.Random(7)
    for _ in range(3):
        q = [rng.uniform(-1, 1) for _ in range(DIMS)]
        ranked = sorted(vectors, key=lambda n: (measure(vectors[n], q), n))
        rows = conn.execute(f"SELECT n FROM doc ORDER BY emb {operator} %s LIMIT 10",
                            (text(q),), prepare=prepare).fetchall()
        assert [r[0] for r in rows] == ranked[:10]
        # A filter before the limit: 10 rows, all of the topic.
        rows = conn.execute(
            f"SELECT n, emb {operator} %s AS d FROM doc WHERE topic = %s ORDER BY d LIMIT 10",
            (text(q), 3), prepare=prepare).fetchall()
        assert [r[0] for r in rows] == [n for n in ranked if n % 4 == 3][:10]
        for n, d in rows:
            assert d == pytest.approx(measure(vectors[n], q), rel=1e-5, abs=1e-6)


def test_vector_functions_and_errors(docs):
    conn, vectors = docs
    row = conn.execute("SELECT vector_dims(emb), vector_norm(emb), emb FROM doc WHERE n = 5").fetchone()
    assert row[0] == DIMS
    assert row[1] == pytest.approx(math.sqrt(sum(x * x for x in vectors[5])), rel=1e-6)
    assert row[2] == pytest.approx(vectors[5])
    with pytest.raises(psycopg.errors.DataException) as e:
        conn.execute("SELECT emb <-> %s FROM doc", ("[1,2]",))
    assert e.value.sqlstate == "22000"
    assert f"different vector dimensions {DIMS} and 2" in str(e.value)
    with pytest.raises(psycopg.errors.InvalidTextRepresentation):
        conn.execute("SELECT l2_distance(%s, '[1]')", ("[oops]",))


def test_casts_to_vector_as_drivers_write_them(docs):
    conn, vectors = docs
    q = [0.25] * DIMS
    ranked = sorted(vectors, key=lambda n: (cosine(vectors[n], q), n))
    rows = conn.execute("SELECT n FROM doc ORDER BY emb <=> %s::vector LIMIT 5", (text(q),)).fetchall()
    assert [r[0] for r in rows] == ranked[:5]
    conn.execute("INSERT INTO doc (n, topic, emb) VALUES (%s, %s, %s::vector(16))",
                 (5000, 0, text([1.0] + [0.0] * (DIMS - 1))))
    row = conn.execute("SELECT n, emb FROM doc ORDER BY emb <-> '[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]' LIMIT 1").fetchone()
    assert row == (5000, [1.0] + [0.0] * (DIMS - 1))
    conn.execute("DELETE FROM doc WHERE n = 5000")
    # pgvector's own example: vector text for a vector column, no cast.
    conn.execute(f"INSERT INTO doc (n, topic, emb) VALUES (5001, 0, '{text([0.0] * (DIMS - 1) + [1.0])}')")
    assert conn.execute("SELECT emb FROM doc WHERE n = 5001").fetchone()[0] == [0.0] * (DIMS - 1) + [1.0]
    conn.execute("DELETE FROM doc WHERE n = 5001")
    with pytest.raises(psycopg.errors.DataException) as e:
        conn.execute("SELECT %s::vector(16)", ("[1,2]",))
    assert "expected 16 dimensions, not 2" in str(e.value)
