"""Cold and warm network sections, with and without JAX's persistent compilation cache
(nets/jaxcache.py), in one run.

A network page (default: the networks page at its defaults) is run through Streamlit's AppTest in
a fresh process, as the first student after a (re)start sees it: "cold" is that first run,
imports and compilation included; "warm" is a second run in the same process after Streamlit's
caches are cleared (the same computations, compiled functions already in memory: the fastest a
section can be). Four processes:

- no cache (ERROR_SURFACE_LAB_JAX_CACHE=off): cold and warm, the baseline;
- an empty cache directory: cold (it fills the cache as it compiles);
- the same directory, now primed: cold and warm;

each with the cache's hit rate (compilations answered from disk / compilations that asked it).
Ratios are against the uncached cold run.

Run: python -m bench.bench_cold [--page views/networks.py] [--preset SLUG]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CHILD = r"""
import json, sys, time
began = time.perf_counter()
from streamlit.testing.v1 import AppTest
import streamlit as st

page, preset = sys.argv[1], sys.argv[2]

def run():
    start, cpu = time.perf_counter(), time.process_time()
    app = AppTest.from_file("app.py", default_timeout=900)
    if preset:
        from ui.presets import preset_query
        import importlib
        module = importlib.import_module(page.removesuffix(".py").replace("/", "."))
        name = next(n for n in module.PRESETS if preset_query(n, {})["preset"] == preset)
        for key, value in preset_query(name, module.PRESETS[name].values).items():
            app.query_params[key] = value
    app.switch_page(page)
    app.run()
    assert not app.exception, [e.value for e in app.exception]
    return time.perf_counter() - start, time.process_time() - cpu

(cold, cold_cpu) = run()
import nets.jaxcache as jaxcache
cold_stats = jaxcache.stats()
cold_total = time.perf_counter() - began
st.cache_resource.clear()
st.cache_data.clear()
(warm, warm_cpu) = run()
warm_stats = tuple(b - a for a, b in zip(cold_stats, jaxcache.stats()))
print(json.dumps({"cold": cold, "cold_total": cold_total, "warm": warm,
                  "cold_cpu": cold_cpu, "warm_cpu": warm_cpu,
                  "cold_stats": cold_stats, "warm_stats": warm_stats,
                  "directory": str(jaxcache.DIRECTORY)}))
"""


def measure(page: str, preset: str, cache: str) -> dict:
    env = os.environ | {"ERROR_SURFACE_LAB_JAX_CACHE": cache, "STREAMLIT_LOGGER_LEVEL": "error",
                        "MALLOC_ARENA_MAX": "2"}  # fmt: skip
    out = subprocess.run([sys.executable, "-c", CHILD, page, preset], cwd=ROOT, env=env,
                         capture_output=True, text=True, check=False)  # fmt: skip
    if out.returncode:
        raise RuntimeError(out.stderr[-3000:])
    return json.loads(out.stdout.strip().splitlines()[-1])


def rate(stats, directory: str) -> str:
    asked, hits = stats
    if directory == "None" or not asked:
        return "cache off"
    return f"{hits}/{asked} hits ({100 * hits / asked:.0f} %)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", default="views/networks.py")
    parser.add_argument("--preset", default="", help="a preset's slug (default: the defaults)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-jax-cache-") as tmp:
        cache = str(Path(tmp) / "jax")
        rows = [("no cache", measure(args.page, args.preset, "off"))]
        rows.append(("empty cache (fills it)", measure(args.page, args.preset, cache)))
        rows.append(("primed cache", measure(args.page, args.preset, cache)))
        entries = len(list(Path(cache).iterdir()))
    base, base_cpu = rows[0][1]["cold"], rows[0][1]["cold_cpu"]
    print(f"{args.page} {args.preset or 'defaults'}; a fresh process each; {entries} cache "
          "entries. Wall seconds, and CPU seconds of the process (less sensitive to a busy "
          "machine); × against the uncached cold run.")  # fmt: skip
    print(f"{'':24} {'cold s':>7} {'×':>5} {'CPU s':>6} {'×':>5} {'(+imports)':>10}  "
          f"{'hit rate':20} {'warm s':>7} {'CPU s':>6}")  # fmt: skip
    for label, r in rows:
        print(f"{label:24} {r['cold']:7.1f} {r['cold'] / base:5.2f} {r['cold_cpu']:6.1f} "
              f"{r['cold_cpu'] / base_cpu:5.2f} {r['cold_total']:10.1f}  "
              f"{rate(r['cold_stats'], r['directory']):20} {r['warm']:7.1f} "
              f"{r['warm_cpu']:6.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
