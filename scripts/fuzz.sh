#!/usr/bin/env bash
# Runs libFuzzer targets (fuzz/) with address and undefined-behaviour sanitizers, built with clang.
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer flags]   one target, for as long as asked
#   scripts/fuzz.sh all SECONDS                        every target in turn
#   scripts/fuzz.sh smoke SECONDS                      the targets that need no server stack, each
#                                                      briefly (scripts/test.sh runs this)
#   scripts/fuzz.sh list                               the targets
# With TACHYON_FUZZ_BUILD=DIR the targets are built in DIR, an existing build configured with
# -DTACHYON_FUZZ=ON (scripts/sanitize.sh ci-asan's, which the smoke run of scripts/test.sh uses).
# Fuzzing starts from the seed corpus fuzz/corpus/TARGET; new interesting inputs go to
# build-fuzz/corpus/TARGET and crashes to build-fuzz/crashes/. A crash becomes a regression test
# by copying it into fuzz/corpus/TARGET once fixed: every run replays the whole seed corpus.
set -euo pipefail
cd "$(dirname "$0")/.."
all=(gguf_fuzz tokenizer_fuzz chat_template_fuzz constrain_fuzz chat_request_fuzz page_reader_fuzz sse_fuzz)
light=(gguf_fuzz tokenizer_fuzz chat_template_fuzz constrain_fuzz chat_request_fuzz)  # no HTTP, SQLite or SDK
if [ "${1:-}" = list ]; then printf '%s\n' "${all[@]}"; exit 0; fi
if [ $# -lt 2 ]; then echo "usage: $0 TARGET|all|smoke SECONDS [libFuzzer flags]" >&2; exit 2; fi
target=$1 seconds=$2
shift 2
cxx=$(command -v clang++-14 || command -v clang++ || true)
[ -n "$cxx" ] || { echo "clang++ is needed (apt-get install clang-14)" >&2; exit 1; }

build=build-fuzz server=ON
targets=("$target")
[ "$target" = all ] && targets=("${all[@]}")
if [ "$target" = smoke ]; then build=build-fuzz-smoke server=OFF targets=("${light[@]}"); fi
if [ -n "${TACHYON_FUZZ_BUILD:-}" ]; then
  build=$TACHYON_FUZZ_BUILD
else
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_COMPILER="$cxx" \
    -DTACHYON_FUZZ=ON -DTACHYON_SERVER="$server" -DTACHYON_BUILD_TESTS=OFF -DTACHYON_CUDA=OFF \
    ${CMAKE_CXX_COMPILER_LAUNCHER:+-DCMAKE_CXX_COMPILER_LAUNCHER=$CMAKE_CXX_COMPILER_LAUNCHER} >/dev/null
fi
echo "building ${targets[*]} with $cxx (sanitizers on) in $build"
ninja -C "$build" "${targets[@]}"
mkdir -p "$build/crashes"
for t in "${targets[@]}"; do
  mkdir -p "$build/corpus/$t"
  echo "== $t for ${seconds}s"
  "$build/fuzz/$t" -max_total_time="$seconds" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
    -artifact_prefix="$build/crashes/$t-" "$@" "$build/corpus/$t" "fuzz/corpus/$t"
done
