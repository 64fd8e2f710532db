"""Differential suite: every query of tests/differential/*.sql runs on omnigraph-server and
on a PostgreSQL 15 cluster the module starts itself, holding the same demo tables and rows;
the two answers must agree, unless the query is listed in
tests/differential/known_differences.toml. See docs/differential.md.

Compared per query: the column names, the column type OIDs, the rows as the wire sends
them in text format (float4/float8 values numerically, to a relative 1e-12), and when
either side errors, the SQLSTATE (both must fail with the same one).

Corpus format: an entry starts with a line `-- id: <short id>`; the query follows until the
next `-- id:` line. Optional header lines right after the id:

    -- params: <JSON list>   run over the extended protocol with psycopg 3 server-side
                             binding (`%s` placeholders; JSON lists become arrays)

Without params an entry runs as one simple-protocol Query message. Entry ids are
`<file stem>:<id>`, e.g. `arithmetic:int4_overflow`.

Regenerate the list of known differences (keeps the reason and category of entries that
still differ, adds the new ones with a generated reason, drops the ones that now agree):

    OMNIGRAPH_SERVER=... ~/.cache/omnigraph-sql/venv/bin/python tests/test_differential.py --write-known
"""

import json
import math
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
from conftest import start_server, stop_server  # noqa: E402

CORPUS = Path(__file__).resolve().parent / "differential"
KNOWN_FILE = CORPUS / "known_differences.toml"
PG_BIN = Path(os.environ.get("PG15_BIN", "/usr/lib/postgresql/15/bin"))
ENTRY = re.compile(r"^-- id:\s*(\S+)\s*$")
FLOAT_OIDS = {700, 701}
DEMO_TABLES = ["person", "company", "knows", "works_at"]

CATEGORIES = {
    "wrong answer": "both succeed with different rows, or ours succeeds where PostgreSQL errors",
    "wrong column type": "same rows, but a column's type OID differs (and maybe its name)",
    "wrong column name": "same rows and types, but a column name differs",
    "missing feature": "PostgreSQL answers, ours errors",
    "wrong SQLSTATE": "both error, with different SQLSTATEs",
    "unstable": "answers differently from one server process to the next (a bug, in known-gaps)",
    "accepted difference": "differs by design (e.g. object OIDs, version strings); kept on regeneration",
}


@dataclass
class Query:
    file: str
    name: str
    sql: str
    params: list | None = None

    @property
    def id(self) -> str:
        return f"{self.file}:{self.name}"


def load_corpus() -> list[Query]:
    queries, seen = [], set()
    for path in sorted(CORPUS.glob("*.sql")):
        current: Query | None = None
        body: list[str] = []

        def finish():
            if current is not None:
                current.sql = "\n".join(body).strip()
                assert current.sql, f"{current.id}: empty query"
                queries.append(current)

        for line in path.read_text().splitlines():
            if m := ENTRY.match(line):
                finish()
                current, body = Query(path.stem, m.group(1), ""), []
                assert current.id not in seen, f"duplicate query id {current.id}"
                seen.add(current.id)
            elif current is None:
                continue  # file preamble
            elif not body and line.startswith("-- params:"):
                current.params = json.loads(line.split(":", 1)[1])
            else:
                body.append(line)
        finish()
    return queries


# ---------------------------------------------------------------- running and comparing


@dataclass
class Outcome:
    """What one side answered: an error's SQLSTATE and message, or columns and rows."""

    sqlstate: str | None = None
    message: str = ""
    names: list[str] = field(default_factory=list)
    oids: list[int] = field(default_factory=list)
    rows: list[tuple] = field(default_factory=list)

    def brief(self) -> str:
        if self.sqlstate:
            return f"error {self.sqlstate}: {self.message}"
        cols = ", ".join(f"{n}:{o}" for n, o in zip(self.names, self.oids))
        shown = "; ".join("|".join("NULL" if v is None else v for v in r) for r in self.rows[:3])
        more = f" (+{len(self.rows) - 3} rows)" if len(self.rows) > 3 else ""
        return f"[{cols}] {shown}{more}"


def run(conn, query: Query) -> Outcome:
    import psycopg

    cur = conn.cursor()
    try:
        if query.params is None:
            cur.execute(query.sql)  # no parameters: one simple-protocol Query message
        else:
            cur.execute(query.sql, query.params, prepare=False)  # Parse/Bind/Execute, $n bound
    except psycopg.Error as e:
        return Outcome(sqlstate=e.diag.sqlstate or "?????", message=(e.diag.message_primary or str(e)).strip())
    res = cur.pgresult
    if res is None or not cur.description:
        return Outcome()
    names = [d.name for d in cur.description]
    oids = [d.type_code for d in cur.description]
    rows = []
    for r in range(res.ntuples):
        row = []
        for c in range(res.nfields):
            raw = res.get_value(r, c)
            row.append(None if raw is None else bytes(raw).decode("utf-8", "replace"))
        rows.append(tuple(row))
    cur.close()
    return Outcome(names=names, oids=oids, rows=rows)


