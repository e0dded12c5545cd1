"""Run the real app under uvicorn, in this process or another, on a free loopback port."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI


def free_port() -> int:
    """Return a loopback port nobody listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(base: str, timeout: float = 30.0) -> None:
    """Poll /healthz until the server answers."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{base} did not come up in {timeout} s")


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` in a thread of this process; yield its base URL; stop it after."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def start_serve(
    database_url: str, data_dir: Path, *extra: str, env: dict[str, str] | None = None
) -> tuple[subprocess.Popen, str]:
    """Start ``storeguard serve`` as its own process on a free port; return it and its base URL."""
    port = free_port()
    environment = {
        **os.environ,
        "STOREGUARD_DATABASE_URL": database_url,
        "STOREGUARD_DATA_DIR": str(data_dir),
        **(env or {}),
    }
    # The server's log goes to a file: a pipe nobody reads fills up and stalls the server.
    log = data_dir / f"serve-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "storeguard", "serve", "--host", "127.0.0.1", "--port", str(port), *extra],
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
    except TimeoutError:
        process.kill()
        raise RuntimeError(log.read_text()[-3000:]) from None
    return process, base


def stop(process: subprocess.Popen, *, kill: bool = False) -> None:
    """Stop a started process: SIGKILL (a crash) or SIGTERM (a deploy), and reap it."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL if kill else signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)
