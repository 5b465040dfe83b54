#!/usr/bin/env bash
# Validates the deployment files without deploying anything:
#   nginx    deploy/nginx/tachyon.conf with the real `nginx -t` (Debian nginx-light), on a copy
#            whose upstream servers are placeholders on 127.0.0.1 and whose logs go to a temporary
#            folder; as written (consistent hashing) and as its round-robin variant
#   systemd  deploy/systemd/*.service with `systemd-analyze verify` (any warning fails), and
#            TimeoutStopSec against the drain
#   k8s      deploy/k8s/*.yaml against the Kubernetes schemas and each other (validate_k8s.mjs;
#            its npm packages: `npm ci` in deploy/, as scripts/test.sh does)
# Exit status: 0 all passed; 1 a check failed; 77 nothing failed but a tool was missing (ctest
# reports the test as skipped).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0 skipped=0
fail() { echo "FAIL: $*"; failed=1; }
skip() { echo "SKIP: $*"; skipped=1; }

# --- nginx ---------------------------------------------------------------------------------------
nginx_bin=$(command -v nginx || { [ -x /usr/sbin/nginx ] && echo /usr/sbin/nginx; } || true)
conf="$here/nginx/tachyon.conf"
for directive in 'proxy_buffering off;' 'proxy_cache off;' 'proxy_http_version 1.1;' 'proxy_set_header Connection "";' \
                 'hash $tachyon_affinity consistent;' 'proxy_set_header X-Request-ID $tachyon_request_id;' \
                 'client_max_body_size' 'proxy_read_timeout' 'keepalive '; do
  grep -qF -- "$directive" "$conf" || fail "nginx: tachyon.conf lacks '$directive'"
done
if [ -z "$nginx_bin" ]; then
  skip "nginx: not installed (Debian: apt-get install nginx-light)"
else
  # check_nginx NAME SED-SCRIPT: the config with the placeholders, edited by SED-SCRIPT, under nginx -t.
  check_nginx() {
    local dir="$tmp/nginx-$1"
    mkdir -p "$dir/logs" "$dir/temp"
    awk -v n=0 '/^[[:space:]]*server[[:space:]]+[^{]*;/ { n++; sub(/server[[:space:]]+[^[:space:];]+/, "server 127.0.0.1:" 18080 + n) } { print }' \
      "$conf" | sed -e "s|/var/log/nginx/|$dir/logs/|g" -e "$2" > "$dir/tachyon.conf"
    cat > "$dir/nginx.conf" <<EOF
pid $dir/nginx.pid;
error_log $dir/logs/error.log;
events {}
http {
    client_body_temp_path $dir/temp/body;
    proxy_temp_path $dir/temp/proxy;
    fastcgi_temp_path $dir/temp/fastcgi;
    uwsgi_temp_path $dir/temp/uwsgi;
    scgi_temp_path $dir/temp/scgi;
    include $dir/tachyon.conf;
}
EOF
    if out=$("$nginx_bin" -t -q -e "$dir/logs/error.log" -p "$dir" -c "$dir/nginx.conf" 2>&1); then
      echo "ok: nginx -t ($1)"
    else
      fail "nginx -t ($1): $out"
    fi
  }
  check_nginx consistent-hash ''
  check_nginx round-robin '/^[[:space:]]*hash .*consistent;/d'
fi

# --- systemd -------------------------------------------------------------------------------------
grace=$(grep -o -- '--shutdown-grace [0-9]*' "$here/systemd/tachyon.service" | awk '{print $2}')
for unit in "$here"/systemd/*.service; do
  stop=$(sed -n 's/^TimeoutStopSec=\([0-9]*\)$/\1/p' "$unit")
  [ -n "$stop" ] && [ -n "$grace" ] && [ "$stop" -ge $((grace + 5)) ] ||
    fail "systemd: $(basename "$unit"): TimeoutStopSec=${stop:-unset} leaves the ${grace:-?} s drain no room"
  grep -q '^KillSignal=SIGTERM$' "$unit" || fail "systemd: $(basename "$unit"): KillSignal is not SIGTERM"
done
if ! command -v systemd-analyze >/dev/null 2>&1; then
  skip "systemd: systemd-analyze not installed"
else
  # The binary must exist for verify: the one built here, else any executable.
  bin="$repo/build/src/app/tachyon"
  [ -x "$bin" ] || bin=$(command -v true)
  mkdir -p "$tmp/systemd"
  for unit in "$here"/systemd/*.service; do
    sed "s|/usr/local/bin/tachyon|$bin|" "$unit" > "$tmp/systemd/$(basename "$unit")"
  done
  for name in tachyon.service tachyon@8081.service; do
    out=$(cd "$tmp/systemd" && systemd-analyze verify "./$name" 2>&1)
    if [ $? -ne 0 ] || [ -n "$out" ]; then fail "systemd-analyze verify $name: $out"; else echo "ok: systemd-analyze verify $name"; fi
  done
fi

# --- Kubernetes ----------------------------------------------------------------------------------
if ! command -v node >/dev/null 2>&1; then
  skip "k8s: node is not installed"
elif [ ! -d "$here/node_modules/kubernetes-models" ]; then
  skip "k8s: run 'npm ci' in deploy/ first (kubernetes-models, yaml)"
elif node "$here/validate_k8s.mjs"; then
  echo "ok: k8s manifests"
else
  fail "k8s manifests (above)"
fi

[ $failed -eq 0 ] || exit 1
[ $skipped -eq 0 ] || exit 77
echo "deploy: all checks passed"
