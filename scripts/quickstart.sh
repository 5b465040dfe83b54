#!/usr/bin/env bash
# A fresh Debian 12 machine to a running tachyon: install dependencies, build, then serve the
# bundled default model on http://127.0.0.1:8080 (extra arguments go to `tachyon serve`). On
# first start it also builds the default search corpus for POST /search and grounded chat (a few
# seconds).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh -DTACHYON_BUILD_TESTS=OFF -DTACHYON_SDK=OFF -DTACHYON_BENCH=OFF  # serving only; scripts/test.sh builds the rest
data_dir=./tachyon-data
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[i]}" in
    --data-dir) data_dir="${args[i + 1]:-$data_dir}" ;;
    --data-dir=*) data_dir="${args[i]#--data-dir=}" ;;
  esac
done
bash scripts/build_corpus.sh --if-missing --data-dir "$data_dir" ||
  echo "warning: the search corpus could not be built; POST /search answers 503 until it is (scripts/build_corpus.sh)" >&2
exec ./build/src/app/tachyon serve "$@"
