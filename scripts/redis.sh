#!/usr/bin/env bash
# Local redis for the distributed crawler: no persistence, 127.0.0.1 only.
#   scripts/redis.sh install           install redis-server from Debian if missing
#   scripts/redis.sh start [PORT]      start on 127.0.0.1:PORT (default 6379), prints the URL
#   scripts/redis.sh stop [PORT]       stop the instance started on PORT
#   scripts/redis.sh url [PORT]        print redis://127.0.0.1:PORT/0
set -euo pipefail

cmd=${1:-}
port=${2:-6379}
run_dir=${LMI_REDIS_DIR:-${TMPDIR:-/tmp}/lmi-redis-$port}
pidfile=$run_dir/redis.pid

install() {
    command -v redis-server >/dev/null 2>&1 && return 0
    if [ "$(id -u)" != 0 ]; then SUDO=sudo; else SUDO=; fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get install -y -q redis-server >/dev/null 2>&1 \
        || { $SUDO apt-get update -q >/dev/null && $SUDO apt-get install -y -q redis-server >/dev/null; }
    command -v redis-server >/dev/null 2>&1 || { echo "redis-server could not be installed" >&2; exit 1; }
}

case "$cmd" in
    install)
        install ;;
    start)
        install
        mkdir -p "$run_dir"
        redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
            --save "" --appendonly no --dir "$run_dir" \
            --daemonize yes --pidfile "$pidfile" --logfile "$run_dir/redis.log"
        for _ in $(seq 50); do
            redis-cli -p "$port" ping >/dev/null 2>&1 && { echo "redis://127.0.0.1:$port/0"; exit 0; }
            sleep 0.1
        done
        echo "redis-server did not answer on port $port; see $run_dir/redis.log" >&2
        exit 1 ;;
    stop)
        if [ -f "$pidfile" ]; then
            pid=$(cat "$pidfile")
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            rm -rf "$run_dir"
        fi ;;
    url)
        echo "redis://127.0.0.1:$port/0" ;;
    *)
        echo "usage: $0 install | start [PORT] | stop [PORT] | url [PORT]" >&2
        exit 2 ;;
esac