def same_value(a: str | None, b: str | None, is_float: bool) -> bool:
    if a == b:
        return True
    if a is None or b is None or not is_float:
        return False
    try:
        x, y = float(a), float(b)
    except ValueError:
        return False
    if math.isnan(x) or math.isnan(y) or math.isinf(x) or math.isinf(y):
        return False
    return math.isclose(x, y, rel_tol=1e-12, abs_tol=1e-300)


def compare(ours: Outcome, pg: Outcome) -> tuple[str, str] | None:
    """None when the two agree, else (category, what differs)."""
    if pg.sqlstate and ours.sqlstate:
        if pg.sqlstate == ours.sqlstate:
            return None
        return "wrong SQLSTATE", f"ours {ours.brief()} / PG {pg.brief()}"
    if ours.sqlstate:
        return "missing feature", f"ours {ours.brief()}"
    if pg.sqlstate:
        return "wrong answer", f"PG {pg.brief()} / ours {ours.brief()}"
    floats = [a in FLOAT_OIDS or b in FLOAT_OIDS for a, b in zip(ours.oids, pg.oids)]
    rows_equal = len(ours.rows) == len(pg.rows) and all(
        len(o) == len(p) and all(same_value(a, b, f) for a, b, f in zip(o, p, floats))
        for o, p in zip(ours.rows, pg.rows)
    )
    if not rows_equal:
        for i, (o, p) in enumerate(zip(ours.rows, pg.rows)):
            if o != p:
                return "wrong answer", f"row {i}: ours {o} / PG {p} ({len(ours.rows)} vs {len(pg.rows)} rows)"
        return "wrong answer", f"{len(ours.rows)} rows / PG {len(pg.rows)} rows"
    diffs = []
    if ours.oids != pg.oids:
        diffs.append(f"type OIDs ours {ours.oids} / PG {pg.oids}")
    if ours.names != pg.names:
        diffs.append(f"names ours {ours.names} / PG {pg.names}")
    if not diffs:
        return None
    return ("wrong column type" if ours.oids != pg.oids else "wrong column name"), "; ".join(diffs)


