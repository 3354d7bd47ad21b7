"""Load on `synthgate serve`: CLIENTS threads, each with its own keep-alive connection, for
SECONDS, each request one release (GET /api/releases/{id}, a random id; half the requests),
a page of the releases list (GET /api/releases, its default 100 of them, with a random offset;
four in ten) or the whole list (GET /api/releases?limit=1000; one in ten). Prints p50, p99 and the slowest per kind, the
throughput and every non-2xx answer (there must be none).
Usage: python3 load.py BASE_URL TOKEN SECONDS CLIENTS RELEASES"""

import http.client
import random
import sys
import threading
import time
from urllib.parse import urlparse

base, token, seconds, clients, releases = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
url = urlparse(base)
headers = {"Authorization": f"Bearer {token}"}
timings = {"list": [], "all": [], "show": []}
failures = []
lock = threading.Lock()
stop = time.monotonic() + seconds


def client(seed: int) -> None:
    rng = random.Random(seed)
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    mine = {"list": [], "all": [], "show": []}
    while time.monotonic() < stop:
        draw = rng.random()
        if draw < 0.5:
            kind, path = "show", f"/api/releases/{rng.randint(1, releases)}"
        elif draw < 0.9:
            kind, path = "list", f"/api/releases?offset={100 * rng.randint(0, releases // 100 - 1)}"
        else:
            kind, path = "all", "/api/releases?limit=1000"
        started = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            with lock:
                failures.append(f"{path}: {error}")
            connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            continue
        elapsed = time.perf_counter() - started
        if response.status != 200:
            with lock:
                failures.append(f"{path}: {response.status} {body[:200]!r}")
        mine[kind].append(elapsed)
    with lock:
        for kind in mine:
            timings[kind].extend(mine[kind])


threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
for t in threads:
    t.start()
for t in threads:
    t.join()


def quantile(values: list, q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))]


print(f"{clients} clients, {seconds:.0f} s, {releases} registered releases, loopback")
print("| request | requests | p50 | p99 | slowest |")
print("|---|---:|---:|---:|---:|")
for kind, label in [
    ("show", "GET /api/releases/{id}"),
    ("list", "GET /api/releases (a page: 100 of the 1,000)"),
    ("all", "GET /api/releases?limit=1000 (all 1,000)"),
]:
    values = timings[kind]
    print(f"| {label} | {len(values)} | {1000 * quantile(values, 0.5):.1f} ms | {1000 * quantile(values, 0.99):.1f} ms | {1000 * max(values):.1f} ms |")
total = sum(len(v) for v in timings.values())
print(f"throughput: {total / seconds:.0f} requests/s; non-2xx or failed: {len(failures)}")
for failure in failures[:10]:
    print(f"  {failure}")
sys.exit(1 if failures else 0)
