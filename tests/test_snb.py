"""GRAPH_TABLE on an LDBC SNB Interactive-shaped graph, over the wire.

A seeded generator writes an SNB-shaped social network (persons in cities of countries,
organisations, forums with members and moderators, posts and comment threads, tags,
likes, `knows`); the same rows go into omnigraph-server (through COPY) and into an
in-memory DuckDB. Each IS/IC query shape SQL/PGQ can express runs as a GRAPH_TABLE
query with bound parameters, and its rows must equal DuckDB's answer written with
joins and recursive CTEs, for several parameter values. `knows` is undirected in SNB:
it is stored one way and matched in either direction (`-[:Knows]-`).
"""

import datetime
import os
import random
import subprocess
from pathlib import Path

import duckdb
import psycopg
import pytest

from conftest import server_binary, start_server, stop_server

SCHEMA = """
node Person { name: String @key, first_name: String, last_name: String, birthday: Date, creation_date: I64 }
node Place { name: String @key, kind: String }
node Organisation { name: String @key }
node Tag { name: String @key }
node Forum { name: String @key, title: String }
node Message { name: String @key, content: String, creation_date: I64, kind: String }
edge Knows: Person -> Person { creation_date: I64 }
edge IsLocatedIn: Person -> Place
edge IsPartOf: Place -> Place
edge WorkAt: Person -> Organisation { work_from: I32 }
edge OrgLocatedIn: Organisation -> Place
edge HasCreator: Message -> Person
edge ReplyOf: Message -> Message
edge HasTag: Message -> Tag
edge Likes: Person -> Message { creation_date: I64 }
edge ContainerOf: Forum -> Message
edge HasModerator: Forum -> Person
"""

FIRST_NAMES = ["Ada", "Bo", "Chen", "Dara", "Eli", "Femi", "Gus", "Hana"]
LAST_NAMES = ["Ito", "Jones", "Khan", "Lopez", "Moreau", "Nagy"]


def generate(seed: int = 2026) -> dict[str, list[tuple]]:
    """Rows per table (node tables: their columns; edge tables: src, dst, properties)."""
    rng = random.Random(seed)
    t = {name: [] for name in (
        "person", "place", "organisation", "tag", "forum", "message", "knows", "is_located_in",
        "is_part_of", "work_at", "org_located_in", "has_creator", "reply_of", "has_tag", "likes",
        "container_of", "has_moderator")}
    countries = [f"country{i}" for i in range(3)]
    cities = [f"city{i}" for i in range(9)]
    t["place"] += [(c, "country") for c in countries] + [(c, "city") for c in cities]
    t["is_part_of"] += [(c, countries[i % 3]) for i, c in enumerate(cities)]
    orgs = [f"org{i}" for i in range(6)]
    t["organisation"] += [(o,) for o in orgs]
    t["org_located_in"] += [(o, countries[i % 3]) for i, o in enumerate(orgs)]
    tags = [f"tag{i}" for i in range(10)]
    t["tag"] += [(x,) for x in tags]
    persons = [f"p{i}" for i in range(80)]
    for i, p in enumerate(persons):
        birthday = datetime.date(1970 + rng.randrange(30), 1 + rng.randrange(12), 1 + rng.randrange(28))
        t["person"].append((p, rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES), birthday, 1000 + i))
        t["is_located_in"].append((p, rng.choice(cities)))
        for o in rng.sample(orgs, rng.randrange(3)):
            t["work_at"].append((p, o, 2000 + rng.randrange(20)))
    pairs = set()
    while len(pairs) < 200:
        a, b = rng.sample(persons, 2)
        if (b, a) not in pairs:
            pairs.add((a, b))
    t["knows"] += [(a, b, 2000 + rng.randrange(500)) for a, b in sorted(pairs)]
    forums = [f"f{i}" for i in range(8)]
    for f in forums:
        t["forum"].append((f, f"Forum {f}"))
        t["has_moderator"].append((f, rng.choice(persons)))
    messages = []
    for i in range(400):
        m = f"m{i}"
        date = 5000 + i * 3 + rng.randrange(3)
        if i < 100 or rng.random() < 0.25:
            t["message"].append((m, f"post {i}", date, "post"))
            t["container_of"].append((rng.choice(forums), m))
        else:
            t["message"].append((m, f"comment {i}", date, "comment"))
            t["reply_of"].append((m, rng.choice(messages)))
        t["has_creator"].append((m, rng.choice(persons)))
        for x in rng.sample(tags, rng.randrange(3)):
            t["has_tag"].append((m, x))
        messages.append(m)
    likes = set()
    while len(likes) < 600:
        likes.add((rng.choice(persons), rng.choice(messages)))
    t["likes"] += [(p, m, 6000 + rng.randrange(1500)) for p, m in sorted(likes)]
    return t


