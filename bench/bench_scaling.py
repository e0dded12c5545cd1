"""Checkout across processes on PostgreSQL: ``POST /v1/screen`` and ``POST /v1/orders`` (which stores
and screens) served by 1 and 2 API processes, with velocity counted in the database and in Redis.

The benchmark store of ``bench_screen`` (1,000,000 list entries, identifier rows and orders, 200
rules; a tenth of it with ``quick``) is built once on a scratch PostgreSQL database; for each
setting ``storeguard``'s app runs under uvicorn with ``--workers N`` and a closed-loop client of
``CONCURRENCY`` connections sends varied checkouts for ``SECONDS`` seconds. Figures per setting:
requests per second, p50 and p99 latency in milliseconds, and the errors (any answer but 201,
200 or a refusal the route documents: 409 for an order the screening blocks); and the scaling,
two processes' rate over one's. The client runs on the same machine and takes CPU of its own:
``wrk`` (C, a fraction of a core) when installed, else a Python client that takes most of a
core; on a two-core box the scaling figure measures the box as much as the app
(``scaling_load_tool_wrk`` says which client ran).

With one process, an open-loop client then offers ``POST /v1/screen`` at ``OPEN_RATE`` a second
for ``OPEN_SECONDS`` seconds (``screen_open_loop_*``): the rate done, p50 and p99 from when each
request was due, and the errors (timeouts included).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from itertools import cycle
from typing import Any

import httpx

from bench.bench_screen import ROOT, SRC, _checkout, _free_port, build
from bench.scratch import scratch_postgres

SECONDS = 10
CONCURRENCY = 16
REDIS_URL = os.environ.get("STOREGUARD_BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
OK = {200, 201, 409}
# The open-loop test: the rate one process must hold on PostgreSQL, and for how long.
OPEN_RATE = 400.0
OPEN_SECONDS = 60
OPEN_CONNECTIONS = 64
TIMEOUT = 10.0


def _order(info: dict[str, Any], rnd: random.Random) -> dict[str, Any]:
    body = _checkout(info, rnd)
    body["currency"] = info.get("currency", "NOK")
    return body


def _serve(url: str, workers: int, redis: str | None) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {**os.environ, "STOREGUARD_DATABASE_URL": url, "PYTHONPATH": os.pathsep.join([str(SRC), str(ROOT)])}
    env["STOREGUARD_BACKGROUND_WORK"] = "false"  # deliveries and the outbox are not what is measured
    env.pop("STOREGUARD_REDIS_URL", None)
    if redis:
        env["STOREGUARD_REDIS_URL"] = redis
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "storeguard.app:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its own process group: stopping it stops its worker processes too
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code in (200, 503):
                return server, base
        except httpx.HTTPError:
            time.sleep(0.1)
    _stop(server)
    raise RuntimeError("the API did not start")


def _stop(server: subprocess.Popen[bytes]) -> None:
    """Stop the API processes; kill them if they have not finished their requests in time."""
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


# wrk's script: each request takes the next body in turn; answers outside OK are counted per
# thread and summed at the end (wrk's own "Non-2xx" would count a refused order as a failure).
_WRK_SCRIPT = """
local bodies = {%(bodies)s}
local ok = {%(ok)s}
local threads = {}
local i = 0
errors = 0  -- a global: done() reads each thread's through thread:get
wrk.method = "POST"
%(headers)s
function setup(thread) table.insert(threads, thread) end
function init(args) i = math.random(#bodies) end
function request()
  i = i %% #bodies + 1
  return wrk.format(nil, nil, nil, bodies[i])
end
function response(status, headers, body)
  if not ok[status] then errors = errors + 1 end
end
function done(summary, latency, requests)
  local total = 0
  for _, t in ipairs(threads) do total = total + t:get("errors") end
  local failed = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout
  io.write(string.format("SG %%d %%d %%.3f %%.3f %%d\\n", summary.requests, summary.duration,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, total + failed))
end
"""


def _wrk_load(
    url: str, bodies: list[dict[str, Any]], headers: dict[str, str], seconds: float
) -> dict[str, float]:
    """The closed loop driven by wrk: ``CONCURRENCY`` connections on two threads."""
    script = _WRK_SCRIPT % {
        "bodies": ",".join(json.dumps(json.dumps(b)) for b in bodies),
        "ok": ",".join(f"[{code}]=true" for code in sorted(OK)),
        "headers": "\n".join(f'wrk.headers["{k}"] = "{v}"' for k, v in headers.items()),
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script)
    try:
        out = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{CONCURRENCY}",
                f"-d{max(1, round(seconds))}s",
                f"--timeout={TIMEOUT:.0f}s",
                "-s",
                lua.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(lua.name)
    found = re.search(r"^SG (\d+) (\d+) ([\d.]+) ([\d.]+) (\d+)$", out, re.M)
    if found is None:
        raise RuntimeError(f"wrk gave no summary:\n{out}")
    requests, micros, p50, p99, errors = found.groups()
    return {
        "rps": round(int(requests) / (int(micros) / 1e6), 1),
        "p50_ms": round(float(p50), 1),
        "p99_ms": round(float(p99), 1),
        "errors": float(errors),
    }


def _load(
    url: str, bodies: list[dict[str, Any]], headers: dict[str, str], seconds: float
) -> dict[str, float]:
    """Closed loop: each connection sends its next request when the last is answered."""
    if shutil.which("wrk"):
        return _wrk_load(url, bodies, headers, seconds)

    async def go() -> tuple[list[float], int, float]:
        latencies: list[float] = []
        errors = 0
        source = cycle(bodies)
        limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
        async with httpx.AsyncClient(timeout=TIMEOUT, limits=limits) as client:
            end = time.perf_counter() + seconds

            async def connection() -> None:
                nonlocal errors
                while time.perf_counter() < end:
                    started = time.perf_counter()
                    try:
                        answer = await client.post(url, json=next(source), headers=headers)
                    except httpx.HTTPError:  # a timeout is an error of the server's, not the bench's end
                        errors += 1
                        continue
                    latencies.append((time.perf_counter() - started) * 1000)
                    errors += answer.status_code not in OK

            started = time.perf_counter()
            await asyncio.gather(*(connection() for _ in range(CONCURRENCY)))
            return latencies, errors, time.perf_counter() - started

    latencies, errors, elapsed = asyncio.run(go())
    latencies.sort()
    return {
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else 0.0,
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 1) if latencies else 0.0,
        "errors": float(errors),
    }


def _open_loop(
    url: str, bodies: list[dict[str, Any]], headers: dict[str, str], rate: float, seconds: float
) -> dict[str, float]:
    """Open loop: a request every 1/rate seconds whatever the answers; latency counted from the plan.

    A closed loop slows down with the server and hides a queue; here a request the server cannot
    take in time waits, and its wait counts (from when it was due to be sent, not when it was).
    A request unanswered after ``TIMEOUT`` seconds is an error.
    """

    # Requests wait in this client's own queue for one of ``OPEN_CONNECTIONS`` senders, bodies
    # encoded once: left to httpx's pool, thousands of waiting requests made the client's own
    # bookkeeping grow with the square of the queue, and the figure measured the client.
    encoded = [json.dumps(b).encode() for b in bodies]
    sent_headers = {**headers, "Content-Type": "application/json"}

    async def go() -> tuple[list[float], int, float]:
        latencies: list[float] = []
        errors = 0
        queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()
        limits = httpx.Limits(max_connections=OPEN_CONNECTIONS, max_keepalive_connections=OPEN_CONNECTIONS)
        async with httpx.AsyncClient(limits=limits) as client:

            async def sender() -> None:
                nonlocal errors
                while (item := await queue.get()) is not None:
                    due, body = item
                    left = TIMEOUT - (time.perf_counter() - due)
                    if left <= 0:  # waited its whole time in the queue: the server fell behind
                        errors += 1
                        continue
                    try:
                        answer = await client.post(url, content=body, headers=sent_headers, timeout=left)
                        errors += answer.status_code not in OK
                    except httpx.HTTPError:
                        errors += 1
                        continue
                    latencies.append((time.perf_counter() - due) * 1000)

            senders = [asyncio.create_task(sender()) for _ in range(OPEN_CONNECTIONS)]
            source = cycle(encoded)
            started = time.perf_counter()
            for i in range(int(rate * seconds)):
                due = started + i / rate
                pause = due - time.perf_counter()
                if pause > 0:
                    await asyncio.sleep(pause)
                queue.put_nowait((due, next(source)))
            for _ in senders:
                queue.put_nowait(None)
            await asyncio.gather(*senders)
            return latencies, errors, time.perf_counter() - started

    latencies, errors, elapsed = asyncio.run(go())
    latencies.sort()
    return {
        "offered_rps": rate,
        "done_rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies), 1) if latencies else 0.0,
        "p99_ms": round(latencies[int(0.99 * (len(latencies) - 1))], 1) if latencies else 0.0,
        "errors": float(errors),
    }


def run(quick: bool = False) -> dict[str, float]:
    """Build the store once, then measure each setting one after the other."""
    scale = (20_000, 100_000, 100_000, 200) if quick else (200_000, 1_000_000, 1_000_000, 200)
    seconds = 3 if quick else SECONDS
    customers, entries, orders, rules = scale
    figures: dict[str, float] = {
        "scaling_load_average": round(os.getloadavg()[0], 2),
        "scaling_load_tool_wrk": 1.0 if shutil.which("wrk") else 0.0,
    }
    with scratch_postgres() as url:
        info = build(url, customers=customers, entries=entries, orders=orders, rules=rules)
        headers = {"Authorization": f"Bearer {info['key']}", "Content-Type": "application/json"}
        rnd = random.Random(21)
        checkouts = [_checkout(info, rnd) for _ in range(2000)]
        for redis in (None, REDIS_URL):
            store = "redis" if redis else "sql"
            for workers in (1, 2):
                server, base = _serve(url, workers, redis)
                try:
                    for route, bodies in (
                        ("screen", checkouts),
                        ("orders", [_order(info, rnd) for _ in range(4000)]),
                    ):
                        _load(f"{base}/v1/{route}", bodies[:50], headers, 1)  # warm up every process
                        result = _load(f"{base}/v1/{route}", bodies, headers, seconds)
                        for name, value in result.items():
                            figures[f"scaling_{route}_{name}_{store}_{workers}p"] = value
                    if workers == 1:  # can one process hold a drop's rate (open loop)?
                        opened = _open_loop(
                            f"{base}/v1/screen", checkouts, headers, OPEN_RATE, 3 if quick else OPEN_SECONDS
                        )
                        for name, value in opened.items():
                            figures[f"screen_open_loop_{name}_{store}_1p"] = value
                finally:
                    _stop(server)
            for route in ("screen", "orders"):
                one = figures[f"scaling_{route}_rps_{store}_1p"]
                figures[f"scaling_{route}_2p_over_1p_{store}"] = (
                    round(figures[f"scaling_{route}_rps_{store}_2p"] / one, 2) if one else 0.0
                )
    return figures


if __name__ == "__main__":
    import json

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
