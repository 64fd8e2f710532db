"""Crash soak: omnigraph-server is SIGKILLed at seeded random moments while a writer
loads NDJSON, commits multi-row transactions, writes on a branch and merges it, and
changes the schema. After each kill the server restarts on the same data directory and
the graph is checked against a model of what was acknowledged:

- every acknowledged commit is there whole (its rows, its edges, its node types);
- the one operation in flight when the server died is there whole or not at all;
- nothing else is there, and the graph opens and answers.

Rounds: OMNIGRAPH_SOAK_ROUNDS (default 20, what CI runs); `scripts/soak` runs hundreds.
Seed: OMNIGRAPH_SOAK_SEED (default 2026); a failure names the round and its seed.
"""

import json
import os
import random
import shutil
import signal
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import RunningServer, start_server, stop_server

psycopg = pytest.importorskip("psycopg")

ROUNDS = int(os.environ.get("OMNIGRAPH_SOAK_ROUNDS", "20"))
SEED = int(os.environ.get("OMNIGRAPH_SOAK_SEED", "2026"))
DEMO_SCHEMA = (Path(__file__).resolve().parent.parent / "sql" / "demo" / "schema.pg").read_text()


@dataclass
class Effects:
    """What one operation does when it commits: people (name -> age, None: deleted),
    knows edges added, node types added."""

    people: dict = field(default_factory=dict)
    edges: set = field(default_factory=set)
    types: list = field(default_factory=list)


@dataclass
class Model:
    people: dict = field(default_factory=dict)
    edges: set = field(default_factory=set)
    types: list = field(default_factory=list)

    def apply(self, effects: Effects) -> None:
        for name, age in effects.people.items():
            if age is None:
                self.people.pop(name, None)
                self.edges = {e for e in self.edges if name not in e}
            else:
                self.people[name] = age
        self.edges |= effects.edges
        self.types += [t for t in effects.types if t not in self.types]

    def schema(self) -> str:
        return DEMO_SCHEMA + "".join(f"node {t} {{ key: String @key }}\n" for t in self.types)


class Writer:
    """Runs seeded operations on one autocommit connection until the server dies; each
    acknowledged operation goes into the model, the one in flight stays `pending`."""

    def __init__(self, rng: random.Random, model: Model, round_no: int, scratch: Path):
        self.rng = rng
        self.model = model
        self.round = round_no
        self.scratch = scratch
        self.counter = 0
        self.pending: Effects | None = None
        self.acknowledged = 0

    def fresh(self, prefix: str = "soak") -> str:
        self.counter += 1
        return f"{prefix}-{self.round}-{self.counter}"

    def run(self, server: RunningServer) -> None:
        try:
            with psycopg.connect(server.dsn(), autocommit=True, connect_timeout=10) as conn:
                while True:
                    op = self.rng.choice(
                        [self.insert, self.insert, self.transaction, self.transaction, self.load, self.branch_merge, self.schema_change]
                    )
                    op(conn)
                    self.model.apply(self.pending)
                    self.pending = None
                    self.acknowledged += 1
        except (psycopg.OperationalError, psycopg.InterfaceError) as e:
            # The server died (no SQLSTATE); an error it answered with is a failure.
            if getattr(e, "sqlstate", None):
                raise
            return

    def insert(self, conn) -> None:
        rows = {self.fresh(): self.rng.randint(1, 99) for _ in range(self.rng.randint(1, 200))}
        self.pending = Effects(people=dict(rows))
        values = ", ".join(f"('{n}', {a})" for n, a in rows.items())
        conn.execute(f"INSERT INTO person (name, age) VALUES {values}")

    def transaction(self, conn) -> None:
        effects = Effects()
        new = {self.fresh(): self.rng.randint(1, 99) for _ in range(self.rng.randint(1, 6))}
        effects.people.update(new)
        existing = sorted(self.model.people)
        updated = self.rng.sample(existing, min(len(existing), self.rng.randint(0, 3)))
        for name in updated:
            effects.people[name] = self.rng.randint(100, 200)
        deleted = [n for n in self.rng.sample(existing, min(len(existing), 1)) if n not in updated]
        for name in deleted:
            effects.people[name] = None
        self.pending = effects
        conn.execute("BEGIN")
        for name, age in new.items():
            conn.execute("INSERT INTO person (name, age) VALUES (%s, %s)", (name, age))
        for name in updated:
            conn.execute("UPDATE person SET age = %s WHERE name = %s", (effects.people[name], name))
        for name in deleted:
            conn.execute("DELETE FROM person WHERE name = %s", (name,))
        conn.execute("COMMIT")

    def load(self, conn) -> None:
        people = {self.fresh(): self.rng.randint(1, 99) for _ in range(self.rng.randint(2, 400))}
        names = list(people)
        edges = {tuple(self.rng.sample(names, 2)) for _ in range(len(names))}
        path = self.scratch / f"load-{self.round}-{self.counter}.ndjson"
        with path.open("w") as f:
            for name, age in people.items():
                f.write(json.dumps({"type": "Person", "data": {"name": name, "age": age}}) + "\n")
            for src, dst in edges:
                f.write(json.dumps({"edge": "Knows", "from": src, "to": dst, "data": {}}) + "\n")
        self.pending = Effects(people=people, edges=edges)
        conn.execute("CALL load(%s)", (str(path),))

    def branch_merge(self, conn) -> None:
        branch = self.fresh("soak_b").replace("-", "_")
        rows = {self.fresh(): self.rng.randint(1, 99) for _ in range(self.rng.randint(1, 50))}
        self.pending = Effects(people=dict(rows))
        conn.execute("CALL create_branch(%s)", (branch,))
        values = ", ".join(f"('{n}', {a})" for n, a in rows.items())
        conn.execute(f'INSERT INTO "{branch}".person (name, age) VALUES {values}')
        conn.execute("CALL merge(%s, 'main')", (branch,))
        conn.execute("CALL delete_branch(%s)", (branch,))

    def schema_change(self, conn) -> None:
        new_type = f"Soak{self.round}x{self.counter}"
        self.counter += 1
        self.pending = Effects(types=[new_type])
        schema = self.model.schema() + f"node {new_type} {{ key: String @key }}\n"
        conn.execute("CALL apply_schema(%s)", (schema,))


