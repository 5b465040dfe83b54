#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for tests.
#   pg_test_server.sh start DIR PORT   creates a cluster in DIR (made if missing, must hold no
#                                      cluster yet), listening on 127.0.0.1:PORT only with its
#                                      unix socket in DIR, and prints its URL (user postgres,
#                                      trust authentication, database postgres)
#   pg_test_server.sh stop DIR PORT    stops it and removes DIR
# As root the server runs as the `postgres` system user, since initdb refuses root; DIR is then
# handed to that user. Exit status 77: PostgreSQL 15 is not installed (tests skip), 1: it failed
# (its log on stderr), 2: wrong arguments. PG_BIN overrides /usr/lib/postgresql/15/bin.
set -euo pipefail

if [ $# -ne 3 ] || { [ "$1" != start ] && [ "$1" != stop ]; } || ! [[ "$3" =~ ^[0-9]+$ ]]; then
  echo "usage: $0 start|stop DIR PORT" >&2
  exit 2
fi
action=$1 dir=$2 port=$3
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
as_owner=()
if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u postgres --); fi

if [ "$action" = stop ]; then
  if [ -f "$dir/data/postmaster.pid" ]; then
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
  exit 0
fi

if ! [ -x "$bin/initdb" ] || ! [ -x "$bin/pg_ctl" ]; then
  echo "PostgreSQL 15 is not installed (no $bin/initdb; apt-get install postgresql-15)" >&2
  exit 77
fi
if [ ${#as_owner[@]} -gt 0 ] && ! id postgres >/dev/null 2>&1; then
  echo "running as root, and there is no postgres system user to run PostgreSQL as" >&2
  exit 77
fi
mkdir -p "$dir"
chmod 0700 "$dir"
if [ ${#as_owner[@]} -gt 0 ]; then chown postgres: "$dir"; fi
if ! "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$dir/initdb.log" 2>&1; then
  cat "$dir/initdb.log" >&2
  exit 1
fi
# Durability settings off: the cluster is thrown away, and tests should be fast.
if ! "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null; then
  cat "$dir/server.log" >&2
  exit 1
fi
echo "postgresql://postgres@127.0.0.1:$port/postgres"
