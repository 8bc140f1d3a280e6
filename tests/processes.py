"""Running Werkmaat as a real process for end-to-end tests, and finding a browser."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_werkmaat(tmp: Path, *args: str, **env: str) -> subprocess.Popen[bytes]:
    """`werkmaat run ARGS` with this environment; its output goes to tmp/werkmaat-run.log."""
    log = (tmp / "werkmaat-run.log").open("ab")
    return subprocess.Popen([sys.executable, "-m", "bot", "run", *args], cwd=ROOT,
                            env={**os.environ, "PYTHONUNBUFFERED": "1", **env},
                            stdout=log, stderr=subprocess.STDOUT)


def wait_for_http(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Until `url` answers 200; fails at once if the process ended."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"werkmaat exited early ({process.returncode})"
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer in {timeout} s")


class WerkmaatProcess:
    """`werkmaat run` in a subprocess with its own database, port and environment."""

    def __init__(self, tmp: Path, role: str = "all", **env: str) -> None:
        self.port = free_port()
        self.role = role
        self.log_path = tmp / f"werkmaat-{self.port}.log"
        self.env = {**os.environ, "WERKMAAT_DATABASE_URL": f"sqlite:///{tmp / 'werkmaat.db'}",
                    "WERKMAAT_WEB_PORT": str(self.port), "PYTHONUNBUFFERED": "1", **env}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> WerkmaatProcess:
        log = self.log_path.open("ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "bot", "run", "--role", self.role],
                                     cwd=ROOT,
                                     env=self.env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError(f"werkmaat exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"werkmaat did not come up in {timeout} s:\n{self.log()}")

    def kill(self) -> None:
        """SIGKILL: no chance to clean up, as in a crash."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def cli(self, *args: str, stdin: str = "", timeout: float = 120
            ) -> subprocess.CompletedProcess[str]:
        """`werkmaat <args>` as an operator runs it beside this process: same database, same
        settings (e.g. `counselor add` before logging in to the dashboard)."""
        return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                              capture_output=True, env=self.env, cwd=ROOT, timeout=timeout)


def chromium_path() -> str:
    """Debian's Chromium (`make test` installs it); a clear skip where it is absent."""
    for candidate in (os.environ.get("WERKMAAT_CHROMIUM"), shutil.which("chromium"),
                      "/usr/bin/chromium", shutil.which("chromium-browser")):
        if candidate and Path(candidate).exists():
            return candidate
    message = "Chromium not found: install Debian's chromium package (make test does)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)
    raise AssertionError("unreachable")


CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]