COLUMNS = {
    "person": "name, first_name, last_name, birthday, creation_date",
    "place": "name, kind",
    "organisation": "name",
    "tag": "name",
    "forum": "name, title",
    "message": "name, content, creation_date, kind",
    "knows": "src, dst, creation_date",
    "work_at": "src, dst, work_from",
    "likes": "src, dst, creation_date",
}
DUCKDB_TYPES = {
    "person": "name TEXT, first_name TEXT, last_name TEXT, birthday DATE, creation_date BIGINT",
    "place": "name TEXT, kind TEXT",
    "organisation": "name TEXT",
    "tag": "name TEXT",
    "forum": "name TEXT, title TEXT",
    "message": "name TEXT, content TEXT, creation_date BIGINT, kind TEXT",
    "knows": "src TEXT, dst TEXT, creation_date BIGINT",
    "work_at": "src TEXT, dst TEXT, work_from INTEGER",
    "likes": "src TEXT, dst TEXT, creation_date BIGINT",
}


@pytest.fixture(scope="module")
def snb(tmp_path_factory):
    """(psycopg connection to the SNB graph, DuckDB connection with the same rows)."""
    data = generate()
    data_dir = Path(tmp_path_factory.mktemp("snb-data"))
    # The server serves the graphs of its data directory; the shell creates this one.
    shell = Path(os.environ.get("OMNIGRAPH_SQL", server_binary().parent / "omnigraph-sql"))
    subprocess.run([str(shell), "--graph", str(data_dir / "snb"), "-q", "-c", "SELECT 1"],
                   check=True, capture_output=True)
    server = start_server(data_dir=data_dir)
    try:
        conn = psycopg.connect(server.dsn("snb"), autocommit=True)
        conn.execute("CALL apply_schema(%s)", (SCHEMA,))
        duck = duckdb.connect()
        for table, rows in data.items():
            columns = COLUMNS.get(table, "name" if len(rows[0]) == 1 else "src, dst")
            with conn.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            duck.execute(f"CREATE TABLE {table} ({DUCKDB_TYPES.get(table, 'src TEXT, dst TEXT' if 'src' in columns else 'name TEXT')})")
            duck.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(rows[0]))})", rows)
        duck.execute("CREATE VIEW knows_both AS SELECT src, dst, creation_date FROM knows "
                     "UNION ALL SELECT dst, src, creation_date FROM knows")
        yield conn, duck
        conn.close()
    finally:
        stop_server(server)


def ours(conn, sql, params):
    return sorted(tuple(r) for r in conn.execute(sql, params).fetchall())


def theirs(duck, sql, params):
    return sorted(tuple(r) for r in duck.execute(sql, params).fetchall())


PERSONS = ["p0", "p7", "p23", "p51"]
MESSAGES = ["m3", "m150", "m299", "m377"]

