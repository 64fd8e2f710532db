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
    # A `vector` the client has no loader for arrives as its text, as pgvector's does.
    assert row[2].startswith("[") and [as_float32(float(x)) for x in row[2][1:-1].split(",")] == vectors[5]
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
    assert row == (5000, "[1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]")
    conn.execute("DELETE FROM doc WHERE n = 5000")
    # pgvector's own example: vector text for a vector column, no cast.
    conn.execute(f"INSERT INTO doc (n, topic, emb) VALUES (5001, 0, '{text([0.0] * (DIMS - 1) + [1.0])}')")
    assert conn.execute("SELECT emb FROM doc WHERE n = 5001").fetchone()[0] == text([0] * (DIMS - 1) + [1])
    conn.execute("DELETE FROM doc WHERE n = 5001")
    with pytest.raises(psycopg.errors.DataException) as e:
        conn.execute("SELECT %s::vector(16)", ("[1,2]",))
    assert "expected 16 dimensions, not 2" in str(e.value)


@pytest.mark.parametrize("prepare", [False, True])
def test_full_text_match_and_score_with_bound_queries(docs, prepare):
    """`text_match` / `text_score` with the query (and mode) as bound parameters rank as
    `text_search` does; a filter on the same table combines with the search."""
    conn, _ = docs
    conn.execute("CALL apply_schema(%s)", (
        f"node Doc {{ n: I64 @key, topic: I64, emb: Vector({DIMS}) }}\n"
        "node Note { n: I64 @key, tag: I64, body: String @index(using inverted) }",))
    words = ["graph", "vector", "branch", "merge", "commit", "column"]
    rng = random.Random(11)
    bodies = {n: " ".join(rng.choice(words) for _ in range(rng.randint(2, 9))) for n in range(60)}
    conn.execute("DELETE FROM note")
    with conn.cursor() as cur:
        cur.executemany("INSERT INTO note (n, tag, body) VALUES (%s, %s, %s)",
                        [(n, n % 2, b) for n, b in bodies.items()])
    reference = conn.execute(
        "SELECT note.n, t.score FROM text_search('note', 'body', 'graph merge') t "
        "JOIN note ON note.id = t.id ORDER BY t.score DESC, note.n").fetchall()
    rows = conn.execute(
        "SELECT n, text_score(body, %s) AS s FROM note WHERE text_match(body, %s) ORDER BY s DESC, n",
        ("graph merge", "graph merge"), prepare=prepare).fetchall()
    assert [r[0] for r in rows] == [r[0] for r in reference]
    assert [r[1] for r in rows] == pytest.approx([r[1] for r in reference], rel=1e-12)
    top = conn.execute(
        "SELECT n FROM note WHERE text_match(body, %s, %s) AND tag = %s "
        "ORDER BY text_score(body, %s, %s) DESC LIMIT 5",
        ("graph merge", "all", 1, "graph merge", "all"), prepare=prepare).fetchall()
    assert top and len(top) <= 5
    for (n,) in top:
        assert n % 2 == 1 and {"graph", "merge"} <= set(bodies[n].split())


