#!/usr/bin/env bash
# Serve the app as a class uses it: N Streamlit replicas on local ports behind nginx, which
# compresses, caches and keeps each browser on one replica (deploy/nginx.conf). The URL is the
# state, so any replica serves any link. Runs in the foreground; Ctrl-C or SIGTERM stops every
# process. A replica that exits is started again, and nginx sends its work to the others while it
# is down (a browser whose replica died reconnects to a live one, with the same view: the link);
# only a replica that fails to start at all, or exits RESTART_LIMIT times within RESTART_WINDOW
# seconds (a crash loop), or nginx's exit, stops the service, with a message saying which.
#
#   bash scripts/serve.sh              # http://localhost:8501, one replica per core
#   REPLICAS=2 PORT=8080 bash scripts/serve.sh
#   bash scripts/serve.sh --prepare    # only install nginx and precompress (a Docker build step)
#
# Environment: PORT (nginx, default 8501; replicas take PORT+1 .. PORT+N, on 127.0.0.1 only),
# REPLICAS (default: the number of cores), ADDRESS (nginx's, default 0.0.0.0), PYTHON (default
# .venv/bin/python if present, else python3), STATIC_CACHE (the precompressed copy of Streamlit's
# bundles; default: made afresh in the run directory), RESTART_LIMIT (default 3) and RESTART_WINDOW
# (seconds, default 60), APP (the script the replicas run, default app.py).
set -euo pipefail
cd "$(dirname "$0")/.."

port=${PORT:-8501}
replicas=${REPLICAS:-$(nproc)}
address=${ADDRESS:-0.0.0.0}
restart_limit=${RESTART_LIMIT:-3}
restart_window=${RESTART_WINDOW:-60}
app=${APP:-app.py}
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

# One replica, kept running: started again each time it exits, unless it never came up (no
# ready-<i> file: it cannot start at all) or it exits restart_limit times within restart_window
# seconds. Either way it exits, with its message, and the service stops.
supervise() {
  local i=$1 replica_port=$2 status exits=() now recent pid stopping=""
  # SIGTERM (stop, below) reaches the replica too (one process group): wait for it to finish.
  trap 'stopping=1' TERM
  while [ -z "$stopping" ]; do
    # No file watcher: it scans every loaded module for each new session, ~0.2 s of CPU per page
    # load (bench/bench_load.py); a replica serves the code it started with.
    "$python" -m streamlit run "$app" --server.address 127.0.0.1 --server.port "$replica_port" \
      --server.fileWatcherType none --server.headless true &
    pid=$!
    status=0
    wait "$pid" || status=$?
    if [ -n "$stopping" ]; then
      wait "$pid" || true
      exit 0
    fi
    if [ ! -e "$run/ready-$i" ]; then
      echo "serve.sh: replica $i (port $replica_port) failed to start (exit status $status)" >&2
      exit 2
    fi
    now=$(date +%s) recent=()
    for t in "${exits[@]}" "$now"; do
      [ $((now - t)) -ge "$restart_window" ] || recent+=("$t")
    done
    exits=("${recent[@]}")
    if [ "${#exits[@]}" -ge "$restart_limit" ]; then
      echo "serve.sh: replica $i (port $replica_port) exited ${#exits[@]} times within" \
        "$restart_window s (last exit status $status): a crash loop" >&2
      exit 3
    fi
    echo "serve.sh: replica $i (port $replica_port) exited (status $status); starting it again" >&2
    sleep 1
  done
  exit 0
}

# Each replica has an upstream of its own for the browsers it was assigned (its cookie), with
# the others as backups: while it is down (a refused connection, or 502/503 while it starts),
# nginx passes the request on, and marks it failed for fail_timeout; so does the round robin
# for new browsers.
servers=() upstreams="" routes=""
for i in $(seq 1 "$replicas"); do
  servers+=("127.0.0.1:$((port + i))")
done
health="max_fails=1 fail_timeout=5s"
for i in $(seq 1 "$replicas"); do
  replica=${servers[$((i - 1))]}
  upstreams+="upstream replica$i {"$'\n'"    server $replica $health;"$'\n'
  for other in "${servers[@]}"; do
    [ "$other" = "$replica" ] || upstreams+="    server $other backup;"$'\n'
  done
  upstreams+="}"$'\n'
  routes+="    $replica replica$i;"$'\n'
done
{
  printf 'upstream streamlit {\n'
  printf '    server %s '"$health"';\n' "${servers[@]}"
  printf '}\n%s' "$upstreams"
  printf 'map $cookie_st_replica $replica {\n    default streamlit;\n%s}\n' "$routes"
} >"$run/replicas.conf"
sed -e "s|@LISTEN@|$address:$port|" -e "s|@STATIC@|$static|" deploy/nginx.conf >"$run/nginx.conf"
mkdir -p "$run/tmp"

for i in $(seq 1 "$replicas"); do
  supervise "$i" $((port + i)) &
done

# nginx starts once every replica is healthy, so its first answer is never a 502.
probe='import sys, urllib.request as u
u.build_opener(u.ProxyHandler({})).open(sys.argv[1], timeout=2)'
for i in $(seq 1 "$replicas"); do
  # 503 until the replica is ready; asked directly, never through a proxy
  until "$python" -c "$probe" "http://127.0.0.1:$((port + i))/_stcore/health" 2>/dev/null; do
    [ "$(jobs -rp | wc -l)" -eq "$replicas" ] || exit 1  # a replica failed to start
    sleep 0.5
  done
  touch "$run/ready-$i"
done
nginx -p "$run" -c nginx.conf -e stderr -g 'daemon off;' &
echo "Serving on $address:$port with $replicas replicas (ports $((port + 1))-$((port + replicas)))"

status=0
wait -n || status=$?
if [ "$status" -eq 3 ] || [ "$status" -eq 2 ]; then
  echo "serve.sh: stopping the service (a replica cannot be kept running)" >&2
else
  echo "serve.sh: nginx exited (status $status); stopping the service" >&2
fi
exit 1