class StubRasa:
    """A Rasa NLU server look-alike that answers every text with `out_of_scope`, in a thread.

    A Werkmaat process pointed at it (`env`) starts in about two seconds instead of loading the
    embedded model (ten seconds or more on a busy machine): for tests that restart Werkmaat
    many times and whose clients type nothing that needs understanding (names, a phone number,
    a town; buttons for the rest). Language and crisis detection stay Werkmaat's own.
    """

    TOKEN = "stub-rasa-token"

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
                self._answer({"model_file": "stub.tar.gz"})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self._answer({"intent": {"name": "out_of_scope", "confidence": 0.0},
                              "intent_ranking": []})

            def _answer(self, body: dict[str, object]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def env(self) -> dict[str, str]:
        host, port = self._server.server_address[:2]
        return {"WERKMAAT_NLU_BACKEND": "rasa", "WERKMAAT_RASA_URL": f"http://{host!s}:{port}",
                "WERKMAAT_RASA_TOKEN": self.TOKEN}

    def __enter__(self) -> StubRasa:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class WarmWerkmaatProcess(WerkmaatProcess):
    """`werkmaat run` from an interpreter that imported Werkmaat before it was told to run.

    Importing takes two seconds or more on a busy machine; a test that kills and restarts
    Werkmaat twenty times would spend most of its time there. The next interpreter imports
    while the current one runs (niced, so the running one keeps the CPU) and waits for a line
    on stdin; from `main()` on it is the same `werkmaat run`. Keep `stop()` in a `finally`: it
    also ends the waiting interpreter.
    """

    PRELOAD = (
        "import sys\n"
        "import bot.cli, bot.runtime, bot.composition, bot.telegram_channel, bot.telegram_desk\n"
        "import nlu.rasa_client\n"
        "if sys.stdin.readline().strip() != 'run':\n"
        "    sys.exit(0)\n"
        "sys.argv = ['werkmaat', 'run']\n"
        "bot.cli.main()\n"
    )

    def __init__(self, tmp: Path, **env: str) -> None:
        super().__init__(tmp, **env)
        self._standby: subprocess.Popen[bytes] | None = None

    def _prepare(self) -> subprocess.Popen[bytes]:
        log = self.log_path.open("ab")
        nice = ["nice", "-n", "10"] if shutil.which("nice") else []  # execs: the same pid
        return subprocess.Popen([*nice, sys.executable, "-c", self.PRELOAD], cwd=ROOT,
                                env=self.env, stdin=subprocess.PIPE, stdout=log,
                                stderr=subprocess.STDOUT)

    def start(self, timeout: float = 60) -> WarmWerkmaatProcess:
        process = self._standby or self._prepare()
        self._standby = None
        with contextlib.suppress(OSError):  # back to full priority (needs root; else niced)
            os.setpriority(os.PRIO_PROCESS, process.pid, 0)
        assert process.stdin is not None
        process.stdin.write(b"run\n")
        process.stdin.flush()
        self.proc = process
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise AssertionError(f"werkmaat exited early:\n{self.log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    self._standby = self._prepare()  # imports while this one runs
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"werkmaat did not come up in {timeout} s:\n{self.log()}")

    def stop(self) -> None:
        super().stop()
        standby, self._standby = self._standby, None
        if standby is not None and standby.poll() is None:
            assert standby.stdin is not None
            standby.stdin.close()  # end of input: it exits without running
            try:
                standby.wait(15)
            except subprocess.TimeoutExpired:
                standby.kill()


class TcpProxy:
    """A TCP relay to a server (PostgreSQL, say) that a test can cut off and restore.

    `cut()` drops every connection through it and refuses new ones, as a restarting server
    does; `restore()` accepts again. The server itself is never touched, so other users of a
    shared database server notice nothing.
    """

    def __init__(self, host: str, port: int, *more_ports: int) -> None:
        """With `more_ports`, new connections go round-robin to each (a load balancer)."""
        self.targets = [(host, p) for p in (port, *more_ports)]
        self.connections = 0  # accepted so far
        self._lock = threading.Lock()
        self._open: set[tuple[socket.socket, socket.socket]] = set()
        self._listener: socket.socket | None = None
        self.port = free_port()
        self.dropped = 0  # connections open when cut
        self.restore()

    def restore(self) -> None:
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        with self._lock:
            listener, self._listener = self._listener, None
            pairs, self._open = self._open, set()
            self.dropped += len(pairs)
        if listener is not None:
            listener.close()
        for pair in pairs:
            self._close(pair)

    close = cut

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            target = self.targets[self.connections % len(self.targets)]
            self.connections += 1
            try:
                server = socket.create_connection(target, timeout=5)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            pair = (client, server)
            with self._lock:
                if self._listener is not listener:
                    self._close(pair)
                    return
                self._open.add(pair)
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink, pair),
                                 daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket,
              pair: tuple[socket.socket, socket.socket]) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        with self._lock:
            self._open.discard(pair)
        self._close(pair)

    @staticmethod
    def _close(pair: tuple[socket.socket, socket.socket]) -> None:
        for end in pair:
            with contextlib.suppress(OSError):
                end.shutdown(socket.SHUT_RDWR)
            end.close()
