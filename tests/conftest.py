"""Shared fixtures for the client suites: the real omnigraph-server on an ephemeral
loopback port, serving the demo graph from a temporary data directory.

Isolation: every test module gets servers of its own (`server`, `scram_server`), so no
module sees another's rows, branches or left-over work; tests that cancel a query use
`private_server` (a cancelled query keeps running on the server, a known gap, and would
slow down whatever runs next on the same server).

Only the standard library and pytest here: tests/test_sqlalchemy.py also runs in a venv
with SQLAlchemy 1.4 and psycopg2 only, so no driver is imported at module level.
"""

import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def server_binary() -> Path:
    explicit = os.environ.get("OMNIGRAPH_SERVER")
    if explicit:
        return Path(explicit)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "debug" / "omnigraph-server"


@dataclass
class RunningServer:
    host: str
    port: int
    data_dir: Path
    process: subprocess.Popen

    def dsn(self, database: str = "demo", user: str = "tester", password: str | None = None) -> str:
        dsn = f"host={self.host} port={self.port} dbname={database} user={user}"
        if password is not None:
            dsn += f" password={password}"
        return dsn

    def url(self, scheme: str, database: str = "demo", user: str = "tester") -> str:
        return f"{scheme}://{user}@{self.host}:{self.port}/{database}"


def start_server(extra_args: list[str] | None = None, data_dir: Path | None = None) -> RunningServer:
    """Starts a server on a new temporary data directory, or on `data_dir` (a restart)."""
    binary = server_binary()
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: build it with `cargo build -p omnigraph-pg`")
    if data_dir is None:
        data_dir = Path(tempfile.mkdtemp(prefix="omnigraph-clients-"))
    process = subprocess.Popen(
        [str(binary), "--demo", "--data-dir", str(data_dir), "--listen", "127.0.0.1:0"]
        + (extra_args or []),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    listening = re.compile(r"listening on ([0-9.]+):(\d+)")
    seen = []
    for line in process.stderr:
        seen.append(line)
        match = listening.search(line)
        if match:
            # Keep draining stderr so the server never blocks on a full pipe.
            threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True).start()
            return RunningServer(match.group(1), int(match.group(2)), data_dir, process)
    process.wait(timeout=10)
    raise RuntimeError("omnigraph-server did not start:\n" + "".join(seen))


def stop_server(server: RunningServer, kill: bool = False) -> None:
    """Stops the server (SIGTERM, or SIGKILL when `kill`: a server still computing a
    cancelled query need not be asked nicely) and only then removes its data directory."""
    if kill:
        server.process.kill()
    else:
        server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    shutil.rmtree(server.data_dir, ignore_errors=True)


@pytest.fixture(scope="module")
def server():
    """A server of the test module's own."""
    running = start_server()
    yield running
    stop_server(running)


@pytest.fixture
def private_server():
    """A server of the test's own, killed afterwards: for tests that cancel queries."""
    running = start_server()
    yield running
    stop_server(running, kill=True)


def server_cpu_seconds(server: RunningServer) -> float:
    """CPU time (user + system) the server process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{server.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
    # fields[0] is the state (field 3 of proc(5)); utime and stime are fields 14 and 15.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu_load(server: RunningServer, seconds: float = 1.0) -> float:
    """How many cores the server keeps busy over the next `seconds` (0.0 when idle)."""
    before = server_cpu_seconds(server)
    time.sleep(seconds)
    return (server_cpu_seconds(server) - before) / seconds


def judge_checks(results: dict[str, tuple[bool, str]], known_gaps: dict[str, str], suite: str) -> list[str]:
    """For suites that run many checks in one program (pgjdbc, node-postgres): `results`
    maps each check that ran to (passed, detail). Prints `xfail name: reason` for a known
    gap that failed as expected; returns the errors: a check that failed and is no known
    gap, a known gap that now passes, a known gap whose check did not run."""
    errors = []
    for name, (passed, detail) in results.items():
        reason = known_gaps.get(name)
        if reason is None and not passed:
            errors.append(f"FAIL {name}: {detail}")
        elif reason is not None and passed:
            errors.append(f"known gap now passes: {name}: remove it from KNOWN_GAPS in {suite}")
        elif reason is not None:
            print(f"xfail {name}: known gap: {reason}")
    for name in known_gaps.keys() - results.keys():
        errors.append(f"known gap {name!r} matches no check that ran: fix KNOWN_GAPS in {suite}")
    return errors


# Users of the `scram_server` fixture: name -> (password, role).
SCRAM_USERS = {
    "reader": ("read-pw", "read"),
    "writer": ("write-pw", "write"),
    "boss": ("admin-pw", "admin"),
}


def users_file_line(name: str, password: str, role: str) -> str:
    out = subprocess.run(
        [str(server_binary()), "passwd", name, role],
        input=password + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


@pytest.fixture(scope="module")
def scram_server(tmp_path_factory):
    """A second server of the module's own that authenticates with SCRAM-SHA-256
    (`--users FILE`)."""
    users = tmp_path_factory.mktemp("omnigraph-users") / "users"
    users.write_text(
        "".join(users_file_line(n, pw, role) + "\n" for n, (pw, role) in SCRAM_USERS.items())
    )
    users.chmod(0o600)
    running = start_server(["--users", str(users)])
    yield running
    stop_server(running)
