"""A class opening the app at once, in Streamlit's own protocol, without a browser.

Each user is a fresh tab (bench/streamlit_client.py): index.html, health and host-config, the
websocket, one ``rerun_script``, ForwardMsgs until ``script_finished``. Figures: page loads per
second, p50/p95 seconds per load with N users at once (one link for all, and a new link each),
server CPU seconds per load and memory per process (from /proc), bytes received per load. Ratios are
against N = 1 on the same server; ``--replicas 0,2`` runs everything on each setup in turn (0: one
``streamlit run`` process; n: scripts/serve.sh with n replicas behind nginx) and compares p95s
with the first setup's.

    python -m bench.bench_load                                 # load: N = 1, 10, 40
    python -m bench.bench_load --replicas 0,2 --scenario load,first-visit
    python -m bench.bench_load --scenario hostile              # one user opens a hostile link
    python -m bench.bench_load --scenario memory --links 300   # RSS after many distinct links
    python -m bench.bench_load --scenario pages                # every page once, RSS vs 690 MB
    python -m bench.bench_load --url http://127.0.0.1:8501 --page adaptive --query steps=200

Traffic goes to 127.0.0.1 only. Every load has a deadline (--timeout) and every scenario a fixed
number of loads or a fixed duration.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import math
import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple
from urllib.parse import parse_qsl, urlencode

import numpy as np

from bench.streamlit_client import PageLoad, Processes, Server, listener, load_page, loopback, serve

# A formula that froze the whole server once.
HOSTILE = urlencode({"surface": "custom", "surface_formula": "x+exp(exp(exp(20)))"})
# A new playground link each time: run 1's learning rate (values its slider offers) × the start.
PLAYGROUND_VARY = {
    "r0_lr": ["0.0001", "0.00015", "0.0002", "0.0003", "0.0005", "0.0007", "0.001"],
    "start_x": [f"{-1.2 - 0.005 * i:.3f}" for i in range(60)],
}
CLOUD_MEMORY = 690e6  # Streamlit Community Cloud's smallest tier
IDLE = 5.0  # percent of a core: a server at rest


class Links:
    """One page's links: the same one for everyone, or one never opened before each time."""

    def __init__(self, page: str, query: str, vary: dict[str, list[str]]) -> None:
        self.page, self.same = page, query
        self._fresh = itertools.product(*vary.values())
        self._keys = list(vary)

    def fresh(self) -> str:
        try:
            values = next(self._fresh)
        except StopIteration:
            raise SystemExit("more distinct links asked for than --vary gives") from None
        return urlencode(dict(parse_qsl(self.same)) | dict(zip(self._keys, values, strict=True)))


class Clock(NamedTuple):
    """One moment: wall clock, and CPU seconds so far of the server, of this client, and of the
    whole machine (the client and anything else running share the server's cores)."""

    wall: float
    server: float
    client: float
    machine: float

    @classmethod
    def now(cls, processes: Processes) -> Clock:
        return cls(time.monotonic(), processes.cpu_seconds(), time.process_time(), machine_cpu())

    def until(self, later: Clock) -> tuple[float, float]:
        """Server CPU in percent of one core, and cores busy with neither server nor client."""
        wall = later.wall - self.wall
        server, client = later.server - self.server, later.client - self.client
        return 100 * server / wall, (later.machine - self.machine - server - client) / wall


