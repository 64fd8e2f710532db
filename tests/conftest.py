"""Shared fixtures for the client suites: the real omnigraph-server on an ephemeral
loopback port, serving the demo graph from a temporary data directory."""

import os
import re
import shutil
import subprocess
import tempfile
import threading
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


def start_server(extra_args: list[str] | None = None) -> RunningServer:
    binary = server_binary()
    if not binary.exists():
        raise RuntimeError(f"{binary} is missing: build it with `cargo build -p omnigraph-pg`")
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


def stop_server(server: RunningServer) -> None:
    server.process.terminate()
    try:
        server.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        server.process.kill()
        server.process.wait()
    shutil.rmtree(server.data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def server():
    running = start_server()
    yield running
    stop_server(running)


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


@pytest.fixture(scope="session")
def scram_server(tmp_path_factory):
    """A second server that authenticates with SCRAM-SHA-256 (`--users FILE`)."""
    users = tmp_path_factory.mktemp("omnigraph-users") / "users"
    users.write_text(
        "".join(users_file_line(n, pw, role) + "\n" for n, (pw, role) in SCRAM_USERS.items())
    )
    users.chmod(0o600)
    running = start_server(["--users", str(users)])
    yield running
    stop_server(running)
