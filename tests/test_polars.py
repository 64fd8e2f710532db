"""polars and connectorx against omnigraph-server. connectorx reads with binary
`COPY (query) TO STDOUT` by default (what `polars.read_database_uri` uses); its
`cursor`, `simple` and `csv` protocols read through ordinary queries and text COPY."""

import pytest

pl = pytest.importorskip("polars")
cx = pytest.importorskip("connectorx")

QUERY = "SELECT name, age, city FROM person ORDER BY name LIMIT 3"
EXPECTED = [
    {"name": "alice.chen", "age": 28, "city": "Tokyo"},
    {"name": "alice.garcia", "age": 39, "city": "Tokyo"},
    {"name": "alice.jones", "age": 40, "city": "Berlin"},
]


def uri(server) -> str:
    return f"postgresql://tester@{server.host}:{server.port}/demo"


def test_polars_read_database_uri(server):
    frame = pl.read_database_uri(QUERY, uri(server))
    assert frame.to_dicts() == EXPECTED
    assert frame.schema["age"] == pl.Int32


@pytest.mark.parametrize("protocol", ["cursor", "simple", "csv"])
def test_connectorx_protocols_over_queries_and_text_copy(server, protocol):
    frame = cx.read_sql(uri(server), QUERY, protocol=protocol, return_type="polars")
    assert frame.to_dicts() == EXPECTED
    assert frame.schema["age"] == pl.Int32
    assert frame.schema["name"] == pl.String


def test_connectorx_partitioned_read(server):
    frame = cx.read_sql(
        uri(server),
        "SELECT name, age FROM person WHERE age IS NOT NULL",
        protocol="cursor",
        partition_on="age",
        partition_num=3,
        return_type="polars",
    )
    with_age = cx.read_sql(
        uri(server),
        "SELECT count(*) AS n FROM person WHERE age IS NOT NULL",
        protocol="cursor",
        return_type="polars",
    )
    assert frame.height == with_age["n"][0]
    assert frame["name"].n_unique() == frame.height


def test_connectorx_dates_and_aggregates(server):
    frame = cx.read_sql(
        uri(server),
        "SELECT min(since) AS first, count(*) AS n FROM knows",
        protocol="cursor",
        return_type="polars",
    )
    assert frame.schema["first"] == pl.Date
    assert frame["n"][0] > 0