def observed(server: RunningServer, model: Model, pending: Effects | None):
    """The soak's people and edges as the restarted server has them, and which node types
    of the model (and of the pending operation) exist."""
    with psycopg.connect(server.dsn(), autocommit=True, connect_timeout=10) as conn:
        people = dict(conn.execute("SELECT name, age FROM person WHERE name LIKE 'soak-%'").fetchall())
        edges = set(conn.execute("SELECT src, dst FROM knows WHERE src LIKE 'soak-%'").fetchall())
        types = {}
        for t in model.types + (pending.types if pending else []):
            try:
                conn.execute(f"SELECT count(*) FROM {t.lower()}").fetchone()
                types[t] = True
            except psycopg.errors.UndefinedTable:
                types[t] = False
    return people, edges, types


def check(round_no: int, model: Model, pending: Effects | None, people, edges, types) -> bool:
    """Checks what the restarted server holds; returns whether the operation in flight
    committed (and applies it to the model if so)."""
    where = f"round {round_no} (seed {SEED})"
    for t in model.types:
        assert types[t], f"{where}: acknowledged node type {t} is missing"
    if pending is None:
        committed = False
    else:
        touched = set(pending.people)
        as_model = {n: model.people.get(n) for n in touched}
        as_pending = dict(pending.people)
        seen = {n: people.get(n) for n in touched}
        new_edges_seen = pending.edges & edges
        types_seen = [types[t] for t in pending.types]
        if pending.people or pending.edges:
            committed = seen == as_pending and new_edges_seen == pending.edges
            absent = seen == as_model and not new_edges_seen
            assert committed or absent, (
                f"{where}: the operation in flight is partly visible: "
                f"{sum(seen[n] == as_pending[n] for n in touched)} of {len(touched)} rows, "
                f"{len(new_edges_seen)} of {len(pending.edges)} edges"
            )
        else:
            committed = all(types_seen)
            assert committed or not any(types_seen), f"{where}: a schema change is partly visible"
    if committed:
        model.apply(pending)
    extra = set(people) - set(model.people)
    assert not extra, f"{where}: rows no acknowledged commit wrote: {sorted(extra)[:5]}"
    lost = {n for n, age in model.people.items() if people.get(n) != age}
    assert not lost, f"{where}: acknowledged rows missing or changed: {sorted(lost)[:5]}"
    expected_edges = {e for e in model.edges if e[0] in model.people and e[1] in model.people}
    assert edges == expected_edges, (
        f"{where}: knows edges differ: {len(expected_edges - edges)} missing, {len(edges - expected_edges)} extra"
    )
    return committed


def test_kill_9_at_random_moments_loses_no_acknowledged_commit_and_leaves_nothing_partial():
    rng = random.Random(SEED)
    model = Model()
    pending: Effects | None = None
    restart_seconds = []
    outcomes = {"acknowledged": 0, "in_flight_committed": 0, "in_flight_absent": 0}
    scratch = Path(tempfile.mkdtemp(prefix="omnigraph-soak-"))
    server = start_server()
    data_dir = server.data_dir
    try:
        for round_no in range(ROUNDS):
            if round_no > 0:
                started = time.monotonic()
                server = start_server(data_dir=data_dir)
                restart_seconds.append(time.monotonic() - started)
                people, edges, types = observed(server, model, pending)
                committed = check(round_no, model, pending, people, edges, types)
                if pending is not None:
                    outcomes["in_flight_committed" if committed else "in_flight_absent"] += 1
            writer = Writer(rng, model, round_no, scratch)
            delay = rng.uniform(0.05, 1.5)
            killer = threading.Timer(delay, lambda p=server.process: p.send_signal(signal.SIGKILL))
            killer.start()
            writer.run(server)
            killer.join()
            server.process.wait(timeout=30)
            pending = writer.pending
            outcomes["acknowledged"] += writer.acknowledged
        server = start_server(data_dir=data_dir)
        people, edges, types = observed(server, model, pending)
        check(ROUNDS, model, pending, people, edges, types)
    finally:
        if server.process.poll() is None:
            stop_server(server)
        shutil.rmtree(data_dir, ignore_errors=True)
        shutil.rmtree(scratch, ignore_errors=True)
    print(
        f"soak: {ROUNDS} kills, {outcomes['acknowledged']} acknowledged operations, "
        f"in flight at the kill: {outcomes['in_flight_committed']} committed whole, "
        f"{outcomes['in_flight_absent']} absent; restart {min(restart_seconds, default=0):.2f}"
        f"-{max(restart_seconds, default=0):.2f} s; {len(model.people)} people, {len(model.edges)} edges, "
        f"{len(model.types)} added node types"
    )
