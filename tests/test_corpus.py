"""Replays the introspection queries Metabase, Grafana and DBeaver send at connect and at
schema sync (tests/corpus/*.sql) against the real omnigraph-server, once over the simple
query protocol and once over the extended protocol.

Corpus format (see the head of each file): statements separated by lines that are exactly
`-- next`. The leading `--` lines of a statement are its header:

    -- tool: ..., source: <repo> <path>, purpose: ...     (required)
    -- param $1 text: demo                               (bind $1 as text 'demo')
    -- param $1 int8: 42                                 (bind $1 as int8 42)
    -- param $1 int8: lookup SELECT oid FROM ...         (run the lookup on the same
                                                          connection first, bind its value)
    -- expect: person, company                           (each string must equal some value
                                                          in the result, case-insensitively)
    -- expect-value: "$user", public                     (one such string, commas and all)
    -- known-gap: <what the server lacks>                (a known gap: the statement is a
                                                          strict xfail under both protocols,
                                                          so it fails the run once it passes;
                                                          then delete the line)

Extended protocol: the default psycopg cursor with prepare=True (Parse/Bind/Describe/Execute,
parameters bound server-side as `$n`). Simple protocol: psycopg.ClientCursor (one Query
message; parameters inlined as literals by the client, as a simple-mode driver does).
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from psycopg import pq
from psycopg.types.numeric import Int4, Int8

CORPUS = Path(__file__).resolve().parent / "corpus"
SEPARATOR = re.compile(r"^-- next\s*$", re.MULTILINE)
PARAM = re.compile(r"^--\s*param\s+\$(\d+)\s+(text|int4|int8)\s*:\s*(.*?)\s*$")
PLACEHOLDER = re.compile(r"\$(\d+)\b")


@dataclass
class Statement:
    file: str
    index: int
    header: dict[str, str]
    sql: str
    params: dict[int, tuple[str, str]] = field(default_factory=dict)
    expect: list[str] = field(default_factory=list)
    known_gap: str | None = None

    @property
    def id(self) -> str:
        return f"{self.file}:{self.index:02d}"


def parse_header(line: str) -> dict[str, str]:
    """`-- tool: A, source: B, purpose: C` -> {tool: A, source: B, purpose: C}. The purpose
    is last and may contain commas, so split on the known keys only."""
    body = line.lstrip("-").strip()
    parts = re.split(r"(?:^|,\s*)(tool|source|purpose):\s*", body)
    return {parts[i]: parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}


def load_corpus() -> list[Statement]:
    statements = []
    for path in sorted(CORPUS.glob("*.sql")):
        chunks = SEPARATOR.split(path.read_text())
        for chunk in chunks:
            lines = chunk.strip("\n").splitlines()
            # The file preamble sits in front of the first statement's header: skip to the
            # last block of comment lines that begins with `-- tool:`.
            start = max((i for i, l in enumerate(lines) if l.startswith("-- tool:")), default=None)
            if start is None:
                raise ValueError(f"{path.name}: statement without a `-- tool:` header:\n{chunk}")
            end = start
            while end < len(lines) and lines[end].startswith("--"):
                end += 1
            stmt = Statement(
                file=path.stem,
                index=len([s for s in statements if s.file == path.stem]) + 1,
                header=parse_header(lines[start]),
                sql="\n".join(lines[end:]).strip(),
            )
            for line in lines[start + 1 : end]:
                if m := PARAM.match(line):
                    stmt.params[int(m.group(1))] = (m.group(2), m.group(3))
                elif line.startswith("-- expect-value:"):
                    stmt.expect.append(line.split(":", 1)[1].strip())
                elif line.startswith("-- expect:"):
                    stmt.expect = [s.strip() for s in line.split(":", 1)[1].split(",") if s.strip()]
                elif line.startswith("-- known-gap:"):
                    stmt.known_gap = line.split(":", 1)[1].strip()
                    assert stmt.known_gap, f"{path.name}: `-- known-gap:` without a reason: {lines[start]}"
            assert stmt.sql, f"{path.name}: empty statement after {lines[start]}"
            assert {"tool", "source", "purpose"} <= stmt.header.keys(), lines[start]
            used = {int(n) for n in PLACEHOLDER.findall(strip_literals(stmt.sql))}
            assert used == set(stmt.params), f"{stmt.id}: placeholders {used} vs params {set(stmt.params)}"
            statements.append(stmt)
    return statements


def strip_literals(sql: str) -> str:
    """The SQL with quoted literals and identifiers blanked, so `'"$user"'` is no placeholder."""
    return re.sub(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"", "''", sql)


def to_psycopg(sql: str) -> str:
    """`$n` placeholders -> `%(pn)s`, other `%` doubled (only needed when binding)."""
    out, pos = [], 0
    for m in re.finditer(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|\$(\d+)\b|%", sql):
        out.append(sql[pos : m.start()])
        token = m.group(0)
        if m.group(1):
            out.append(f"%(p{m.group(1)})s")
        else:
            out.append(token.replace("%", "%%"))
        pos = m.end()
    out.append(sql[pos:])
    return "".join(out)


def bind_values(conn: psycopg.Connection, stmt: Statement) -> dict[str, object]:
    values = {}
    for n, (kind, spec) in stmt.params.items():
        if spec.startswith("lookup "):
            row = conn.execute(spec[len("lookup ") :]).fetchone()
            assert row is not None, f"{stmt.id}: lookup for ${n} returned no row: {spec}"
            raw = row[0]
        else:
            raw = spec
        values[f"p{n}"] = {"text": str, "int4": lambda v: Int4(int(v)), "int8": lambda v: Int8(int(v))}[kind](raw)
    return values


STATEMENTS = load_corpus()
PROTOCOLS = ["simple", "extended"]


def run(conn: psycopg.Connection, stmt: Statement, protocol: str):
    """Executes `stmt` and returns (column names, rows); raises what the server raised."""
    params = bind_values(conn, stmt) if stmt.params else None
    sql = to_psycopg(stmt.sql) if params else stmt.sql
    if protocol == "simple":
        cur = psycopg.ClientCursor(conn)
        cur.execute(sql, params)
    else:
        cur = conn.cursor()
        cur.execute(sql, params, prepare=True)
    names = [d.name for d in cur.description] if cur.description else []
    rows = cur.fetchall() if cur.description else []
    cur.close()
    return names, rows


@pytest.fixture
def conn(server):
    with psycopg.connect(server.dsn(database="demo"), autocommit=True, connect_timeout=10) as c:
        yield c


def test_corpus_is_well_formed():
    by_tool = {}
    for s in STATEMENTS:
        by_tool[s.file] = by_tool.get(s.file, 0) + 1
    assert set(by_tool) == {"metabase", "grafana", "dbeaver"}, by_tool
    assert 40 <= len(STATEMENTS) <= 80, by_tool


def statement_params() -> list:
    """One param per statement; a `-- known-gap:` statement is a strict xfail."""
    params = []
    for s in STATEMENTS:
        marks = []
        if s.known_gap:
            marks.append(pytest.mark.xfail(strict=True, reason="known gap: " + s.known_gap))
        params.append(pytest.param(s, id=s.id, marks=marks))
    return params


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("stmt", statement_params())
def test_replay(conn, stmt: Statement, protocol: str):
    try:
        names, rows = run(conn, stmt, protocol)
    except psycopg.Error as e:
        diag = e.diag
        pytest.fail(
            f"{stmt.header['tool']}: {stmt.header['purpose']}\n"
            f"  source: {stmt.header['source']}\n"
            f"  server error [{diag.sqlstate}]: {diag.message_primary or e}",
            pytrace=False,
        )
    if stmt.expect:
        seen = {str(v).lower() for row in rows for v in row if v is not None}
        missing = [e for e in stmt.expect if e.lower() not in seen]
        assert not missing, (
            f"{stmt.id} ({stmt.header['purpose']}): {missing} not in the result "
            f"({len(rows)} rows, columns {names})"
        )


def test_pgx_ping(server):
    """Grafana's health check (pgx v5 `Conn.Ping`, grafana/grafana
    pkg/tsdb/grafana-postgresql-datasource/pgx/handler_checkhealth.go) sends the comment-only
    simple query `-- ping`; PostgreSQL answers EmptyQueryResponse + ReadyForQuery."""
    with psycopg.connect(server.dsn(database="demo"), autocommit=True) as c:
        try:
            result = c.pgconn.exec_(b"-- ping")
        except psycopg.OperationalError as e:
            pytest.fail(
                f"`-- ping` produced no result ({e}): the server answered ReadyForQuery without "
                "an EmptyQueryResponse, so libpq's PQexec returns NULL",
                pytrace=False,
            )
        assert result.status in (pq.ExecStatus.EMPTY_QUERY, pq.ExecStatus.COMMAND_OK), (
            result.status,
            result.error_message,
        )
        assert c.execute("SELECT 1").fetchone() == (1,)
