"""pandas against omnigraph-server through SQLAlchemy 2 (psycopg 3): `read_sql` of queries
and tables, parameters, chunks, dates, and `to_sql` (appending rows to a graph table;
creating a table is refused with 0A000, as docs/known-gaps.md says). The SQLAlchemy
inspector that `read_sql_table` relies on is tested in tests/test_sqlalchemy.py."""

import datetime

import pytest

pd = pytest.importorskip("pandas")
sa = pytest.importorskip("sqlalchemy")


@pytest.fixture(scope="module")
def engine(server):
    engine = sa.create_engine(server.url("postgresql+psycopg"))
    yield engine
    engine.dispose()


def test_read_sql_query(engine):
    with engine.connect() as conn:
        frame = pd.read_sql("SELECT name, age FROM person ORDER BY name LIMIT 3", conn)
    assert list(frame.columns) == ["name", "age"]
    assert frame.to_dict("records") == [
        {"name": "alice.chen", "age": 28},
        {"name": "alice.garcia", "age": 39},
        {"name": "alice.jones", "age": 40},
    ]
    assert frame["age"].dtype == "int64"


def test_read_sql_with_parameters(engine):
    query = sa.text("SELECT name FROM person WHERE age > :age AND city = :city ORDER BY name")
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn, params={"age": 30, "city": "Oslo"})
    assert len(frame) > 0
    assert frame["name"].is_monotonic_increasing


def test_read_sql_aggregates_keep_postgres_column_names(engine):
    with engine.connect() as conn:
        frame = pd.read_sql("SELECT count(*), max(age) FROM person", conn)
    assert list(frame.columns) == ["count", "max"]
    assert frame["count"][0] == 200


def test_read_sql_table(engine):
    frame = pd.read_sql_table("person", engine)
    assert sorted(frame.columns) == ["age", "city", "id", "name"]
    assert len(frame) == 200


def test_read_sql_in_chunks(engine):
    with engine.connect() as conn:
        sizes = [len(chunk) for chunk in pd.read_sql("SELECT * FROM person", conn, chunksize=64)]
    assert sizes == [64, 64, 64, 8]


def test_dates(engine):
    query = "SELECT since FROM knows WHERE since IS NOT NULL ORDER BY since LIMIT 2"
    with engine.connect() as conn:
        plain = pd.read_sql(query, conn)
        parsed = pd.read_sql(query, conn, parse_dates=["since"])
    assert isinstance(plain["since"][0], datetime.date)
    assert str(parsed["since"].dtype).startswith("datetime64")


def test_to_sql_appends_rows_to_a_graph_table(engine):
    rows = pd.DataFrame({"name": ["pandas.one", "pandas.two"], "age": [1, 2]})
    rows.to_sql("person", engine, if_exists="append", index=False)
    query = sa.text("SELECT name, age FROM person WHERE name LIKE 'pandas.%' ORDER BY name")
    with engine.connect() as conn:
        back = pd.read_sql(query, conn)
    assert back.to_dict("records") == [
        {"name": "pandas.one", "age": 1},
        {"name": "pandas.two", "age": 2},
    ]


def test_to_sql_new_table_is_refused_with_a_pointer(engine):
    with pytest.raises(sa.exc.NotSupportedError, match="apply_schema"):
        pd.DataFrame({"a": [1]}).to_sql("pandas_new_table", engine, index=False)
