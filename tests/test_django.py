"""Django against omnigraph-server: a throwaway settings module pointing at the server,
then `manage.py inspectdb` (models generated from the catalog, compared with the demo
schema in sql/demo/schema.pg) and raw queries through Django's connection."""

import os
import subprocess
import sys

import pytest

pytest.importorskip("django")

SETTINGS = """
SECRET_KEY = "omnigraph-client-test"
INSTALLED_APPS = []
USE_TZ = True
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "demo",
        "USER": "tester",
        "HOST": "{host}",
        "PORT": "{port}",
    }}
}}
"""


def django(server, tmp_path, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "omnigraph_settings.py").write_text(SETTINGS.format(host=server.host, port=server.port))
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="omnigraph_settings", PYTHONPATH=str(tmp_path))
    env.pop("PGPASSWORD", None)
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def inspected(server, tmp_path_factory):
    result = django(server, tmp_path_factory.mktemp("django"), "inspectdb")
    assert result.returncode == 0, result.stderr
    return result.stdout


def model(source: str, name: str) -> str:
    """The body of `class NAME(models.Model):` in inspectdb's output."""
    start = source.index(f"class {name}(models.Model):")
    end = source.find("\nclass ", start + 1)
    return source[start : end if end >= 0 else len(source)]




def test_inspectdb_models_every_table(inspected):
    for name in ["Company", "Knows", "Person", "WorksAt"]:
        assert f"class {name}(models.Model):" in inspected, inspected


def test_inspectdb_node_model(inspected):
    person = model(inspected, "Person")
    assert "id = models.TextField(primary_key=True)" in person
    assert "name = models.TextField()" in person
    assert "age = models.IntegerField(blank=True, null=True)" in person
    assert "city = models.TextField(blank=True, null=True)" in person
    assert "db_table = 'person'" in person


def test_inspectdb_edge_model_refers_to_its_nodes(inspected):
    works_at = model(inspected, "WorksAt")
    assert "src = models.ForeignKey(Person, models.DO_NOTHING, db_column='src')" in works_at
    assert "dst = models.ForeignKey(Company, models.DO_NOTHING, db_column='dst')" in works_at
    assert "role = models.TextField(blank=True, null=True)" in works_at


def test_raw_queries_through_djangos_connection(server, tmp_path):
    script = (
        "import django; django.setup()\n"
        "from django.db import connection\n"
        "with connection.cursor() as c:\n"
        "    c.execute('SELECT name, age FROM person WHERE age > %s ORDER BY name LIMIT 2', [30])\n"
        "    print(c.fetchall())\n"
        "    c.execute('SELECT count(*) FROM person')\n"
        "    print(c.fetchone()[0])\n"
        "print(sorted(connection.introspection.table_names()))\n"
    )
    result = django(server, tmp_path, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    # (Django 5.2's shell first says how many objects it imported.)
    lines = result.stdout.splitlines()[-3:]
    assert lines[0] == "[('alice.garcia', 39), ('alice.jones', 40)]"
    assert lines[1] == "200"
    assert lines[2] == "['company', 'knows', 'person', 'works_at']"
