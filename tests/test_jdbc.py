"""pgjdbc (Java) against omnigraph-server: compiles tests/jdbc/*.java and runs ClientTest,
which prints one line per check ("ok name" / "FAIL name: detail").

Needs a JDK (javac, java) and the pgjdbc jar: /usr/share/java/postgresql.jar (Debian's
libpostgresql-jdbc-java) or the path in $PGJDBC_JAR. Set JDBC_TRACE=1 to have the
driver's protocol trace (every Parse/Bind/Describe and the server's answers) written to
the temporary directory and its path printed.

Known gaps of the server are listed in KNOWN_GAPS (check name -> what is missing): such a
check is expected to fail (printed as `xfail name: reason`); once it passes, the test fails
until the entry is removed. Any other failing check fails the test."""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import judge_checks

HERE = Path(__file__).resolve().parent
JAVA_DIR = HERE / "jdbc"
DEFAULT_JAR = Path("/usr/share/java/postgresql.jar")

# Check name (as ClientTest prints it) -> the server gap that makes it fail.
KNOWN_GAPS = {
    "metadata_get_type_info": "pg_type.typinput is text ('boolin'), not a regproc OID (pgjdbc getTypeInfo casts it)",
    "resultset_metadata_table_info": "RowDescription carries no table OID and column number (getBaseTableName is empty)",
}
CHECK_LINE = re.compile(r"^(ok|FAIL) ([\w.-]+)(?:: (.*))?$")


def parse_checks(stdout: str) -> dict[str, tuple[bool, str]]:
    """`ok name` / `FAIL name: detail` (detail continues on indented lines) -> results."""
    results: dict[str, tuple[bool, str]] = {}
    last = None
    for line in stdout.splitlines():
        if m := CHECK_LINE.match(line):
            last = m.group(2)
            assert last not in results, f"check {last} reported twice"
            results[last] = (m.group(1) == "ok", m.group(3) or "")
        elif line.startswith("    ") and last is not None and not results[last][0]:
            results[last] = (False, results[last][1] + "\n" + line)
        else:
            last = None
    return results


def _pgjdbc_jar() -> Path:
    return Path(os.environ.get("PGJDBC_JAR", DEFAULT_JAR))


def _require_toolchain() -> Path:
    missing = [tool for tool in ("javac", "java") if shutil.which(tool) is None]
    jar = _pgjdbc_jar()
    if not jar.exists():
        missing.append(str(jar))
    if missing:
        pytest.fail(
            "pgjdbc suite cannot run, missing: " + ", ".join(missing)
            + " (install a JDK and libpostgresql-jdbc-java, or set PGJDBC_JAR)"
        )
    return jar


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    jar = _require_toolchain()
    classes = tmp_path_factory.mktemp("jdbc-classes")
    sources = sorted(str(p) for p in JAVA_DIR.glob("*.java"))
    result = subprocess.run(
        ["javac", "-d", str(classes), "-cp", str(jar)] + sources,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, "javac failed:\n" + result.stdout + result.stderr
    return classes, jar


def test_pgjdbc_client(server, compiled, tmp_path):
    classes, jar = compiled
    command = ["java"]
    if os.environ.get("JDBC_TRACE"):
        trace = tmp_path / "pgjdbc-trace.log"
        config = tmp_path / "logging.properties"
        config.write_text(
            "handlers=java.util.logging.FileHandler\n"
            f"java.util.logging.FileHandler.pattern={trace}\n"
            "java.util.logging.FileHandler.level=ALL\n"
            "java.util.logging.FileHandler.formatter=java.util.logging.SimpleFormatter\n"
            "java.util.logging.SimpleFormatter.format=%5$s%n\n"
            "org.postgresql.level=FINEST\n"
        )
        command.append(f"-Djava.util.logging.config.file={config}")
        print(f"pgjdbc protocol trace: {trace}")
    command += ["-cp", f"{classes}{os.pathsep}{jar}", "ClientTest", server.host, str(server.port)]
    result = subprocess.run(command, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    print(output)
    assert "SUMMARY" in result.stdout, "ClientTest did not finish:\n" + output
    results = parse_checks(result.stdout)
    any_failed = not all(passed for passed, _ in results.values())
    assert result.returncode == (1 if any_failed else 0), f"ClientTest exited {result.returncode}"
    errors = judge_checks(results, KNOWN_GAPS, "tests/test_jdbc.py")
    assert not errors, f"{len(errors)} pgjdbc check(s) wrong:\n" + "\n".join(errors)
