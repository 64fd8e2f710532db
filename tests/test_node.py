"""node-postgres (pg), knex and Sequelize against omnigraph-server: runs
tests/node/client.test.js and tests/node/orm.test.js (node's built-in test runner, TAP
output) with PGHOST/PGPORT/PGDATABASE/PGUSER pointing at the module's server; the tests the file declares with privateTest() (they cancel queries) run
afterwards one by one, each in its own node process against a fresh server (see the head
of client.test.js).

Needs node (>= 18) and the packages (`pg`, `knex`, `sequelize`) installed from the lock file:
    (cd tests/node && npm ci)

Known gaps of the server are listed in KNOWN_GAPS (test name -> what is missing): such a
test is expected to fail (printed as `xfail name: reason`); once it passes, this test fails
until the entry is removed. Any other failing node test fails this test."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import judge_checks, start_server, stop_server

NODE_DIR = Path(__file__).resolve().parent / "node"

# Test name (as client.test.js names it) -> the server gap that makes it fail.
KNOWN_GAPS: dict[str, str] = {}

# The same for orm.test.js (knex and Sequelize).
ORM_KNOWN_GAPS: dict[str, str] = {}
PRIVATE = "# needs a private server: "
RESULT = re.compile(r"^(ok|not ok) \d+ - (.*?)(?: # (?:SKIP|TODO)\b.*)?$")


def _require_toolchain(packages=("pg",)) -> None:
    if shutil.which("node") is None:
        pytest.fail("node suite cannot run: `node` is not installed (node 18 or newer)")
    for package in packages:
        if not (NODE_DIR / "node_modules" / package / "package.json").exists():
            pytest.fail(f"node suite cannot run: `{package}` is not installed; run `npm ci` in {NODE_DIR}")


def yaml_error(block: list[str]) -> str:
    """The `error:` entry of the YAML block that follows a `not ok` line (one line, or a
    `|-` block of deeper-indented lines)."""
    for j, line in enumerate(block):
        if not line.startswith(" "):
            break
        key = line.strip()
        if key.startswith("error:"):
            value = key[len("error:") :].strip()
            if value not in ("|-", "|", ">-", ">"):
                return value
            indent = len(line) - len(line.lstrip()) + 1
            body = []
            for more in block[j + 1 :]:
                if more.strip() and len(more) - len(more.lstrip()) < indent:
                    break
                body.append(more.strip())
            return "\n    ".join(body).strip()
    return ""


def run_node(
    server, select: str, script: str = "client.test.js"
) -> tuple[str, dict[str, tuple[bool, str]]]:
    """Runs `script` (client.test.js by default, with NODE_TEST_SELECT=`select`) against
    `server`; returns its output and {test name: (passed, detail)}."""
    env = dict(os.environ)
    env.update(
        PGHOST=server.host,
        PGPORT=str(server.port),
        PGDATABASE="demo",
        PGUSER="tester",
        NODE_NO_WARNINGS="1",
        NODE_TEST_SELECT=select,
        OMNIGRAPH_SERVER_PID=str(server.process.pid),
        OMNIGRAPH_CLK_TCK=str(os.sysconf("SC_CLK_TCK")),
    )
    env.pop("PGPASSWORD", None)
    result = subprocess.run(
        ["node", "--test-reporter=tap", str(NODE_DIR / script)],
        cwd=NODE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert "# tests" in result.stdout, f"{script} ({select}) did not finish:\n" + output
    results: dict[str, tuple[bool, str]] = {}
    lines = result.stdout.splitlines()
    for i, line in enumerate(lines):
        m = RESULT.match(line)
        if not m:
            continue
        name = m.group(2).replace("\\#", "#")
        assert name not in results, f"node test {name!r} reported twice"
        detail = ""
        if m.group(1) == "not ok":
            detail = yaml_error(lines[i + 1 :])
        results[name] = (m.group(1) == "ok", detail)
    failed = sum(1 for passed, _ in results.values() if not passed)
    assert (result.returncode != 0) == (failed > 0), (
        f"node exited {result.returncode} with {failed} failed test(s):\n" + output
    )
    return output, results


def test_node_postgres_client(server):
    _require_toolchain()
    output, results = run_node(server, "shared")
    print(output)
    private = [line[len(PRIVATE) :] for line in output.splitlines() if line.startswith(PRIVATE)]
    assert private, "client.test.js announced no private-server tests (NODE_TEST_SELECT ignored?)"
    for name in private:
        own = start_server()
        try:
            out, got = run_node(own, name)
        finally:
            stop_server(own, kill=True)
        print(out)
        assert list(got) == [name], f"NODE_TEST_SELECT={name!r} ran {list(got)}"
        results.update(got)
    errors = judge_checks(results, KNOWN_GAPS, "tests/test_node.py")
    assert not errors, f"{len(errors)} node-postgres test(s) wrong:\n" + "\n".join(errors)


def test_knex_and_sequelize():
    _require_toolchain(("pg", "knex", "sequelize"))
    # A server of its own: it counts the demo's rows, which client.test.js adds to.
    own = start_server()
    try:
        output, results = run_node(own, "all", "orm.test.js")
    finally:
        stop_server(own)
    print(output)
    errors = judge_checks(results, ORM_KNOWN_GAPS, "tests/test_node.py")
    assert not errors, f"{len(errors)} knex/Sequelize test(s) wrong:\n" + "\n".join(errors)
