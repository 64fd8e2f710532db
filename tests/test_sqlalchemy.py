"""SQLAlchemy (2.x with psycopg 3 and psycopg2; 1.4 with psycopg2) against omnigraph-server.

Runs under both venvs:
  ~/.cache/omnigraph-sql/venv/bin/pytest tests/test_sqlalchemy.py        (SQLAlchemy 2.x)
  ~/.cache/omnigraph-sql/venv-sa14/bin/pytest tests/test_sqlalchemy.py   (SQLAlchemy 1.4)
Connecting runs the dialect's initialize(): `select pg_catalog.version()`,
`select current_schema()`, `show standard_conforming_strings`, ... Reflection runs the
dialect's pg_catalog queries (pg_class/pg_namespace/pg_attribute/pg_constraint/...).

Every test runs once per driver (`@engines(...)`). Known gaps of the server are strict
xfails, given to `engines` because they differ between SQLAlchemy versions (the dialects
send different catalog queries); when a gap is fixed its test fails (XPASS) until the mark
is removed.
"""

import datetime
import importlib.util
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect, text

SA2 = sa.__version__.startswith("2.")
PREFIX = "sa." + uuid.uuid4().hex[:8] + "."

DRIVERS = ["psycopg2"]
if SA2 and importlib.util.find_spec("psycopg") is not None:
    DRIVERS.append("psycopg")

GRAPH_TABLES = {"person", "company", "knows", "works_at"}


def gap(reason, raises, when=True):
    """A known gap of the server: a strict xfail (`when`: under which SQLAlchemy)."""
    return pytest.mark.xfail(when, strict=True, raises=raises, reason="known gap: " + reason)




def engines(*gaps):
    """Runs the test once per driver; `gaps` apply to every driver (the first whose
    condition holds is the test's)."""
    params = [pytest.param(driver, marks=list(gaps), id=driver) for driver in DRIVERS]
    return pytest.mark.parametrize("engine", params, indirect=True)


@pytest.fixture(scope="module")
def engine(request, server):
    eng = sa.create_engine(server.url(f"postgresql+{request.param}"))
    yield eng
    eng.dispose()


@engines()
def test_connect_and_dialect_initialize(engine):
    with engine.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar() == 1
        assert engine.dialect.server_version_info[:1] == (15,)
        assert engine.dialect.default_schema_name == "public"


@engines()
def test_text_with_bound_params(engine):
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT name, age, city FROM person WHERE name = :n"), {"n": "alice.smith"}
        ).one()
        assert tuple(row) == ("alice.smith", 78, "Oslo")
        assert row.age == 78
        n = conn.execute(
            text("SELECT count(*) FROM person WHERE age > :a AND city = :c"), {"a": 30, "c": "Oslo"}
        ).scalar()
        assert isinstance(n, int) and n >= 1
        d = conn.execute(
            text("SELECT count(*) FROM knows WHERE since >= :d"), {"d": datetime.date(1900, 1, 1)}
        ).scalar()
        assert d == conn.execute(text("SELECT count(*) FROM knows WHERE since IS NOT NULL")).scalar()
        rows = conn.execute(
            text("SELECT name FROM company WHERE name IN :names ORDER BY name").bindparams(
                sa.bindparam("names", expanding=True)
            ),
            {"names": ["acme", "globex"]},
        ).all()
        assert [r[0] for r in rows] == ["acme", "globex"]


@engines()
def test_write_commit_and_rollback(engine):
    name = PREFIX + engine.dialect.driver + ".w"
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO person (name, age) VALUES (:n, :a)"), {"n": name, "a": 3})
    with engine.connect() as conn:
        trans = conn.begin()
        assert conn.execute(text("SELECT age FROM person WHERE name = :n"), {"n": name}).scalar() == 3
        conn.execute(text("UPDATE person SET age = 4 WHERE name = :n"), {"n": name})
        assert conn.execute(text("SELECT age FROM person WHERE name = :n"), {"n": name}).scalar() == 4
        trans.rollback()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT age FROM person WHERE name = :n"), {"n": name}).scalar() == 3


@engines()
def test_executemany(engine):
    rows = [{"n": f"{PREFIX}{engine.dialect.driver}.m{i}", "a": i} for i in range(3)]
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO person (name, age) VALUES (:n, :a)"), rows)
    with engine.connect() as conn:
        got = conn.execute(
            text("SELECT name, age FROM person WHERE name LIKE :p ORDER BY name"),
            {"p": f"{PREFIX}{engine.dialect.driver}.m%"},
        ).all()
        assert [tuple(r) for r in got] == [(r["n"], r["a"]) for r in rows]


@engines()
def test_error_carries_sqlstate(engine):
    with engine.connect() as conn:
        with pytest.raises(sa.exc.ProgrammingError) as info:
            conn.execute(text("SELECT * FROM no_such_table"))
        orig = info.value.orig
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        assert code == "42P01"


@engines()
def test_get_table_names(engine):
    names = set(inspect(engine).get_table_names())
    assert GRAPH_TABLES <= names


