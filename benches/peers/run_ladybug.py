"""Ladybug (pip `ladybug`, imported as `ladybug`; the maintained fork of Kuzu), embedded,
with an on-disk database in a temp dir: node table Person, rel table Knows, both bulk
copied from the CSVs; workloads in Cypher.

Traversals use Ladybug's BFS form of variable-length patterns, `-[:Knows* SHORTEST 1..k]->`,
which yields each node once at its shortest distance: exactly the distance-1..k set the
workloads count (the plain `*1..k` form enumerates walks and is much slower for the same
distinct count). Full reachability and shortest path need an upper bound: persons - 1
(no shortest path is longer), after raising `var_length_extend_max_depth` (default 30).
Ladybug keeps the bound in 16 bits and silently wraps larger ones (1..65536 finds
nothing, 1..65537 stops at 1 hop), so the bound is capped at 65535; when that cap is
below persons - 1, an untimed check afterwards proves no BFS reached the bound (then
the answers are exact anyway), else the run fails."""

import os
import shutil
import tempfile
import time

import ladybug

import common

SCHEMA = [
    "CREATE NODE TABLE Person (name STRING, age INT32, city STRING, PRIMARY KEY (name))",
    "CREATE REL TABLE Knows (FROM Person TO Person, since DATE)",
]

POINT_LOOKUP = "MATCH (p:Person) WHERE p.name = $name RETURN p.name, p.age, p.city"

ONE_HOP = "MATCH (a:Person {name: $name})-[:Knows]->(b:Person) RETURN count(DISTINCT b)"

# `b <> a` keeps the start out; a shortest walk of length >= 1 never ends at the start,
# but the guard costs nothing and states the semantics.
K_HOP = "MATCH (a:Person {{name: $name}})-[:Knows* SHORTEST 1..{k}]->(b:Person) WHERE b <> a RETURN count(DISTINCT b)"

SHORTEST_PATH = (
    "MATCH p = (a:Person {{name: $a}})-[:Knows* SHORTEST 1..{k}]->(b:Person {{name: $b}}) RETURN length(p)"
)

SCAN_GROUP = "MATCH (p:Person) WHERE p.age >= $min_age RETURN p.city, count(*), avg(p.age) ORDER BY p.city"

SCAN_SUM = "MATCH (p:Person) RETURN count(*), sum(p.age)"


def rows(conn, query, params=None):
    result = conn.execute(query, params or {})
    out = []
    while result.has_next():
        out.append(result.get_next())
    return out


def load(conn, data_dir, max_depth):
    # Must be set before any query with a longer pattern is bound: a statement bound
    # under the old limit keeps failing even after the setting changes.
    rows(conn, f"CALL var_length_extend_max_depth={max(30, max_depth)}")
    for statement in SCHEMA:
        rows(conn, statement)
    for table, file in (("Person", "person.csv"), ("Knows", "knows.csv")):
        path = os.path.join(data_dir, file).replace("'", "\\'")
        rows(conn, f"COPY {table} FROM '{path}' (header = true)")


FOF_CITY = (
    "MATCH (a:Person {name: $name})-[:Knows]->(:Person)-[:Knows]->(b:Person) "
    f"WHERE b.city = '{common.FOF_CITY}' AND b.name <> $name RETURN count(DISTINCT b.name)"
)

# The largest upper bound Ladybug 0.22 stores without wrapping (16 bits).
BOUND_LIMIT = 65535

DEPTH_REACHED = (
    "MATCH (a:Person {{name: $name}})-[e:Knows* SHORTEST 1..{k}]->(b:Person) RETURN max(length(e))"
)


def check_bound(conn, workload, max_depth):
    """Fails unless every BFS from a start or a shortest-path source ended before the
    bound: a search that never reaches depth max_depth has found everything reachable."""
    sources = set(workload["starts"]) | {a for a, _b in workload["pairs"]}
    for name in sorted(sources):
        reached = rows(conn, DEPTH_REACHED.format(k=max_depth), {"name": name})[0][0] or 0
        if reached >= max_depth:
            raise SystemExit(f"ladybug: BFS from {name} reached the bound {max_depth}; answers may be truncated")


def workloads(conn, min_age, max_depth):
    def count(query):
        return lambda name: int(rows(conn, query, {"name": name})[0][0])

    def point_lookup(name):
        found = rows(conn, POINT_LOOKUP, {"name": name})
        return common.person_row(found[0] if found else None)

    shortest = SHORTEST_PATH.format(k=max_depth)

    def shortest_path(pair):
        a, b = pair
        if a == b:
            # SHORTEST needs a lower bound of 1; the empty path from a node to itself is 0.
            return 0
        found = rows(conn, shortest, {"a": a, "b": b})
        return int(found[0][0]) if found else None

    def scan_group(_):
        return common.group_rows(rows(conn, SCAN_GROUP, {"min_age": min_age}))

    def scan_sum(_):
        return common.sum_row(*rows(conn, SCAN_SUM)[0])

    return {
        "point_lookup": point_lookup,
        "one_hop": count(ONE_HOP),
        "two_hop": count(K_HOP.format(k=2)),
        "three_hop": count(K_HOP.format(k=3)),
        "reachability": count(K_HOP.format(k=max_depth)),
        "shortest_path": shortest_path,
        "fof_city": count(FOF_CITY),
        "scan_group": scan_group,
        "scan_sum": scan_sum,
    }


def main():
    common.exit_on_sigterm()
    args = common.parse_args(__doc__)
    workload = common.read_workload(args.data)
    # No shortest path is longer than persons - 1 hops; Ladybug cannot go past BOUND_LIMIT.
    exact_bound = max(1, int(workload["persons"]) - 1)
    max_depth = min(exact_bound, BOUND_LIMIT)
    tmp = tempfile.mkdtemp(prefix="omnigraph-bench-ladybug")
    try:
        db = ladybug.Database(os.path.join(tmp, "db"))
        conn = ladybug.Connection(db)
        start = time.perf_counter()
        load(conn, args.data, max_depth)
        load_seconds = time.perf_counter() - start
        common.log(f"ladybug: loaded in {load_seconds:.2f}s")
        results = common.run_workloads(workloads(conn, workload["min_age"], max_depth), workload, args)
        if max_depth < exact_bound:
            check_bound(conn, workload, max_depth)
        conn.close()
        db.close()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    common.emit(
        "ladybug",
        ladybug.__version__,
        load_seconds,
        results,
        "embedded, on-disk database in a temp dir; COPY from the CSVs; k-hop, reachability and shortest"
        f" path as `-[:Knows* SHORTEST 1..k]->` (k = 2, 3, {max_depth}"
        + (" = persons - 1" if max_depth == exact_bound else ", the 16-bit limit, checked not reached")
        + ");"
        " shortest path a == b answered 0 without a query (SHORTEST needs a lower bound of 1)",
    )


if __name__ == "__main__":
    main()