# Each case: (name, GRAPH_TABLE query with %s parameters, DuckDB query with ? parameters,
# parameter tuples).
CASES = [
    (
        "IS1 profile",
        "SELECT * FROM GRAPH_TABLE (snb MATCH (p:Person WHERE p.id = %s)-[:IsLocatedIn]->(c:Place) "
        "COLUMNS (p.first_name, p.last_name, p.birthday, c.id AS city))",
        "SELECT p.first_name, p.last_name, p.birthday, l.dst FROM person p JOIN is_located_in l ON l.src = p.name "
        "WHERE p.name = ?",
        [(p,) for p in PERSONS],
    ),
    (
        "IS2 recent messages with their thread's post",
        "SELECT * FROM GRAPH_TABLE (snb MATCH (m:Message)-[:HasCreator]->(p WHERE p.id = %s), "
        "ANY SHORTEST (m)-[:ReplyOf]->*(post:Message WHERE post.kind = 'post') "
        "COLUMNS (m.id AS message, m.creation_date, post.id AS post)) ORDER BY creation_date DESC, message LIMIT 10",
        "WITH RECURSIVE up(message, node) AS (SELECT name, name FROM message "
        "  UNION ALL SELECT up.message, r.dst FROM up JOIN reply_of r ON r.src = up.node) "
        "SELECT m.name, m.creation_date, up.node FROM message m JOIN has_creator c ON c.src = m.name "
        "JOIN up ON up.message = m.name JOIN message post ON post.name = up.node AND post.kind = 'post' "
        "WHERE c.dst = ? ORDER BY m.creation_date DESC, m.name LIMIT 10",
        [(p,) for p in PERSONS],
    ),
    (
        "IS3 friends",
        "SELECT * FROM GRAPH_TABLE (snb MATCH (p WHERE p.id = %s)-[k:Knows]-(f:Person) "
        "COLUMNS (f.id AS friend, k.creation_date))",
        "SELECT dst, creation_date FROM knows_both WHERE src = ?",
        [(p,) for p in PERSONS],
    ),
    (
        "IS4 message content",
        "SELECT * FROM GRAPH_TABLE (snb MATCH (m:Message WHERE m.id = %s) COLUMNS (m.content, m.creation_date))",
        "SELECT content, creation_date FROM message WHERE name = ?",
        [(m,) for m in MESSAGES],
    ),
    (
        "IS5 creator",
        "SELECT * FROM GRAPH_TABLE (snb MATCH (m WHERE m.id = %s)-[:HasCreator]->(p:Person) "
        "COLUMNS (p.id AS person, p.first_name, p.last_name))",
        "SELECT p.name, p.first_name, p.last_name FROM has_creator c JOIN person p ON p.name = c.dst WHERE c.src = ?",
        [(m,) for m in MESSAGES],
    ),
    (
        "IS6 forum of a message",
        "SELECT * FROM GRAPH_TABLE (snb MATCH ANY SHORTEST (m:Message WHERE m.id = %s)-[:ReplyOf]->*(post:Message)"
        "<-[:ContainerOf]-(f:Forum)-[:HasModerator]->(moderator:Person) "
        "COLUMNS (f.id AS forum, f.title, moderator.id AS moderator))",
        "WITH RECURSIVE up(node) AS (SELECT ?::TEXT UNION ALL SELECT r.dst FROM up JOIN reply_of r ON r.src = up.node) "
        "SELECT DISTINCT f.name, f.title, h.dst FROM up JOIN container_of c ON c.dst = up.node "
        "JOIN forum f ON f.name = c.src JOIN has_moderator h ON h.src = f.name",
        [(m,) for m in MESSAGES],
    ),
    (
        "IS7 replies and whether their authors know the original author",
        "SELECT g.reply, g.author, k.src IS NOT NULL FROM GRAPH_TABLE (snb "
        "MATCH (m WHERE m.id = %s)<-[:ReplyOf]-(c:Message)-[:HasCreator]->(a:Person), (m)-[:HasCreator]->(o:Person) "
        "COLUMNS (c.id AS reply, a.id AS author, o.id AS original)) g "
        "LEFT JOIN knows k ON (k.src = g.author AND k.dst = g.original) OR (k.src = g.original AND k.dst = g.author)",
        "SELECT r.src, ca.dst, EXISTS (SELECT 1 FROM knows_both k WHERE k.src = ca.dst AND k.dst = co.dst) "
        "FROM reply_of r JOIN has_creator ca ON ca.src = r.src JOIN has_creator co ON co.src = r.dst WHERE r.dst = ?",
        [(m,) for m in MESSAGES],
    ),
    (
        "IC1 friends within 3 steps with a first name",
        "SELECT * FROM GRAPH_TABLE (snb MATCH p = ANY SHORTEST (me WHERE me.id = %s)-[:Knows]-{1,3}"
        "(f:Person WHERE f.first_name = %s) WHERE f.id <> me.id "
        "COLUMNS (f.id AS friend, path_length(p) AS distance, f.last_name))",
        "WITH RECURSIVE reach(node, d) AS (SELECT ?::TEXT, 0 UNION "
        "  SELECT k.dst, r.d + 1 FROM reach r JOIN knows_both k ON k.src = r.node WHERE r.d < 3) "
        "SELECT p.name, min(r.d), p.last_name FROM reach r JOIN person p ON p.name = r.node "
        "WHERE p.first_name = ? AND r.d > 0 AND p.name <> $1 GROUP BY p.name, p.last_name",
        [(p, n) for p in PERSONS for n in ("Ada", "Eli")],
    ),
    (
        "IC2 recent messages by friends",
        "SELECT * FROM GRAPH_TABLE (snb MATCH (me WHERE me.id = %s)-[:Knows]-(f:Person)"
        "<-[:HasCreator]-(m:Message WHERE m.creation_date <= %s) "
        "COLUMNS (f.id AS friend, m.id AS message, m.creation_date)) ORDER BY creation_date DESC, message LIMIT 20",
        "SELECT k.dst, m.name, m.creation_date FROM knows_both k JOIN has_creator c ON c.dst = k.dst "
        "JOIN message m ON m.name = c.src WHERE k.src = ? AND m.creation_date <= ? "
        "ORDER BY m.creation_date DESC, m.name LIMIT 20",
        [(p, 5800) for p in PERSONS],
    ),
    (
        "IC7 likes of my messages",
        "SELECT * FROM GRAPH_TABLE (snb MATCH (me WHERE me.id = %s)<-[:HasCreator]-(m:Message)"
        "<-[l:Likes]-(liker:Person) COLUMNS (liker.id AS liker, m.id AS message, l.creation_date))",
        "SELECT l.src, m.src, l.creation_date FROM has_creator m JOIN likes l ON l.dst = m.src WHERE m.dst = ?",
        [(p,) for p in PERSONS],
    ),
    (
        "IC8 replies to my messages",
        "SELECT * FROM GRAPH_TABLE (snb MATCH (me WHERE me.id = %s)<-[:HasCreator]-(m:Message)"
        "<-[:ReplyOf]-(c:Message)-[:HasCreator]->(a:Person) "
        "COLUMNS (a.id AS author, c.id AS reply, c.creation_date)) ORDER BY creation_date DESC, reply LIMIT 20",
        "SELECT a.dst, r.src, c.creation_date FROM has_creator m JOIN reply_of r ON r.dst = m.src "
        "JOIN message c ON c.name = r.src JOIN has_creator a ON a.src = r.src WHERE m.dst = ? "
        "ORDER BY c.creation_date DESC, r.src LIMIT 20",
        [(p,) for p in PERSONS],
    ),
    (
        "IC9 recent messages by friends and friends of friends",
        "SELECT * FROM GRAPH_TABLE (snb MATCH ANY SHORTEST (me WHERE me.id = %s)-[:Knows]-{1,2}(f:Person), "
        "(f)<-[:HasCreator]-(m:Message WHERE m.creation_date < %s) WHERE f.id <> me.id "
        "COLUMNS (f.id AS person, m.id AS message, m.creation_date)) ORDER BY creation_date DESC, message LIMIT 20",
        "WITH RECURSIVE reach(node, d) AS (SELECT ?::TEXT, 0 UNION "
        "  SELECT k.dst, r.d + 1 FROM reach r JOIN knows_both k ON k.src = r.node WHERE r.d < 2), "
        "f AS (SELECT DISTINCT node FROM reach WHERE d > 0 AND node <> $1) "
        "SELECT f.node, m.name, m.creation_date FROM f JOIN has_creator c ON c.dst = f.node "
        "JOIN message m ON m.name = c.src WHERE m.creation_date < ? ORDER BY m.creation_date DESC, m.name LIMIT 20",
        [(p, 6000) for p in PERSONS],
    ),
    (
        "IC11 job referral",
        "SELECT * FROM GRAPH_TABLE (snb MATCH ANY SHORTEST (me WHERE me.id = %s)-[:Knows]-{1,2}(f:Person), "
        "(f)-[w:WorkAt WHERE w.work_from < %s]->(o:Organisation)-[:OrgLocatedIn]->(c:Place WHERE c.id = %s) "
        "WHERE f.id <> me.id COLUMNS (f.id AS person, o.id AS org, w.work_from))",
        "WITH RECURSIVE reach(node, d) AS (SELECT ?::TEXT, 0 UNION "
        "  SELECT k.dst, r.d + 1 FROM reach r JOIN knows_both k ON k.src = r.node WHERE r.d < 2), "
        "f AS (SELECT DISTINCT node FROM reach WHERE d > 0 AND node <> $1) "
        "SELECT f.node, w.dst, w.work_from FROM f JOIN work_at w ON w.src = f.node "
        "JOIN org_located_in l ON l.src = w.dst WHERE w.work_from < ? AND l.dst = ?",
        [(p, 2015, c) for p in PERSONS for c in ("country0", "country2")],
    ),
    (
        "IC13 shortest path length",
        "SELECT * FROM GRAPH_TABLE (snb MATCH p = ANY SHORTEST (a WHERE a.id = %s)-[:Knows]-*(b WHERE b.id = %s) "
        "COLUMNS (path_length(p) AS hops))",
        "WITH RECURSIVE reach(node, d) AS (SELECT ?::TEXT, 0 UNION "
        "  SELECT k.dst, r.d + 1 FROM reach r JOIN knows_both k ON k.src = r.node WHERE r.d < 12) "
        "SELECT min(d) FROM reach WHERE node = ? HAVING min(d) IS NOT NULL",
        [("p0", "p51"), ("p7", "p23"), ("p23", "p23"), ("p51", "p2")],
    ),
]