# ---------------------------------------------------------------- PostgreSQL 15 cluster


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgCluster:
    root: Path
    port: int

    def dsn(self, user: str = "tester", database: str = "demo") -> str:
        return f"host=127.0.0.1 port={self.port} dbname={database} user={user}"

    def stop(self) -> None:
        if (self.root / "data" / "postmaster.pid").exists():
            subprocess.run(
                as_cluster_owner([str(PG_BIN / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "-w", "stop"]),
                capture_output=True,
            )
        shutil.rmtree(self.root, ignore_errors=True)


def as_cluster_owner(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: under root, run its programs as `postgres`."""
    return ["runuser", "-u", "postgres", "--"] + command if os.geteuid() == 0 else command


def run_pg_program(command: list[str]) -> None:
    done = subprocess.run(as_cluster_owner(command), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def start_pg() -> PgCluster:
    root = Path(tempfile.mkdtemp(prefix="omnigraph-pg15-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    cluster = PgCluster(root, free_port())
    try:
        run_pg_program(
            [str(PG_BIN / "initdb"), "-D", str(root / "data"), "-U", "postgres", "--auth=trust",
             "-E", "UTF8", "--no-locale", "--no-sync"]
        )
        # C locale, UTC and ISO dates: what omnigraph-server reports for lc_collate,
        # TimeZone and DateStyle.
        options = (
            f"-p {cluster.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c TimeZone=UTC -c DateStyle='ISO, MDY' -c lc_messages=C"
        )
        run_pg_program(
            [str(PG_BIN / "pg_ctl"), "-D", str(root / "data"), "-l", str(root / "log"), "-w",
             "-o", options, "start"]
        )
    except BaseException:
        cluster.stop()
        raise
    return cluster


def copy_demo(server, cluster: PgCluster) -> None:
    """Creates the demo tables in PostgreSQL from our information_schema (same types, NOT
    NULL, primary keys; owned by `postgres` like ours) and copies the rows with COPY."""
    import psycopg

    with psycopg.connect(cluster.dsn("postgres", "postgres"), autocommit=True) as admin:
        admin.execute("CREATE ROLE tester SUPERUSER LOGIN")
        admin.execute("CREATE DATABASE demo")
    with psycopg.connect(server.dsn(), autocommit=True) as ours, \
            psycopg.connect(cluster.dsn("postgres"), autocommit=True) as pg:
        columns = ours.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        ).fetchall()
        keys = ours.execute(
            "SELECT table_name, column_name FROM information_schema.key_column_usage "
            "WHERE table_schema = 'public' AND constraint_name IN (SELECT constraint_name "
            "FROM information_schema.table_constraints WHERE constraint_type = 'PRIMARY KEY' "
            "AND table_schema = 'public') ORDER BY table_name, ordinal_position"
        ).fetchall()
        tables = sorted({t for t, *_ in columns})
        assert set(DEMO_TABLES) <= set(tables), tables
        for table in tables:
            defs = [
                f'"{c}" {t}' + (" NOT NULL" if n == "NO" else "")
                for tt, c, t, n in columns if tt == table
            ]
            pk = [c for t, c in keys if t == table]
            if pk:
                defs.append(f"CONSTRAINT {table}_pkey PRIMARY KEY (" + ", ".join(f'"{c}"' for c in pk) + ")")
            pg.execute(f'CREATE TABLE "{table}" ({", ".join(defs)})')
            with ours.cursor().copy(f'COPY "{table}" TO STDOUT') as source, \
                    pg.cursor().copy(f'COPY "{table}" FROM STDIN') as sink:
                for block in source:
                    sink.write(block)
            n_ours = ours.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            n_pg = pg.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
            assert n_ours == n_pg, f"{table}: {n_ours} rows copied as {n_pg}"
        # Edges' src/dst reference their endpoints' id in our pg_constraint: the same
        # foreign keys in PostgreSQL, added once the rows are in.
        foreign_keys = ours.execute(
            "SELECT c.relname, r.conname, pg_get_constraintdef(r.oid) FROM pg_catalog.pg_constraint r "
            "JOIN pg_catalog.pg_class c ON c.oid = r.conrelid "
            "JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace "
            "WHERE r.contype = 'f' AND n.nspname = 'public' ORDER BY 1, 2"
        ).fetchall()
        for table, name, definition in foreign_keys:
            pg.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        # The graph's other indexes (edges' endpoints, @key, @unique, @index): the same
        # indexes in PostgreSQL, as our pg_indexes defines them (btree ones: PostgreSQL has
        # no bitmap or labellist access method).
        indexes = ours.execute(
            "SELECT indexdef FROM pg_catalog.pg_indexes WHERE schemaname = 'public' "
            "AND indexname NOT LIKE '%\\_pkey' AND indexdef LIKE '% USING btree %' ORDER BY indexname"
        ).fetchall()
        for (definition,) in indexes:
            pg.execute(definition)
        pg.execute("ANALYZE")


# ---------------------------------------------------------------- known differences


def load_known() -> dict[str, dict[str, str]]:
    if not KNOWN_FILE.exists():
        return {}
    known = tomllib.loads(KNOWN_FILE.read_text())
    for qid, entry in known.items():
        assert entry.get("category") in CATEGORIES, f"{qid}: category must be one of {list(CATEGORIES)}"
        assert entry.get("reason"), f"{qid}: a reason is required"
    return known


def toml_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)  # a JSON string is a valid TOML basic string


def write_known(results: dict[str, tuple[str, str] | None], known: dict[str, dict[str, str]]) -> None:
    lines = [
        "# Known differences between omnigraph-server and PostgreSQL 15 in tests/differential/*.sql",
        "# (checked by tests/test_differential.py; see docs/differential.md). Keyed by query id;",
        "# category: " + " | ".join(CATEGORIES) + ".",
        "# Regenerate with `python tests/test_differential.py --write-known`: reasons written by",
        "# hand survive while the query still differs in the same category; `accepted difference`",
        "# entries are kept as they are.",
        "",
    ]
    for qid, diff in results.items():
        if diff is None:
            continue
        category, detail = diff
        old = known.get(qid)
        if old and (old["category"] == category or old["category"] == "accepted difference"):
            entry = old
        else:
            entry = {"category": category, "reason": one_line(detail)}
        lines.append(f"[{toml_string(qid)}]")
        lines.append(f"category = {toml_string(entry['category'])}")
        lines.append(f"reason = {toml_string(entry['reason'])}")
        lines.append("")
    KNOWN_FILE.write_text("\n".join(lines))


def one_line(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def summary(results: dict[str, tuple[str, str] | None], known: dict[str, dict[str, str]]) -> str:
    total = len(results)
    agree = sum(1 for d in results.values() if d is None)
    per_category: dict[str, int] = {}
    for qid, diff in results.items():
        if diff is not None:
            category = known[qid]["category"] if qid in known else diff[0]
            per_category[category] = per_category.get(category, 0) + 1
    same_rows = agree + sum(1 for d in results.values() if d is not None and d[0].startswith("wrong column"))
    lines = [
        f"differential vs PostgreSQL 15: {total} queries, {agree} agree ({100 * agree / max(total, 1):.1f}%); "
        f"{same_rows} ({100 * same_rows / max(total, 1):.1f}%) give the same rows or SQLSTATE, column names and types aside"
    ]
    lines += [f"  {c}: {n}" for c, n in sorted(per_category.items(), key=lambda kv: -kv[1])]
    return "\n".join(lines)


# ---------------------------------------------------------------- pytest

QUERIES = load_corpus()
RESULTS: dict[str, tuple[str, str] | None] = {}

@pytest.fixture(scope="module")
def pg_cluster(request):
    if not (PG_BIN / "initdb").exists():
        pytest.skip(f"PostgreSQL 15 is not installed ({PG_BIN} is missing)")
    server = request.getfixturevalue("server")  # only once PostgreSQL is known to be there
    cluster = start_pg()
    try:
        copy_demo(server, cluster)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def connections(pg_cluster, request):
    import psycopg

    server = request.getfixturevalue("server")

    with psycopg.connect(server.dsn(), autocommit=True, connect_timeout=10) as ours, \
            psycopg.connect(pg_cluster.dsn(), autocommit=True, connect_timeout=10) as pg:
        yield ours, pg


def test_corpus_is_well_formed():
    assert len(QUERIES) >= 300, len(QUERIES)
    ids = {q.id for q in QUERIES}
    stale = sorted(set(load_known()) - ids)
    assert not stale, f"known_differences.toml lists ids that are not in the corpus: {stale}"


@pytest.mark.parametrize("query", QUERIES, ids=[q.id for q in QUERIES])
def test_query(connections, query: Query):
    ours, pg = connections
    diff = compare(run(ours, query), run(pg, query))
    RESULTS[query.id] = diff
    known = load_known().get(query.id)
    # An `unstable` entry is a known nondeterminism on our side: it may agree or differ.
    if known is not None and known["category"] == "unstable":
        return
    if diff is None and known is not None:
        pytest.fail(
            f"{query.id} now agrees with PostgreSQL: remove it from tests/differential/known_differences.toml "
            f"(was: {known['category']}: {known['reason']})",
            pytrace=False,
        )
    if diff is not None and known is not None and known["category"] not in (diff[0], "accepted difference"):
        pytest.fail(
            f"{query.id} now differs as {diff[0]} (listed as {known['category']}): {diff[1]}\n"
            "  regenerate tests/differential/known_differences.toml (--write-known) and review the change",
            pytrace=False,
        )
    if diff is not None and known is None:
        pytest.fail(
            f"{query.id} differs from PostgreSQL ({diff[0]}): {diff[1]}\n  query: {query.sql}\n"
            "  fix it, or list it in tests/differential/known_differences.toml (--write-known)",
            pytrace=False,
        )


def test_summary(capsys):
    """Runs last: prints the corpus size, the agreeing count and the counts per category."""
    if not RESULTS:
        pytest.skip("no query ran")
    with capsys.disabled():
        print("\n" + summary(RESULTS, load_known()))


# ---------------------------------------------------------------- command line


def main(argv: list[str]) -> int:
    import psycopg

    if not (PG_BIN / "initdb").exists():
        print(f"PostgreSQL 15 is not installed ({PG_BIN} is missing)", file=sys.stderr)
        return 2
    server = start_server()
    cluster = None
    try:
        cluster = start_pg()
        copy_demo(server, cluster)
        with psycopg.connect(server.dsn(), autocommit=True) as ours, \
                psycopg.connect(cluster.dsn(), autocommit=True) as pg:
            results = {q.id: compare(run(ours, q), run(pg, q)) for q in QUERIES}
    finally:
        if cluster:
            cluster.stop()
        stop_server(server)
    known = load_known()
    if "--show" in argv:
        for qid, diff in results.items():
            if diff:
                print(f"{qid}: {diff[0]}: {one_line(diff[1], 400)}")
    if "--write-known" in argv:
        write_known(results, known)
        known = load_known()
        print(f"wrote {KNOWN_FILE}")
    print(summary(results, known))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