def machine_cpu() -> float:
    """CPU seconds spent by every process on the machine since boot (/proc/stat's cpu line)."""
    ticks = [int(t) for t in Path("/proc/stat").read_text().split()[1:9]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # not idle, not iowait


def failed(load: PageLoad) -> bool:
    return not load.finished or load.error is not None


def summary(loads: list[PageLoad], start: Clock, processes: Processes) -> dict[str, float]:
    end = Clock.now(processes)
    seconds = [load.seconds for load in loads]
    return {
        "loads": len(loads),
        "per_s": len(loads) / (end.wall - start.wall),
        "p50": float(np.percentile(seconds, 50)),
        "p95": float(np.percentile(seconds, 95)),
        "cpu": (end.server - start.server) / len(loads),
        "client": (end.client - start.client) / len(loads),
        "mb": np.mean([load.received for load in loads]) / 1e6,
        "failed": sum(map(failed, loads)),
        "alerts": sum(bool(load.alerts) for load in loads),
        "others": start.until(end)[1],
    }


HEADER = (
    f"{'':22s} {'loads':>5s} {'loads/s':>7s} {'p50 s':>6s} {'p95 s':>6s} {'CPU s/load':>10s} "
    f"{'client':>6s} {'MB/load':>7s} {'failed':>6s} {'alerts':>6s} {'others':>6s}  RSS MB"
)


def row(label: str, figures: dict[str, float], processes: Processes) -> str:
    return (
        f"{label:22s} {figures['loads']:5.0f} {figures['per_s']:7.2f} {figures['p50']:6.2f} "
        f"{figures['p95']:6.2f} {figures['cpu']:10.3f} {figures['client']:6.3f} "
        f"{figures['mb']:7.2f} {figures['failed']:6.0f} {figures['alerts']:6.0f} "
        f"{figures['others']:6.2f}  {rss(processes)}"
    )


def rss(processes: Processes) -> str:
    """Resident MB of each process over 20 MB, and of all of them together."""
    sizes = sorted(processes.memory().items(), key=lambda item: -item[1])
    large = [f"{name.split()[1]} {size / 1e6:.0f}" for name, size in sizes if size > 20e6]
    return ", ".join(large) + f" (all {total_memory(processes) / 1e6:.0f})"


def total_memory(processes: Processes) -> int:
    """All the processes together, each page once: the largest resident set, plus what the others
    hold privately (what they share is mostly the same libraries, counted once in a container).
    Not a sum of PSS: on a shared machine that divides library pages among strangers too."""
    resident, private = processes.memory(), processes.memory("Private")
    largest = max(resident, key=resident.get, default=None)
    return sum(size for name, size in private.items() if name != largest) + resident.get(largest, 0)


async def at_once(server: Server, page: str, queries: list[str], **options) -> list[PageLoad]:
    """Every user opens their link at the same moment, as a class does when the link is posted."""
    return await asyncio.gather(*(load_page(server.url, page, q, **options) for q in queries))


def first_problem(loads: list[PageLoad]) -> str | None:
    bad = next((load for load in loads if load.error or load.alerts), None)
    return None if bad is None else (bad.error or bad.alerts[0])[:160]


# ---- Scenarios -----------------------------------------------------------------------------------


async def load(server: Server, links: Links, args) -> dict[str, float]:
    """N users at once, one link for all and a new link each: p95 at each N, vs N = 1."""
    print(HEADER)
    p95 = {}
    for kind in ("same", "distinct"):
        for n in args.sizes:
            start, loads = Clock.now(server.processes), []
            for _ in range(math.ceil(args.samples / n)):
                queries = [links.same] * n if kind == "same" else [links.fresh() for _ in range(n)]
                loads += await at_once(server, links.page, queries, timeout=args.timeout)
            figures = summary(loads, start, server.processes)
            p95[f"{kind} N={n}"] = figures["p95"]
            print(row(f"{kind} link, N={n}", figures, server.processes))
            if problem := first_problem(loads):
                print(f"  first problem: {problem}")
        low, high = min(args.sizes), max(args.sizes)
        ratio = p95[f"{kind} N={high}"] / p95[f"{kind} N={low}"]
        print(f"  {kind} link: p95 at N={high} is {ratio:.1f}× p95 at N={low}")
    return p95


async def first_visit(server: Server, links: Links, args) -> dict[str, float]:
    """N first visits at once: each tab also fetches the static files (nothing cached)."""
    n = max(args.sizes)
    start = Clock.now(server.processes)
    loads = await at_once(server, links.page, [links.same] * n, assets=True, timeout=args.timeout)
    figures = summary(loads, start, server.processes)
    print(HEADER)
    print(row(f"first visits, N={n}", figures, server.processes))
    gzipped = np.mean([load.gzipped for load in loads])
    print(f"  {gzipped:.0f} files per visit came gzip-compressed")
    if problem := first_problem(loads):
        print(f"  first problem: {problem}")
    return {f"first visit N={n}": figures["p95"]}


async def hostile(server: Server, links: Links, args) -> dict[str, float]:
    """Five users load a normal link in a loop; one opens a hostile link, gives up after
    --stay seconds at most, and leaves. The five's p95 before, during and after; then
    everyone leaves and the server must return to idle."""
    records: list[tuple[float, PageLoad]] = []
    starts: list[float] = []
    stop = asyncio.Event()

    async def user() -> None:
        while not stop.is_set():
            starts.append(time.monotonic())
            result = await load_page(server.url, links.page, links.same, timeout=args.timeout)
            records.append((starts[-1], result))

    users = [asyncio.create_task(user()) for _ in range(5)]
    clocks = [Clock.now(server.processes)]
    await asyncio.sleep(args.phase)
    clocks.append(Clock.now(server.processes))
    bad = await load_page(server.url, links.page, args.hostile, timeout=args.stay)
    clocks.append(Clock.now(server.processes))
    # After: --phase seconds, and until each of the five has started a load since (a user
    # still waiting on a page opened during the attack has not yet had an "after").
    left, deadline = clocks[-1].wall, clocks[-1].wall + args.phase + args.timeout
    await asyncio.sleep(args.phase)
    while sum(start >= left for start in starts) < 5 and time.monotonic() < deadline:
        await asyncio.sleep(0.2)
    clocks.append(Clock.now(server.processes))
    stop.set()
    await asyncio.gather(*users)
    rest = Clock.now(server.processes)
    await asyncio.sleep(10)
    idle, others = rest.until(Clock.now(server.processes))

    shown = bad.error or (bad.alerts[0] if bad.alerts else "the page, no message")
    print(
        f"hostile user: left after {bad.seconds:.1f} s, page finished: {bad.finished}; "
        f"shown: {shown[:120]}"
    )
    print(
        f"{'5 users':8s} {'from s':>6s} {'loads':>5s} {'p95 s':>6s} {'failed':>6s} "
        f"{'CPU %':>6s} {'others':>6s}"
    )
    p95 = {}
    for name, begin, end in zip(("before", "during", "after"), clocks, clocks[1:], strict=False):
        loads = [load for started, load in records if begin.wall <= started < end.wall]
        seconds = [load.seconds for load in loads]
        p95[f"hostile {name}"] = float(np.percentile(seconds, 95)) if loads else math.nan
        cpu, busy = begin.until(end)
        print(
            f"{name:8s} {begin.wall - clocks[0].wall:6.1f} {len(loads):5d} "
            f"{p95[f'hostile {name}']:6.2f} {sum(map(failed, loads)):6d} {cpu:6.0f} {busy:6.2f}"
        )
    verdict = "idle" if idle < IDLE else "NOT idle"
    print(
        f"everyone gone: server CPU {idle:.1f}% of a core over 10 s ({verdict}; "
        f"others kept {others:.2f} cores busy)"
    )
    return p95 | {"idle CPU %": idle}


async def memory(server: Server, links: Links, args) -> dict[str, float]:
    """RSS while --links distinct links are opened, five users at a time: caches are bounded,
    so RSS must level off."""
    print(f"{'distinct links':>14s}  RSS MB per process")
    print(f"{0:14d}  {rss(server.processes)}")
    for opened in range(5, args.links + 5, 5):
        await at_once(server, links.page, [links.fresh() for _ in range(5)], timeout=args.timeout)
        if opened % 50 == 0 or opened >= args.links:
            print(f"{opened:14d}  {rss(server.processes)}")
    return {"memory MB, all, after links": total_memory(server.processes) / 1e6}


async def pages(server: Server, links: Links, args) -> dict[str, float]:
    """Every page of the app once (read from its navigation), then the memory of all the
    server's processes together (Streamlit Community Cloud's limit is for the whole app) against
    its smallest tier."""
    home = await load_page(server.url, timeout=args.timeout)
    print(f"{'page':18s} {'s':>6s} {'MB':>6s}  shown problem / RSS MB per process")
    for path in home.pages or ("",):
        result = await load_page(server.url, path, timeout=args.timeout)
        shown = result.error or (result.alerts[0] if result.alerts else None)
        print(
            f"{path or '(home)':18s} {result.seconds:6.2f} {result.received / 1e6:6.2f}  "
            f"{shown[:100] if shown else rss(server.processes)}"
        )
    total = total_memory(server.processes)
    verdict = "under" if total < CLOUD_MEMORY else "OVER"
    print(f"all processes: {total / 1e6:.0f} MB, {verdict} {CLOUD_MEMORY / 1e6:.0f} MB")
    return {"memory MB, all": total / 1e6}


SCENARIOS = {
    "load": load,
    "first-visit": first_visit,
    "hostile": hostile,
    "memory": memory,
    "pages": pages,
}


# ---- Running -------------------------------------------------------------------------------------


@contextlib.contextmanager
def setup(replicas: int, args) -> Iterator[Server]:
    """The server to measure: one started here, or the one at --url."""
    if not args.url:
        with serve(replicas) as server:
            yield server
        return
    _, port = loopback(args.url)
    yield Server(args.url.rstrip("/"), Processes(args.pid or [listener(port)]))


async def run(server: Server, replicas: int, scenario: str, args) -> dict[str, float]:
    links = Links(
        args.page,
        args.query,
        dict(args.vary) or (PLAYGROUND_VARY if args.page == "playground" else {}),
    )
    # One load per replica (a new tab goes round robin): imports done, the same link cached.
    warm = await at_once(server, links.page, [links.same] * max(1, replicas), timeout=120)
    print(f"warm-up: {', '.join(f'{w.seconds:.1f} s' for w in warm)}; {first_problem(warm)}")
    print(f"== {scenario}: {' '.join(SCENARIOS[scenario].__doc__.split())}")
    return await SCENARIOS[scenario](server, links, args)


def integers(text: str) -> list[int]:
    return [int(n) for n in text.split(",")]


def vary(text: str) -> tuple[str, list[str]]:
    key, _, values = text.partition("=")
    return key, values.split(",")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--scenario",
        type=lambda s: s.split(","),
        default=["load"],
        help=f"comma list of {', '.join(SCENARIOS)}, or all",
    )
    parser.add_argument(
        "--replicas",
        type=integers,
        default=[0],
        help="setups to compare: 0 = one streamlit process, n = serve.sh",
    )
    parser.add_argument("--url", help="measure a running server on 127.0.0.1 instead")
    parser.add_argument(
        "--pid",
        type=int,
        action="append",
        help="its process (default: the port's listener); descendants count too",
    )
    parser.add_argument("--page", default="playground", help="url path of the page")
    parser.add_argument("--query", default="", help="query string of the link everyone opens")
    parser.add_argument(
        "--vary",
        type=vary,
        action="append",
        default=[],
        help="KEY=V1,V2,...: distinct links combine these (repeatable)",
    )
    parser.add_argument(
        "--sizes",
        type=integers,
        default=[1, 10, 40],
        help="users at once",
    )
    parser.add_argument("--samples", type=int, default=20, help="loads per N, at least")
    parser.add_argument("--timeout", type=float, default=60, help="seconds a user waits")
    parser.add_argument("--hostile", default=HOSTILE, help="query string of the hostile link")
    parser.add_argument("--phase", type=float, default=10, help="seconds before and after")
    parser.add_argument("--stay", type=float, default=10, help="seconds the hostile user waits")
    parser.add_argument("--links", type=int, default=300, help="distinct links for memory")
    args = parser.parse_args()
    if args.scenario == ["all"]:
        args.scenario = list(SCENARIOS)
    if unknown := set(args.scenario) - set(SCENARIOS):
        parser.error(f"unknown scenario {', '.join(unknown)}")
    setups = [0] if args.url else args.replicas

    signal.signal(signal.SIGTERM, lambda *_: sys.exit("stopped"))  # and so are the servers
    results: dict[str, dict[str, float]] = {}
    for scenario in args.scenario:
        for replicas in setups:  # in turns, so that the machine's load hits every setup alike
            name = "url" if args.url else (f"serve.sh ×{replicas}" if replicas else "one process")
            print(f"\n######## {scenario}, {name}: page /{args.page}?{args.query}")
            # A fresh server for each scenario: a hostile link may leave one unusable.
            with setup(replicas, args) as server:
                figures = asyncio.run(run(server, replicas, scenario, args))
            results[name] = results.get(name, {}) | figures
    if len(results) > 1:
        base, *others = results
        print(f"\n== against {base}")
        for key, value in results[base].items():
            ratios = ", ".join(
                f"{other} {results[other][key]:.2f} ({results[other][key] / value:.2f}×)"
                for other in others
            )
            print(f"{key:24s} {base} {value:.2f}; {ratios}")


if __name__ == "__main__":
    main()