def numbered(sql: str) -> str:
    """DuckDB's SQL with each `?` numbered in order (`$1` written by hand is the first
    parameter again)."""
    parts = sql.split("?")
    out = parts[0]
    for i, part in enumerate(parts[1:], start=1):
        out += f"${i}" + part
    return out


@pytest.mark.parametrize("name,ours_sql,duck_sql,params", CASES, ids=[c[0] for c in CASES])
def test_snb_query_shapes_match_duckdb(snb, name, ours_sql, duck_sql, params):
    conn, duck = snb
    answered = 0
    for p in params:
        got = ours(conn, ours_sql, p)
        assert got == theirs(duck, numbered(duck_sql), list(p)), f"{name} {p}"
        answered += bool(got)
    assert answered, f"{name}: every parameter gave an empty answer; the data does not exercise it"


def test_snb_all_shortest_paths_match_a_breadth_first_count(snb):
    """ALL SHORTEST between two persons: every path, counted against a BFS that counts
    shortest paths."""
    conn, duck = snb
    knows = duck.execute("SELECT src, dst FROM knows_both").fetchall()
    adjacency: dict[str, list[str]] = {}
    for a, b in knows:
        adjacency.setdefault(a, []).append(b)
    for a, b in [("p0", "p51"), ("p7", "p23"), ("p3", "p64")]:
        dist, count, frontier = {a: 0}, {a: 1}, [a]
        while frontier and b not in dist:
            nxt = []
            for n in frontier:
                for m in adjacency.get(n, []):
                    if m not in dist:
                        dist[m] = dist[n] + 1
                        count[m] = 0
                        nxt.append(m)
                    if dist[m] == dist[n] + 1:
                        count[m] += count[n]
            frontier = nxt
        rows = conn.execute(
            "SELECT hops, via FROM GRAPH_TABLE (snb MATCH p = ALL SHORTEST (x WHERE x.id = %s)-[:Knows]-*(y WHERE y.id = %s) "
            "COLUMNS (path_length(p) AS hops, vertices(p) AS via))",
            (a, b),
        ).fetchall()
        assert len(rows) == count.get(b, 0), (a, b)
        assert len({tuple(v) for _, v in rows}) == len(rows)
        for hops, via in rows:
            assert hops == dist[b] and via[0] == a and via[-1] == b
            assert all(y in adjacency.get(x, []) for x, y in zip(via, via[1:]))
