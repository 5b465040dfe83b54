#!/usr/bin/env bash
# A throwaway redis-server for tests outside C++ (the node end-to-end tests):
#   scripts/redis_test_server.sh start DIR PORT   starts one on 127.0.0.1:PORT with its files in
#                                                 DIR, no persistence; returns once it answers PING
#   scripts/redis_test_server.sh stop DIR PORT    stops the one started in DIR and waits for it
# Exit status 2 when redis-server is not installed (callers skip), 1 on any other failure.
# The C++ tests do the same in tests/platform/redis_test_server.h.
set -euo pipefail
usage() { echo "usage: $0 start|stop DIR PORT" >&2; exit 1; }
[ $# -eq 3 ] || usage
action=$1 dir=$2 port=$3
pidfile="$dir/redis.pid"

# PING over plain bash TCP: redis-cli may be missing where redis-server is not.
answers() {
  exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null || return 1
  printf 'PING\r\n' >&3
  local reply=""
  read -r -t 1 reply <&3 || true
  exec 3>&-
  [[ "$reply" == +PONG* ]]
}

case "$action" in
  start)
    command -v redis-server >/dev/null 2>&1 || { echo "redis-server is not installed" >&2; exit 2; }
    mkdir -p "$dir"
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
      --daemonize yes --pidfile "$pidfile" --logfile "$dir/redis.log"
    for _ in $(seq 100); do
      answers && exit 0
      sleep 0.05
    done
    echo "redis-server did not answer on port $port (see $dir/redis.log)" >&2
    exit 1
    ;;
  stop)
    [ -f "$pidfile" ] || exit 0
    pid=$(cat "$pidfile")
    kill "$pid" 2>/dev/null || exit 0
    for _ in $(seq 100); do
      kill -0 "$pid" 2>/dev/null || exit 0
      sleep 0.05
    done
    kill -9 "$pid" 2>/dev/null || true
    ;;
  *) usage ;;
esac
