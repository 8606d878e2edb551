#!/usr/bin/env bash
# Serve the app as a class uses it: N Streamlit replicas on local ports behind nginx, which
# compresses, caches and keeps each browser on one replica (deploy/nginx.conf). The URL is the
# state, so any replica serves any link. Runs in the foreground; Ctrl-C or SIGTERM stops every
# process, and so does the exit of any one of them (a container's restart policy takes over).
#
#   bash scripts/serve.sh              # http://localhost:8501, one replica per core
#   REPLICAS=2 PORT=8080 bash scripts/serve.sh
#   bash scripts/serve.sh --prepare    # only install nginx and precompress (a Docker build step)
#
# Environment: PORT (nginx, default 8501; replicas take PORT+1 .. PORT+N, on 127.0.0.1 only),
# REPLICAS (default: the number of cores), ADDRESS (nginx's, default 0.0.0.0), PYTHON (default
# .venv/bin/python if present, else python3), STATIC_CACHE (the precompressed copy of Streamlit's
# bundles; default: made afresh in the run directory).
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-8501}
replicas=${REPLICAS:-$(nproc)}
address=${ADDRESS:-0.0.0.0}
python=${PYTHON:-$([ -x .venv/bin/python ] && echo .venv/bin/python || echo python3)}
# Two malloc heaps per process instead of one per thread that allocated: freed memory is reused
# (ui/memory.py).
export MALLOC_ARENA_MAX=${MALLOC_ARENA_MAX:-2}

if ! command -v nginx >/dev/null; then
  # Debian's nginx, installed the way scripts/setup.sh installs Chromium.
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends nginx \
    >/dev/null
fi

# A copy of Streamlit's static/ with every text file gzipped beside it, made once: gzipping the
# 10 MB of bundles of each first visit on the fly would cost nginx more CPU than the page costs.
precompress() {
  local dest=$1 version source
  read -r version source < <("$python" - <<'PY'
import importlib.metadata, importlib.util, pathlib
spec = importlib.util.find_spec("streamlit")  # found, not imported (that takes a second)
print(importlib.metadata.version("streamlit"), pathlib.Path(spec.origin).parent / "static/static")
PY
)
  [ "$(cat "$dest/.version" 2>/dev/null)" = "$version" ] && return
  rm -rf "$dest" && mkdir -p "$(dirname "$dest")"
  cp -r "$source" "$dest"
  find "$dest" -type f \( -name '*.js' -o -name '*.css' -o -name '*.svg' -o -name '*.json' \) \
    -print0 | xargs -0 -n 16 -P "$(nproc)" gzip -k
  chmod -R a+rX "$dest"
  echo "$version" >"$dest/.version"
}

if [ "${1:-}" = "--prepare" ]; then
  precompress "${STATIC_CACHE:?--prepare writes to STATIC_CACHE: set it}"
  exit 0
fi

run=$(mktemp -d "${TMPDIR:-/tmp}/error-surface-lab-serve.XXXXXX")
chmod 755 "$run"  # nginx's workers run as nobody when it is started as root
# Each child leads a process group of its own (set -m): Ctrl-C reaches this script alone, which
# stops them in order (else nginx would exit first and look like a crash), and stopping a group
# stops what a replica started too (its formula sandbox's workers).
set -m
signal_groups() {
  local group
  for group in $(jobs -p); do kill "-$1" -- "-$group" 2>/dev/null || true; done
}
stop() {
  trap - EXIT INT TERM
  set +m  # no "Terminated" notice per job
  signal_groups TERM
  # A replica whose script thread is stuck (a hostile formula) may never stop: 10 s, then KILL.
  for _ in $(seq 20); do [ -n "$(jobs -rp)" ] || break; sleep 0.5; done
  signal_groups KILL
  wait || true
  rm -rf "$run"
}
trap stop EXIT
trap 'exit 0' INT TERM

static=${STATIC_CACHE:-$run/static}
precompress "$static"

upstream="" routes=""
for i in $(seq 1 "$replicas"); do
  replica="127.0.0.1:$((port + i))"
  # No file watcher: it scans every loaded module for each new session, ~0.2 s of CPU per page
  # load (bench/bench_load.py); a replica serves the code it started with.
  "$python" -m streamlit run app.py --server.address 127.0.0.1 --server.port $((port + i)) \
    --server.fileWatcherType none &
  upstream+="    server $replica;"$'\n'
  routes+="    $replica $replica;"$'\n'
done
{
  printf 'upstream streamlit {\n%s}\n' "$upstream"
  printf 'map $cookie_st_replica $replica {\n    default streamlit;\n%s}\n' "$routes"
} >"$run/replicas.conf"
sed -e "s|@LISTEN@|$address:$port|" -e "s|@STATIC@|$static|" deploy/nginx.conf >"$run/nginx.conf"
mkdir -p "$run/tmp"

# nginx starts once every replica is healthy, so its first answer is never a 502.
probe='import sys, urllib.request as u
u.build_opener(u.ProxyHandler({})).open(sys.argv[1], timeout=2)'
for i in $(seq 1 "$replicas"); do
  # 503 until the replica is ready; asked directly, never through a proxy
  until "$python" -c "$probe" "http://127.0.0.1:$((port + i))/_stcore/health" 2>/dev/null; do
    [ "$(jobs -rp | wc -l)" -eq "$replicas" ] || exit 1  # a replica has exited
    sleep 0.5
  done
done
nginx -p "$run" -c nginx.conf -e stderr -g 'daemon off;' &
echo "Serving on $address:$port with $replicas replicas (ports $((port + 1))-$((port + replicas)))"

wait -n
echo "serve.sh: a server process exited; stopping the others" >&2
exit 1
