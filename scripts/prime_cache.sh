#!/usr/bin/env bash
# Fill JAX's persistent compilation cache (nets/jaxcache.py) once, so that the first network
# section a fresh server process shows loads its compiled functions instead of compiling them:
# every page that trains networks is run (Streamlit's AppTest, no server) at its defaults and at
# every preset. A host runs it once after installing (and again after upgrading JAX); the
# container build runs it (Dockerfile). Writes only to the cache directory (the same user's).
#
#   bash scripts/prime_cache.sh
#   ERROR_SURFACE_LAB_JAX_CACHE=/path bash scripts/prime_cache.sh   # another directory
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}

exec "$python" - <<'PY'
import sys
import time

import streamlit.logger
from streamlit.testing.v1 import AppTest

import nets.jaxcache as jaxcache
from ui.presets import preset_query
from views import networks, normalization

if jaxcache.DIRECTORY is None:
    sys.exit("prime_cache.sh: the compilation cache is off or its directory was refused "
             f"({jaxcache.ENV}={jaxcache.directory()})")
streamlit.logger.set_log_level("error")  # AppTest without a server warns on every run
began = time.perf_counter()
for module in (networks, normalization):
    path = module.__file__.rpartition("/views/")[2]
    links = [{}] + [preset_query(name, p.values) for name, p in module.PRESETS.items()]
    for query in links:
        start = time.perf_counter()
        app = AppTest.from_file("app.py", default_timeout=900)
        for key, value in query.items():
            app.query_params[key] = value
        app.switch_page(f"views/{path}")
        app.run()
        failed = [e.value for e in app.exception]
        name = query.get("preset", "defaults")
        print(f"{path} {name}: {time.perf_counter() - start:.1f} s"
              + (f" (the page raised: {failed[0]})" if failed else ""), flush=True)
requests, hits = jaxcache.stats()
print(f"Compilation cache {jaxcache.DIRECTORY}: {requests} compilations asked it, {hits} were "
      f"found there, in {time.perf_counter() - began:.0f} s")
PY
