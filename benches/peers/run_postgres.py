"""PostgreSQL 15 (Debian's postgresql-15 server binaries): a throw-away cluster in a temp
dir on a free loopback port, the CSVs copied in with COPY, traversals as recursive CTEs,
every query a prepared statement through psycopg 3.

As root the cluster runs as the `postgres` user (postgres refuses to run as root), like
benches/src/postgres.rs does. The cluster is always stopped and its directory removed."""

import glob
import os
import shutil
import subprocess
import tempfile
import time

import psycopg

import common

UNPRIVILEGED_USER = "postgres"


def pg_bin_dir():
    if os.environ.get("PG_BIN"):
        return os.environ["PG_BIN"]
    dirs = sorted(d for d in glob.glob("/usr/lib/postgresql/*/bin") if os.path.exists(os.path.join(d, "pg_ctl")))
    if not dirs:
        raise SystemExit("no PostgreSQL server binaries under /usr/lib/postgresql; install postgresql-15 or set PG_BIN")
    # Prefer 15, the version the benchmark documents, when several are installed.
    preferred = [d for d in dirs if "/15/" in d]
    return (preferred or dirs)[-1]


class Cluster:
    """initdb + pg_ctl start on enter; pg_ctl stop -m immediate and rm -rf on exit."""

    def __init__(self):
        self.bin = pg_bin_dir()
        self.as_root = os.geteuid() == 0
        self.dir = None
        self.started = False

    def _run(self, program, *args):
        command = [os.path.join(self.bin, program), *args]
        if self.as_root:
            command = ["runuser", "-u", UNPRIVILEGED_USER, "--", *command]
        done = subprocess.run(command, cwd=self.dir, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed: {done.stdout}{done.stderr}")

    def __enter__(self):
        self.dir = tempfile.mkdtemp(prefix="omnigraph-bench-pg")
        if self.as_root:
            subprocess.run(["chown", "-R", UNPRIVILEGED_USER, self.dir], check=True)
        data = os.path.join(self.dir, "data")
        self.port = common.free_port()
        self._run("initdb", "-D", data, "-U", "bench", "-A", "trust", "-E", "UTF8", "--no-sync")
        # Durability off, as OmniGraph's benchmark writes are not fsynced either; memory
        # settings sized so that hash joins of a full reachability do not spill to disk.
        options = (
            f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c shared_buffers=512MB -c work_mem=256MB"
            " -c maintenance_work_mem=512MB -c max_wal_size=4GB"
        )
        self.started = True  # from here on, always try to stop it
        self._run("pg_ctl", "-D", data, "-l", os.path.join(self.dir, "server.log"), "-w", "-o", options, "start")
        return self

    def __exit__(self, *_exc):
        try:
            if self.started:
                self._run("pg_ctl", "-D", os.path.join(self.dir, "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def conninfo(self):
        return f"host=127.0.0.1 port={self.port} user=bench dbname=postgres"


SCHEMA = [
    "CREATE TABLE person (name text NOT NULL, age integer, city text)",
    "CREATE TABLE knows (src text NOT NULL, dst text NOT NULL, since date)",
]

# Keys and indexes are built after the bulk copy (faster than maintaining them row by
# row); the knows index covers dst so 1-hop and the BFS steps are index-only scans.
KEYS = [
    "ALTER TABLE person ADD PRIMARY KEY (name)",
    "CREATE INDEX knows_src ON knows (src) INCLUDE (dst)",
    "VACUUM ANALYZE person",
    "VACUUM ANALYZE knows",
]

POINT_LOOKUP = "SELECT name, age, city FROM person WHERE name = %s"

ONE_HOP = "SELECT count(DISTINCT dst) FROM knows WHERE src = %s"

# Distance 1..k = reached by a walk of 1..k edges, minus the start (distance 0); each
# level deduplicated before the next join.
TWO_HOP = """
WITH h1 AS (SELECT DISTINCT dst AS node FROM knows WHERE src = %(s)s),
     h2 AS (SELECT DISTINCT k.dst AS node FROM h1 JOIN knows k ON k.src = h1.node)
SELECT count(*) FROM (SELECT node FROM h1 UNION SELECT node FROM h2) u WHERE node <> %(s)s
"""

FOF_CITY = f"""
SELECT count(DISTINCT k2.dst) FROM knows k1 JOIN knows k2 ON k2.src = k1.dst
JOIN person p ON p.name = k2.dst
WHERE k1.src = %(s)s AND p.city = '{common.FOF_CITY}' AND k2.dst <> %(s)s
"""

THREE_HOP = """
WITH h1 AS (SELECT DISTINCT dst AS node FROM knows WHERE src = %(s)s),
     h2 AS (SELECT DISTINCT k.dst AS node FROM h1 JOIN knows k ON k.src = h1.node),
     h3 AS (SELECT DISTINCT k.dst AS node FROM h2 JOIN knows k ON k.src = h2.node)
SELECT count(*) FROM (SELECT node FROM h1 UNION SELECT node FROM h2 UNION SELECT node FROM h3) u
WHERE node <> %(s)s
"""

# UNION (not UNION ALL) makes PostgreSQL drop rows already in the result, so the working
# table of each iteration is exactly the newly reached nodes: a breadth-first search.
REACHABILITY = """
WITH RECURSIVE reach(node) AS (
    SELECT %(s)s::text
    UNION
    SELECT k.dst FROM reach r JOIN knows k ON k.src = r.node
)
SELECT count(*) - 1 FROM reach
"""

# A shortest path needs each node's BFS depth, and a (node, depth) row defeats UNION's
# deduplication. So one row per BFS level carries the frontier (array) and the visited
# set (a jsonb object, for logarithmic membership tests); a level expands the frontier
# through the knows index, keeps unvisited nodes, and the search stops at the target.
SHORTEST_PATH = """
WITH RECURSIVE bfs(frontier, visited, depth, found) AS (
    SELECT ARRAY[%(a)s::text], jsonb_build_object(%(a)s::text, true), 0, %(a)s::text = %(b)s::text
    UNION ALL
    SELECT step.frontier, bfs.visited || step.visited, bfs.depth + 1, %(b)s::text = ANY (step.frontier)
    FROM bfs CROSS JOIN LATERAL (
        SELECT array_agg(n.node) AS frontier, jsonb_object_agg(n.node, true) AS visited
        FROM (SELECT DISTINCT k.dst AS node FROM knows k
              WHERE k.src = ANY (bfs.frontier) AND NOT bfs.visited ? k.dst) n
    ) step
    WHERE NOT bfs.found AND step.frontier IS NOT NULL
)
SELECT depth FROM bfs WHERE found
"""

SCAN_GROUP = """
SELECT city, count(*), avg(age) FROM person WHERE age >= %s
GROUP BY city ORDER BY city NULLS LAST
"""

SCAN_SUM = "SELECT count(*), sum(age) FROM person"


def copy_csv(cur, table, path):
    """Streams a CSV into `table` with COPY ... FROM STDIN (client-side, like psql's \\copy),
    so the postgres user need not be able to read the data directory."""
    with open(path, "rb") as f, cur.copy(f"COPY {table} FROM STDIN WITH (FORMAT csv, HEADER true)") as copy:
        while block := f.read(1 << 20):
            copy.write(block)


def load(conn, data_dir):
    with conn.cursor() as cur:
        # With asynchronous commit the copied rows cannot get their hint bits until the
        # WAL writer flushes, so VACUUM right after the copy would leave the visibility
        # map empty and every "index-only" scan would visit the heap.
        cur.execute("SET synchronous_commit = on")
        for statement in SCHEMA:
            cur.execute(statement)
        copy_csv(cur, "person", os.path.join(data_dir, "person.csv"))
        copy_csv(cur, "knows", os.path.join(data_dir, "knows.csv"))
        for statement in KEYS:
            cur.execute(statement)
        cur.execute("RESET synchronous_commit")


def workloads(conn, min_age):
    cur = conn.cursor()

    def one(sql, params):
        cur.execute(sql, params, prepare=True)
        return cur.fetchone()

    def point_lookup(name):
        return common.person_row(one(POINT_LOOKUP, (name,)))

    def one_hop(name):
        return one(ONE_HOP, (name,))[0]

    def by_start(sql):
        return lambda name: one(sql, {"s": name})[0]

    def shortest_path(pair):
        row = one(SHORTEST_PATH, {"a": pair[0], "b": pair[1]})
        return None if row is None else int(row[0])

    def scan_group(_):
        cur.execute(SCAN_GROUP, (min_age,), prepare=True)
        return common.group_rows(cur.fetchall())

    def scan_sum(_):
        return common.sum_row(*one(SCAN_SUM, None))

    return {
        "point_lookup": point_lookup,
        "one_hop": one_hop,
        "two_hop": by_start(TWO_HOP),
        "three_hop": by_start(THREE_HOP),
        "reachability": by_start(REACHABILITY),
        "shortest_path": shortest_path,
        "fof_city": by_start(FOF_CITY),
        "scan_group": scan_group,
        "scan_sum": scan_sum,
    }


def main():
    common.exit_on_sigterm()
    args = common.parse_args(__doc__)
    workload = common.read_workload(args.data)
    with Cluster() as cluster:
        with psycopg.connect(cluster.conninfo(), autocommit=True) as conn:
            version = conn.execute("SHOW server_version").fetchone()[0]
            start = time.perf_counter()
            load(conn, args.data)
            load_seconds = time.perf_counter() - start
            common.log(f"postgresql {version}: loaded in {load_seconds:.2f}s")
            results = common.run_workloads(workloads(conn, workload["min_age"]), workload, args)
    common.emit(
        "postgresql",
        version,
        load_seconds,
        results,
        "loopback TCP, prepared statements (psycopg 3), fsync off; COPY FROM STDIN of the CSVs,"
        " then primary key on person(name), index on knows(src) INCLUDE (dst), VACUUM ANALYZE (all in load);"
        " shortest path as a level-per-row recursive CTE with a jsonb visited set",
    )


if __name__ == "__main__":
    main()