def test_vector_columns_are_vector_n_in_the_catalog(docs):
    """psql's `\\d`, `pg_attribute` and `information_schema` describe a `Vector(n)` column
    as pgvector's `vector(n)`."""
    conn, _ = docs
    assert conn.execute(
        "SELECT format_type(atttypid, atttypmod) FROM pg_attribute "
        "WHERE attrelid = 'doc'::regclass AND attname = 'emb'").fetchone() == (f"vector({DIMS})",)
    assert conn.execute(
        "SELECT data_type, udt_name FROM information_schema.columns "
        "WHERE table_name = 'doc' AND column_name = 'emb'").fetchone() == ("USER-DEFINED", "vector")
    info = conn.info
    dsn = f"host={info.host} port={info.port} dbname={info.dbname} user={info.user}"
    done = subprocess.run(["psql", dsn, "-X", "-c", "\\d doc"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    emb = [line for line in done.stdout.splitlines() if line.strip().startswith("emb")]
    assert emb and f"vector({DIMS})" in emb[0], done.stdout


def test_pgvector_psycopg_adapters(docs):
    """pgvector's own psycopg adapters: `register_vector` finds `vector` in pg_type; values
    arrive as `Vector`s in text and binary, and query vectors go as `vector` in both."""
    import numpy as np
    from pgvector import Vector
    from pgvector.psycopg import register_vector

    conn, vectors = docs
    with psycopg.connect(conn.info.dsn, autocommit=True) as vconn:
        register_vector(vconn)
        for binary in (False, True):
            with vconn.cursor(binary=binary) as cur:
                emb = cur.execute("SELECT emb FROM doc WHERE n = 7").fetchone()[0]
                assert isinstance(emb, Vector) and emb.to_list() == vectors[7]
                q = np.array([0.5] * DIMS, dtype=np.float32)
                rows = cur.execute("SELECT n FROM doc ORDER BY emb <=> %s LIMIT 5", (q,)).fetchall()
                ranked = sorted(vectors, key=lambda n: (cosine(vectors[n], q.tolist()), n))
                assert [r[0] for r in rows] == ranked[:5]
        new = np.array([0.25] * DIMS, dtype=np.float32)
        vconn.execute("INSERT INTO doc (n, topic, emb) VALUES (%s, %s, %s)", (6000, 1, new))
        got = vconn.execute("SELECT emb FROM doc WHERE n = 6000").fetchone()[0]
        assert got.to_list() == new.tolist()
        vconn.execute("DELETE FROM doc WHERE n = 6000")
        typname = vconn.execute("SELECT typname FROM pg_type WHERE oid = to_regtype('vector')").fetchone()
        assert typname == ("vector",)


def test_pgvector_sqlalchemy_type(docs):
    """SQLAlchemy with pgvector's `Vector` column type: distance comparators in ORDER BY,
    vectors bound and read as numpy arrays."""
    import numpy as np
    import sqlalchemy as sa
    from pgvector.sqlalchemy import Vector

    conn, vectors = docs
    info = conn.info
    engine = sa.create_engine(
        f"postgresql+psycopg://{info.user}:{info.password or ''}@{info.host}:{info.port}/{info.dbname}")
    doc = sa.Table("doc", sa.MetaData(), sa.Column("n", sa.BigInteger, primary_key=True),
                   sa.Column("topic", sa.BigInteger), sa.Column("emb", Vector(DIMS)))
    q = [0.1 * (i % 5) - 0.2 for i in range(DIMS)]
    try:
        with engine.connect() as c:
            for distance, measure in ((doc.c.emb.l2_distance, l2), (doc.c.emb.cosine_distance, cosine),
                                      (doc.c.emb.max_inner_product, negative_dot)):
                rows = c.execute(sa.select(doc.c.n).order_by(distance(q)).limit(5)).all()
                ranked = sorted(vectors, key=lambda n: (measure(vectors[n], q), n))
                assert [r[0] for r in rows] == ranked[:5]
            emb = c.execute(sa.select(doc.c.emb).where(doc.c.n == 3)).scalar_one()
            assert [as_float32(x) for x in np.asarray(emb).tolist()] == vectors[3]
            c.execute(sa.insert(doc).values(n=7000, topic=2, emb=np.array([1.0] * DIMS)))
            assert list(c.execute(sa.select(doc.c.emb).where(doc.c.n == 7000)).scalar_one()) == [1.0] * DIMS
            c.execute(sa.delete(doc).where(doc.c.n == 7000))
            c.commit()
    finally:
        engine.dispose()


def test_index_recall_on_100k_random_vectors(tmp_path):
    """`@index` on a 128-d `Vector` (IVF_PQ, cosine): recall@10 of at least 0.95 at the
    default search settings on 100,000 random vectors, against exact neighbours."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pgvector.psycopg import register_vector

    rows, dims = 100_000, 128
    rng = np.random.default_rng(128)
    data = rng.standard_normal((rows, dims), dtype=np.float32)
    path = tmp_path / "doc.parquet"
    pq.write_table(pa.table({
        "n": pa.array(np.arange(rows, dtype=np.int64)),
        "emb": pa.FixedSizeListArray.from_arrays(pa.array(data.reshape(-1)), dims),
    }), path)
    data_dir = tmp_path / "graphs"
    data_dir.mkdir()
    shell = Path(os.environ.get("OMNIGRAPH_SQL", server_binary().parent / "omnigraph-sql"))
    subprocess.run([str(shell), "--graph", str(data_dir / "big"), "-q", "-c", "SELECT 1"],
                   check=True, capture_output=True)
    server = start_server(data_dir=data_dir)
    try:
        with psycopg.connect(server.dsn("big"), autocommit=True) as conn:
            conn.execute("CALL apply_schema(%s)",
                         (f"node Doc {{ n: I64 @key, emb: Vector({dims}) @index }}",))
            conn.execute("CALL load(%s, 'append', 'Doc')", (str(path),))
            register_vector(conn)
            plan = "\n".join(r[-1] for r in conn.execute(
                "EXPLAIN SELECT n FROM doc ORDER BY emb <=> %s LIMIT 10", (data[0],)).fetchall())
            assert "ANNSubIndex" in plan, plan
            unit = data / np.linalg.norm(data, axis=1, keepdims=True)
            found = 0
            queries = rng.standard_normal((20, dims), dtype=np.float32)
            for q in queries:
                exact = set(np.argsort(1 - unit @ (q / np.linalg.norm(q)))[:10].tolist())
                got = [r[0] for r in conn.execute(
                    "SELECT n FROM doc ORDER BY emb <=> %s LIMIT 10", (q,)).fetchall()]
                assert len(got) == 10
                found += len(exact & set(got))
            recall = found / (10 * len(queries))
            assert recall >= 0.95, recall
    finally:
        stop_server(server)
