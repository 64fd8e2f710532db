"""OmniGraph over the Postgres wire: omnigraph-server on a free loopback port, queried with
psycopg 3 like any PostgreSQL client would, so the timings include the protocol, the
session and the result encoding on top of the engine.

Binaries come from --server/--sql or the OMNIGRAPH_SERVER / OMNIGRAPH_SQL variables
(default: target/release/ of the repository). The graph lives in DATA/wire/ and is
removed afterwards; the server is always stopped."""

import os
import shutil
import subprocess
import time

import psycopg

import common

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def binary(env, name):
    target = os.environ.get("CARGO_TARGET_DIR") or os.path.join(REPO, "target")
    return os.environ.get(env) or os.path.join(target, "release", name)


def quote(text):
    """A SQL string literal (standard_conforming_strings: only quotes are doubled)."""
    return "'" + text.replace("'", "''") + "'"


POINT_LOOKUP = "SELECT name, age, city FROM person WHERE name = %s"
SCAN_GROUP = "SELECT city, count(*), avg(age) FROM person WHERE age >= %s GROUP BY city ORDER BY city"
SCAN_SUM = "SELECT count(*), sum(age) FROM person"

# Graph traversals are table functions; {0}, {1} are the start (and target) node keys.
ONE_HOP = "SELECT count(DISTINCT node_id) FROM neighbors('knows', {0})"
# The graph is the database `bench`.
FOF_CITY = (
    "SELECT count(DISTINCT b) FROM GRAPH_TABLE (bench MATCH (a:Person WHERE a.id = {0})"
    "-[:Knows]->(:Person)-[:Knows]->(x:Person WHERE x.city = '" + common.FOF_CITY + "') "
    "WHERE x.id <> a.id COLUMNS (x.id AS b))"
)
TWO_HOP = "SELECT count(*) FROM traverse('knows', {0}, 2)"
THREE_HOP = "SELECT count(*) FROM traverse('knows', {0}, 3)"
REACHABILITY = "SELECT count(*) FROM traverse('knows', {0}, 1000000)"
# One row per step including step 0 (the start), none when unreachable: rows - 1 hops.
SHORTEST_PATH = "SELECT count(*) - 1 FROM shortest_path('knows', {0}, {1})"


class Server:
    """omnigraph-server on DATA_DIR, started on enter, terminated (then killed) on exit."""

    def __init__(self, exe, data_dir, log_path):
        self.exe, self.data_dir, self.log_path = exe, data_dir, log_path
        self.proc = None

    def __enter__(self):
        self.port = common.free_port()
        self.log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.exe, "--data-dir", self.data_dir, "--listen", f"127.0.0.1:{self.port}"],
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        try:
            common.wait_for_port(self.port, 60, alive=lambda: self.proc.poll() is None)
        except Exception:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_exc):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class Traversals:
    """Runs the table-function queries with bound parameters when the server accepts
    them there; otherwise with quoted literals (noted in the output)."""

    def __init__(self, conn):
        self.cur = conn.cursor()
        self.literals = None  # decided by the first query

    def value(self, sql, *args):
        if self.literals is None:
            try:
                row = self._bound(sql, args)
                self.literals = False
                return row
            except psycopg.Error as err:
                common.log(f"wire: placeholders refused in table functions ({err}); using literals")
                self.literals = True
        return self._literal(sql, args) if self.literals else self._bound(sql, args)

    def _bound(self, sql, args):
        self.cur.execute(sql.format(*["%s"] * len(args)), args, prepare=True)
        return self.cur.fetchone()[0]

    def _literal(self, sql, args):
        self.cur.execute(sql.format(*[quote(a) for a in args]))
        return self.cur.fetchone()[0]


def workloads(conn, min_age):
    cur = conn.cursor()
    walk = Traversals(conn)

    def point_lookup(name):
        cur.execute(POINT_LOOKUP, (name,), prepare=True)
        return common.person_row(cur.fetchone())

    def count(sql):
        return lambda name: int(walk.value(sql, name))

    def shortest_path(pair):
        hops = int(walk.value(SHORTEST_PATH, *pair))
        return None if hops < 0 else hops

    def scan_group(_):
        cur.execute(SCAN_GROUP, (min_age,), prepare=True)
        return common.group_rows(cur.fetchall())

    def scan_sum(_):
        cur.execute(SCAN_SUM, prepare=True)
        return common.sum_row(*cur.fetchone())

    impls = {
        "point_lookup": point_lookup,
        "one_hop": count(ONE_HOP),
        "two_hop": count(TWO_HOP),
        "three_hop": count(THREE_HOP),
        "reachability": count(REACHABILITY),
        "shortest_path": shortest_path,
        "fof_city": count(FOF_CITY),
        "scan_group": scan_group,
        "scan_sum": scan_sum,
    }
    return impls, walk


def create_graph(sql_exe, graph_dir, schema_path):
    with open(schema_path) as f:
        schema = f.read()
    subprocess.run(
        [sql_exe, "--graph", graph_dir, "-q", "-c", f"CALL apply_schema({quote(schema)})"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def main():
    common.exit_on_sigterm()
    args = common.parse_args(__doc__)
    workload = common.read_workload(args.data)
    server_exe = binary("OMNIGRAPH_SERVER", "omnigraph-server")
    sql_exe = binary("OMNIGRAPH_SQL", "omnigraph-sql")
    wire_dir = os.path.join(args.data, "wire")
    shutil.rmtree(wire_dir, ignore_errors=True)
    os.makedirs(wire_dir)
    version = subprocess.run([server_exe, "--version"], capture_output=True, text=True).stdout.strip()
    log_path = os.path.join(wire_dir, "server.log")
    try:
        create_graph(sql_exe, os.path.join(wire_dir, "bench"), os.path.join(args.data, "schema.txt"))
        with Server(server_exe, wire_dir, log_path) as server:
            conninfo = f"host=127.0.0.1 port={server.port} user=bench dbname=bench"
            with psycopg.connect(conninfo, autocommit=True) as conn:
                start = time.perf_counter()
                conn.execute(f"CALL load({quote(os.path.join(args.data, '*.csv'))}, 'append')")
                load_seconds = time.perf_counter() - start
                common.log(f"omnigraph wire: loaded in {load_seconds:.2f}s")
                impls, walk = workloads(conn, workload["min_age"])
                results = common.run_workloads(impls, workload, args)
    except BaseException:
        if os.path.exists(log_path):
            with open(log_path, errors="replace") as f:
                common.log("omnigraph-server log (tail):\n" + f.read()[-4000:])
        raise
    finally:
        shutil.rmtree(wire_dir, ignore_errors=True)
    bound = "quoted literals" if walk.literals else "bound parameters"
    common.emit(
        "omnigraph (wire)",
        version,
        load_seconds,
        results,
        f"omnigraph-server on loopback, psycopg 3 prepared statements; table functions with {bound};"
        " load = CALL load of person.csv and knows.csv (one commit)",
    )


if __name__ == "__main__":
    main()