@engines()
def test_has_table(engine):
    insp = inspect(engine)
    assert insp.has_table("person")
    assert not insp.has_table("no_such_table")


@engines()
def test_get_schema_names(engine):
    schemas = inspect(engine).get_schema_names()
    assert "public" in schemas
    assert "omnigraph" in schemas
    assert "pg_catalog" not in schemas  # the dialect hides pg_* schemas


@engines()
def test_get_columns(engine):
    cols = {c["name"]: c for c in inspect(engine).get_columns("person")}
    assert set(cols) == {"id", "name", "age", "city"}
    assert isinstance(cols["name"]["type"], (sa.String, sa.Text))
    assert isinstance(cols["age"]["type"], sa.Integer)
    assert isinstance(cols["city"]["type"], (sa.String, sa.Text))
    assert cols["city"]["nullable"] is True
    assert cols["age"]["nullable"] is True
    assert cols["name"]["nullable"] is False


@engines()
def test_get_columns_edge_table(engine):
    cols = {c["name"]: c for c in inspect(engine).get_columns("knows")}
    assert {"id", "src", "dst", "since"} <= set(cols)
    assert isinstance(cols["since"]["type"], sa.Date)


@engines()
def test_get_pk_constraint(engine):
    pk = inspect(engine).get_pk_constraint("person")
    # The reserved `id` column (derived from the @key for nodes) is every table's key.
    assert pk["constrained_columns"] == ["id"], pk
    assert pk["name"] == "person_pkey", pk


@engines()
def test_get_foreign_keys_and_indexes(engine):
    insp = inspect(engine)
    # An edge's src and dst reference its endpoint node table's id.
    foreign_keys = sorted(
        (fk["name"], tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
        for fk in insp.get_foreign_keys("knows")
    )
    assert foreign_keys == [
        ("knows_dst_fkey", ("dst",), "person", ("id",)),
        ("knows_src_fkey", ("src",), "person", ("id",)),
    ], foreign_keys
    assert isinstance(insp.get_indexes("person"), list)
    assert isinstance(insp.get_unique_constraints("person"), list)


EDGE_ENDS = {"knows": ("person", "person"), "works_at": ("person", "company")}


@engines()
def test_get_foreign_keys_of_edges(engine):
    insp = inspect(engine)
    for edge, (source, target) in EDGE_ENDS.items():
        keys = {
            (tuple(fk["constrained_columns"]), fk["referred_table"], tuple(fk["referred_columns"]))
            for fk in insp.get_foreign_keys(edge)
        }
        assert keys == {(("src",), source, ("id",)), (("dst",), target, ("id",))}, (edge, keys)


@engines()
def test_get_indexes_name_columns_of_their_table(engine):
    insp = inspect(engine)
    for table in GRAPH_TABLES:
        columns = {c["name"] for c in insp.get_columns(table)}
        for index in insp.get_indexes(table):
            assert set(index["column_names"]) <= columns, (table, index)
            # The primary key's index is get_pk_constraint's, as in PostgreSQL.
            assert index["name"] != f"{table}_pkey", (table, index)


@engines()
def test_metadata_reflect_then_select(engine):
    md = sa.MetaData()
    md.reflect(engine)
    assert GRAPH_TABLES <= set(md.tables)
    person = md.tables["person"]
    with engine.connect() as conn:
        row = conn.execute(sa.select(person).where(person.c.name == "alice.smith")).one()
        assert row.age == 78 and row.city == "Oslo"


@engines()
def test_autoload_table(engine):
    person = sa.Table("person", sa.MetaData(), autoload_with=engine)
    assert [c.name for c in person.columns] == ["id", "name", "age", "city"]
    with engine.connect() as conn:
        stmt = (
            sa.select(person.c.city, sa.func.count().label("n"))
            .where(person.c.age > sa.bindparam("min_age"))
            .group_by(person.c.city)
            .order_by(sa.desc("n"), person.c.city)
            .limit(3)
        )
        rows = conn.execute(stmt, {"min_age": 30}).all()
        assert len(rows) == 3
        assert rows[0].n >= rows[1].n >= rows[2].n


@engines()
def test_core_insert_and_delete(engine):
    person = sa.Table(
        "person",
        sa.MetaData(),
        sa.Column("id", sa.Text),
        sa.Column("name", sa.Text),
        sa.Column("age", sa.Integer),
        sa.Column("city", sa.Text),
    )
    name = PREFIX + engine.dialect.driver + ".core"
    with engine.begin() as conn:
        # SQLAlchemy 2.x reports the rowcount of an INSERT only when asked to keep it
        # (psycopg 3 forgets it when the cursor closes).
        insert = sa.insert(person).values(name=name, age=9, city="Rome")
        result = conn.execute(insert.execution_options(preserve_rowcount=True))
        assert result.rowcount == 1
    with engine.begin() as conn:
        got = conn.execute(sa.select(person.c.age, person.c.city).where(person.c.name == name)).one()
        assert tuple(got) == (9, "Rome")
        result = conn.execute(sa.delete(person).where(person.c.name == name))
        assert result.rowcount == 1
