#!/usr/bin/env bash
# Runs one libFuzzer target for as long as asked: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags].
# Builds the fuzz targets with clang into build-fuzz/ (address and undefined-behaviour sanitizers),
# then fuzzes from the seed corpus fuzz/corpus/TARGET; new interesting inputs go to
# build-fuzz/corpus/TARGET, crashes to build-fuzz/crashes/ (copy a crash into fuzz/corpus/TARGET
# and fix it: the corpus replay in scripts/test.sh then keeps it fixed).
# `scripts/fuzz.sh all SECONDS` runs every target in turn; `scripts/fuzz.sh list` names them.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(gguf_fuzz tokenizer_fuzz chat_template_fuzz chat_request_fuzz constrain_fuzz page_reader_fuzz sse_fuzz)
if [ "${1:-}" = list ]; then printf '%s\n' "${targets[@]}"; exit 0; fi
if [ $# -lt 2 ]; then echo "usage: $0 TARGET|all SECONDS [libFuzzer flags]" >&2; exit 2; fi
target=$1 seconds=$2
shift 2
cxx=$(command -v clang++-14 || command -v clang++ || true)
[ -n "$cxx" ] || { echo "clang++ is needed (apt-get install clang-14)" >&2; exit 1; }
cmake -S . -B build-fuzz -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
  -DTACHYON_FUZZ=ON -DTACHYON_BUILD_TESTS=OFF -DTACHYON_CUDA=OFF ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} >/dev/null
run() {
  local t=$1
  shift
  ninja -C build-fuzz "$t"
  mkdir -p "build-fuzz/corpus/$t" build-fuzz/crashes
  echo "== $t for ${seconds}s"
  "build-fuzz/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix=build-fuzz/crashes/"$t"- "$@" "build-fuzz/corpus/$t" "fuzz/corpus/$t"
}
if [ "$target" = all ]; then
  for t in "${targets[@]}"; do run "$t" "$@"; done
else
  run "$target" "$@"
fi
