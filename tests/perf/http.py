"""A small HTTP load client (processes × threads, http.client keep-alive) and a gunicorn
server started as a subprocess for the benchmarks."""

import http.client
import multiprocessing
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    """``with Gunicorn(settings="tests.perf.bench_settings") as server: server.url``"""

    def __init__(self, settings="tests.perf.bench_settings", workers=None, threads=None, env=None):
        self.port = free_port()
        self.env = os.environ.copy()
        self.env.update(
            DJANGO_SETTINGS_MODULE=settings,
            GUNICORN_BIND=f"127.0.0.1:{self.port}",
            GUNICORN_ACCESSLOG="/dev/null",
            CONN_MAX_AGE=self.env.get("CONN_MAX_AGE", "60"),
        )
        if workers:
            self.env["GUNICORN_WORKERS"] = str(workers)
        if threads:
            self.env["GUNICORN_THREADS"] = str(threads)
        self.env.update(env or {})
        self.host = "127.0.0.1"
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self):
        gunicorn = Path(sys.executable).with_name("gunicorn")
        self.proc = subprocess.Popen(
            [str(gunicorn), "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=open(ROOT / "var" / "bench-gunicorn.log", "w"),  # noqa: SIM115
        )
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
                conn.request("GET", "/healthz")
                conn.getresponse().read()
                return self
            except OSError:
                if self.proc.poll() is not None:
                    raise RuntimeError("gunicorn exited; see var/bench-gunicorn.log") from None
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not start")

    def __exit__(self, *exc):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def login(host, port, username, password):
    """Log in through the real login form; returns the Cookie header value."""
    conn = http.client.HTTPConnection(host, port, timeout=30)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    body = response.read().decode()
    cookies = _cookies(response)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": token}
    )
    conn.request(
        "POST",
        "/accounts/login/",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "Referer": f"http://{host}:{port}/accounts/login/",
        },
    )
    response = conn.getresponse()
    response.read()
    cookies.update(_cookies(response))
    if response.status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"login failed for {username}: {response.status}")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def _cookies(response):
    out = {}
    for header, value in response.getheaders():
        if header.lower() == "set-cookie":
            name, _, rest = value.partition("=")
            out[name] = rest.split(";", 1)[0]
    return out


def _worker(host, port, path, cookie, threads, duration, queue):
    latencies, errors = [], [0]
    lock = threading.Lock()
    stop = time.perf_counter() + duration

    def loop():
        conn = http.client.HTTPConnection(host, port, timeout=30)
        mine, bad = [], 0
        headers = {"Cookie": cookie} if cookie else {}
        while time.perf_counter() < stop:
            started = time.perf_counter()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                if response.status != 200:
                    bad += 1
            except (OSError, http.client.HTTPException):
                bad += 1
                conn.close()
                conn = http.client.HTTPConnection(host, port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    pool = [threading.Thread(target=loop) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    queue.put((latencies, errors[0]))


def load(host, port, path, cookie=None, connections=20, duration=10.0, processes=2):
    """Keep ``connections`` keep-alive connections busy for ``duration`` seconds.
    Returns {"rps", "p50", "p95", "p99" (seconds), "requests", "errors"}."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    per = [connections // processes + (i < connections % processes) for i in range(processes)]
    procs = [
        ctx.Process(target=_worker, args=(host, port, path, cookie, n, duration, queue))
        for n in per
        if n
    ]
    started = time.perf_counter()
    for p in procs:
        p.start()
    latencies, errors = [], 0
    for _ in procs:
        lat, err = queue.get()
        latencies.extend(lat)
        errors += err
    for p in procs:
        p.join()
    elapsed = time.perf_counter() - started
    return _summary(latencies, errors, elapsed)


def merge(results):
    """One summary over several ``load()`` rounds of the same URL."""
    latencies = [x for r in results for x in r["latencies"]]
    return _summary(
        latencies, sum(r["errors"] for r in results), sum(r["elapsed"] for r in results)
    )


def _summary(latencies, errors, elapsed):
    latencies = sorted(latencies)

    def pct(q):
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0

    return {
        "rps": len(latencies) / elapsed,
        "p50": statistics.median(latencies) if latencies else 0,
        "p95": pct(0.95),
        "p99": pct(0.99),
        "requests": len(latencies),
        "errors": errors,
        "elapsed": elapsed,
        "latencies": latencies,
    }
