"""Search benchmark: top-10 nearest neighbours over N x D random vectors against LanceDB
(same Lance index type and parameters), and top-10 BM25 full-text search over short
documents against PostgreSQL 15's tsvector + GIN (which ranks by ts_rank, not BM25).

    python benches/peers/search.py [--rows 1000000] [--dims 128] [--docs 1000000]

OmniGraph runs as omnigraph-server (release build, OMNIGRAPH_SERVER / OMNIGRAPH_SQL or
$CARGO_TARGET_DIR/release) on loopback; queries go over the wire with psycopg, the query
vector bound as pgvector's `vector`. LanceDB runs in process (no wire), so its figure
is a floor. Each figure is the median latency of the queries after one warm-up pass.
Data is generated from fixed seeds; everything is written under a temporary directory
that is removed at the end. Prints one JSON object.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, os.path.dirname(__file__))
import common  # noqa: E402
from run_omnigraph_wire import Server, binary, quote  # noqa: E402

WORDS_SEED = 21
VECTORS_SEED = 128
# The index parameters both systems get: IVF partitions of about 8,192 rows (Lance's
# target for IVF_PQ, which OmniGraph's index uses), 2 dimensions per PQ sub-vector, 10 x k
# candidates re-ranked by their exact vectors; each figure at a number of partitions
# probed (--nprobes), which sets the recall.
PARTITION_ROWS = 8192
REFINE_FACTOR = 10


def median_ms(fn, inputs):
    for x in inputs[: max(1, len(inputs) // 5)]:
        fn(x)
    times = []
    for x in inputs:
        start = time.perf_counter_ns()
        fn(x)
        times.append((time.perf_counter_ns() - start) / 1e6)
    return round(statistics.median(times), 3)


def recall(found, exact):
    return round(sum(len(set(f) & set(e)) for f, e in zip(found, exact)) / (10 * len(exact)), 4)


def vectors(rows, dims, queries):
    rng = np.random.default_rng(VECTORS_SEED)
    data = rng.standard_normal((rows, dims), dtype=np.float32)
    q = rng.standard_normal((queries, dims), dtype=np.float32)
    unit = data / np.linalg.norm(data, axis=1, keepdims=True)
    exact = [np.argsort(1 - unit @ (x / np.linalg.norm(x)))[:10].tolist() for x in q]
    return data, q, exact


def documents(rows):
    """Short documents: 4 to 12 words of a 20,000-word vocabulary, Zipf-distributed."""
    rng = np.random.default_rng(WORDS_SEED)
    vocabulary = np.array(["w" + format(i, "x") + "q" for i in range(20000)])
    lengths = rng.integers(4, 13, rows)
    ranks = np.minimum(rng.zipf(1.3, lengths.sum()), 20000) - 1
    words = vocabulary[ranks]
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    docs = [" ".join(words[bounds[i]: bounds[i + 1]]) for i in range(rows)]
    # Queries: two words of middling frequency each.
    queries = [f"{vocabulary[rng.integers(20, 400)]} {vocabulary[rng.integers(20, 400)]}" for _ in range(50)]
    return docs, queries


def lancedb_vectors(tmp, data, q, exact, nprobes):
    import lancedb

    db = lancedb.connect(os.path.join(tmp, "lancedb"))
    dims = data.shape[1]
    table = db.create_table("doc", pa.table({
        "n": pa.array(np.arange(len(data), dtype=np.int64)),
        "emb": pa.FixedSizeListArray.from_arrays(pa.array(data.reshape(-1)), dims),
    }))
    start = time.perf_counter()
    table.create_index(metric="cosine", vector_column_name="emb", index_type="IVF_PQ",
                       num_partitions=max(1, len(data) // PARTITION_ROWS),
                       num_sub_vectors=dims // 2)
    build = round(time.perf_counter() - start, 1)

    out = {"index_build_s": build}
    for probes in nprobes:
        def search(x):
            return table.search(x, vector_column_name="emb").metric("cosine") \
                .nprobes(probes).refine_factor(REFINE_FACTOR) \
                .limit(10).select(["n"]).to_arrow()["n"].to_pylist()

        found = [search(x) for x in q]
        out[f"nprobes_{probes}"] = {"indexed_ms": median_ms(search, list(q)),
                                    "recall_at_10": recall(found, exact)}
    return out


def omnigraph(tmp, data, q, exact, docs, text_queries, nprobes):
    from pgvector.psycopg import register_vector

    server_exe = binary("OMNIGRAPH_SERVER", "omnigraph-server")
    sql_exe = binary("OMNIGRAPH_SQL", "omnigraph-sql")
    data_dir = os.path.join(tmp, "graphs")
    os.makedirs(data_dir)
    dims = data.shape[1]
    vec_path = os.path.join(tmp, "doc.parquet")
    pq.write_table(pa.table({
        "n": pa.array(np.arange(len(data), dtype=np.int64)),
        "emb": pa.FixedSizeListArray.from_arrays(pa.array(data.reshape(-1)), dims),
    }), vec_path)
    note_path = os.path.join(tmp, "note.parquet")
    pq.write_table(pa.table({"n": pa.array(np.arange(len(docs), dtype=np.int64)),
                             "body": pa.array(docs)}), note_path)
    subprocess.run([sql_exe, "--graph", os.path.join(data_dir, "search"), "-q", "-c", "SELECT 1"],
                   check=True, stdout=subprocess.DEVNULL)
    out = {}
    with Server(server_exe, data_dir, os.path.join(tmp, "server.log")) as server:
        dsn = f"host=127.0.0.1 port={server.port} user=bench dbname=search"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CALL apply_schema(" + quote(
                f"node Doc {{ n: I64 @key, emb: Vector({dims}) @index(using ivf_pq vector_cosine_ops) }}\n"
                "node Note { n: I64 @key, body: String @index(using inverted) }") + ")")
            start = time.perf_counter()
            conn.execute("CALL load(%s, 'append', 'Doc')", (vec_path,))
            out["vector_load_and_index_s"] = round(time.perf_counter() - start, 1)
            register_vector(conn)
            conn.execute(f"SET omnigraph.refine_factor = {REFINE_FACTOR}")
            indexed = "SELECT n FROM doc ORDER BY emb <=> %s LIMIT 10"
            # `<->` has no index here: every row is compared (the exact figure).
            exact_sql = "SELECT n FROM doc ORDER BY emb <-> %s LIMIT 10"

            def search(x, sql=indexed):
                return [r[0] for r in conn.execute(sql, (x,), prepare=True).fetchall()]

            for probes in nprobes:
                conn.execute(f"SET omnigraph.nprobes = {probes}")
                found = [search(x) for x in q]
                out[f"nprobes_{probes}"] = {"indexed_ms": median_ms(search, list(q)),
                                            "recall_at_10": recall(found, exact)}
            out["exact_ms"] = median_ms(lambda x: search(x, exact_sql), list(q[:10]))
            start = time.perf_counter()
            conn.execute("CALL load(%s, 'append', 'Note')", (note_path,))
            out["text_load_and_index_s"] = round(time.perf_counter() - start, 1)
            text_sql = "SELECT id, score FROM text_search('note', 'body', %s, 10)"
            out["text_ms"] = median_ms(
                lambda t: conn.execute(text_sql, (t,), prepare=True).fetchall(), text_queries)
            match_sql = ("SELECT n, text_score(body, %s) AS score FROM note "
                         "WHERE text_match(body, %s) ORDER BY score DESC LIMIT 10")
            out["text_match_ms"] = median_ms(
                lambda t: conn.execute(match_sql, (t, t), prepare=True).fetchall(), text_queries)
    return out


def postgres_text(docs, text_queries):
    from run_postgres import Cluster

    with Cluster() as cluster, psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
        conn.execute("CREATE TABLE note (n bigint, body text)")
        with conn.cursor().copy("COPY note (n, body) FROM STDIN") as copy:
            for i, d in enumerate(docs):
                copy.write_row((i, d))
        start = time.perf_counter()
        conn.execute("ALTER TABLE note ADD COLUMN tsv tsvector "
                     "GENERATED ALWAYS AS (to_tsvector('english', body)) STORED")
        conn.execute("CREATE INDEX note_tsv ON note USING gin (tsv)")
        conn.execute("VACUUM ANALYZE note")
        build = round(time.perf_counter() - start, 1)
        sql = ("SELECT n, ts_rank(tsv, q) AS rank FROM note, plainto_tsquery('english', %s) q "
               "WHERE tsv @@ q ORDER BY rank DESC LIMIT 10")
        # plainto_tsquery ANDs the terms; OmniGraph's default ORs them, so PostgreSQL is
        # given the OR query too (websearch syntax).
        or_sql = sql.replace("plainto_tsquery", "websearch_to_tsquery")

        def search(t):
            return conn.execute(or_sql, (t.replace(" ", " or "),), prepare=True).fetchall()

        return {"index_build_s": build, "text_ms": median_ms(search, text_queries)}


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--dims", type=int, default=128)
    parser.add_argument("--docs", type=int, default=1_000_000)
    parser.add_argument("--queries", type=int, default=50)
    parser.add_argument("--nprobes", type=int, nargs="+", default=[20, 60])
    args = parser.parse_args()
    common.exit_on_sigterm()
    tmp = tempfile.mkdtemp(prefix="omnigraph-search-bench")
    try:
        data, q, exact = vectors(args.rows, args.dims, args.queries)
        docs, text_queries = documents(args.docs)
        result = {"rows": args.rows, "dims": args.dims, "docs": args.docs,
                  "lancedb": lancedb_vectors(tmp, data, q, exact, args.nprobes),
                  "omnigraph": omnigraph(tmp, data, q, exact, docs, text_queries, args.nprobes),
                  "postgres": postgres_text(docs, text_queries)}
        print(json.dumps(result, indent=2))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
