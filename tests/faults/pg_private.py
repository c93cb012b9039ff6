"""A private, throw-away PostgreSQL server for fault tests.

Fault tests restart or kill the database server. They must never touch the
machine's shared server (other tests and benchmarks use it concurrently), so
each test session gets its own: ``initdb`` into a temporary folder, a free
loopback port, trust authentication, the Unix socket inside the folder,
``fsync=off`` for speed. ``synchronous_commit`` stays on: with it off, an
immediate shutdown may lose commits the client was told about, which would
be PostgreSQL's documented trade-off, not a bug of ours.

PostgreSQL refuses to run as root; as root, every server command runs as the
``postgres`` OS user (``runuser``, else ``su``), and the folder is theirs.

Missing binaries skip the tests with the reason, unless
``SATPREP_REQUIRE_POSTGRES`` is set (CI), where they fail instead.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import pwd
import shlex
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.ports import free_port

SERVER_USER = "postgres"
TOOLS = ("initdb", "pg_ctl", "postgres")


def find_bindir() -> Path | None:
    """The newest PostgreSQL with initdb, pg_ctl and postgres (``SATPREP_PG_BIN``
    overrides; then Debian's ``/usr/lib/postgresql/<version>/bin``; then PATH)."""
    candidates: list[Path] = []
    if os.environ.get("SATPREP_PG_BIN"):
        candidates.append(Path(os.environ["SATPREP_PG_BIN"]))
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = [p for p in debian.iterdir() if p.name.split(".")[0].isdigit()]
        versions.sort(key=lambda p: [int(x) for x in p.name.split(".") if x.isdigit()])
        candidates += [v / "bin" for v in reversed(versions)]
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).parent)
    for bindir in candidates:
        if all(os.access(bindir / tool, os.X_OK) for tool in TOOLS):
            return bindir
    return None


def _as_server_user() -> list[str]:
    """The prefix that runs a command as the server's OS user (empty if not root)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("runuser"):
        return ["runuser", "-u", SERVER_USER, "--"]
    return ["su", SERVER_USER, "-s", "/bin/sh", "-c"]  # the command follows as one string


def unavailable_reason() -> str | None:
    """Why a private server cannot be started here, or None."""
    if find_bindir() is None:
        return (
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found in "
            "/usr/lib/postgresql/*/bin, SATPREP_PG_BIN or PATH"
        )
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root and there is no {SERVER_USER!r} OS user to run PostgreSQL"
        if not (shutil.which("runuser") or shutil.which("su")):
            return "running as root and neither runuser nor su is available"
    return None


class PrivatePostgres:
    """One private server: ``start``, ``restart(mode)``, ``stop``, ``url(db)``."""

    def __init__(self, bindir: Path) -> None:
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="satprep-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = 0
        self.options = ""
        if os.geteuid() == 0:
            entry = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        os.chmod(self.root, 0o755)  # the test process (root or not) reads the log

    # -- running the server's tools -------------------------------------------

    def _run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        prefix = _as_server_user()
        cmd = [str(self.bindir / args[0]), *args[1:]]
        argv = [*prefix, shlex.join(cmd)] if prefix and prefix[0] == "su" else [*prefix, *cmd]
        done = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"{shlex.join(cmd)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}\n"
                f"server log:\n{self.log_tail()}"
            )
        return done

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no server log)"

    # -- life cycle -----------------------------------------------------------

    def init(self) -> None:
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C",
            "--no-sync",
        )

    def start(self) -> None:
        """Start on a free loopback port (another one if the port was taken meanwhile)."""
        last: Exception | None = None
        for _ in range(5):
            self.port = free_port()
            self.options = " ".join(
                [
                    f"-c port={self.port}",
                    "-c listen_addresses=127.0.0.1",
                    f"-c unix_socket_directories={self.root}",
                    "-c fsync=off",
                    "-c full_page_writes=off",
                    "-c max_connections=60",
                    "-c shared_buffers=32MB",
                ]
            )
            try:
                self._run(
                    "pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30",
                    "-o", self.options,
                )  # fmt: skip
                return
            except RuntimeError as exc:  # most likely: the port was taken in between
                last = exc
        raise RuntimeError(f"could not start the private PostgreSQL: {last}")

    def restart(self, mode: str = "fast") -> None:
        """``pg_ctl restart -m MODE``: same options (pg_ctl keeps them), waits until ready.

        ``-l`` again: without it the new server would write to pg_ctl's stdout,
        our pipe, and hold it open."""
        self._run(
            "pg_ctl", "restart", "-D", str(self.data), "-l", str(self.log), "-m", mode, "-w",
            "-t", "30",
        )  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w", "-t", "30")

    def start_again(self) -> None:
        """Start after :meth:`stop` with the same options (so on the same port)."""
        self._run(
            "pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "30",
            "-o", self.options,
        )  # fmt: skip

    def running(self) -> bool:
        prefix = _as_server_user()
        cmd = [str(self.bindir / "pg_ctl"), "status", "-D", str(self.data)]
        argv = [*prefix, shlex.join(cmd)] if prefix and prefix[0] == "su" else [*prefix, *cmd]
        return subprocess.run(argv, capture_output=True, stdin=subprocess.DEVNULL).returncode == 0

    def destroy(self) -> None:
        """Stop the server (immediately: the data is thrown away) and remove the folder."""
        if self.data.exists() and self.running():
            with contextlib.suppress(Exception):
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- addresses ------------------------------------------------------------

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def wait_ready(self, timeout: float = 30) -> None:
        import psycopg2

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg2.connect(
                    host="127.0.0.1", port=self.port, user="postgres", dbname="postgres"
                ).close()
                return
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)


def require_private_postgres() -> Path:
    """The binaries' folder, or skip (fail on CI) with the reason."""
    reason = unavailable_reason()
    if reason is not None:
        if os.environ.get("SATPREP_REQUIRE_POSTGRES"):
            pytest.fail(f"SATPREP_REQUIRE_POSTGRES is set but {reason}")
        pytest.skip(reason)
    bindir = find_bindir()
    assert bindir is not None
    return bindir


@pytest.fixture(scope="session")
def private_pg() -> Iterator[PrivatePostgres]:
    """A private PostgreSQL server for this test session, stopped and removed at the end."""
    server = PrivatePostgres(require_private_postgres())
    atexit.register(server.destroy)  # also if the session is interrupted
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()
        atexit.unregister(server.destroy)
