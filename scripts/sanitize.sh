#!/usr/bin/env bash
# Builds tachyon with sanitizers and runs tests under them (docs/RELIABILITY.md):
#   scripts/sanitize.sh asan [CTEST ARGS...]   AddressSanitizer + UndefinedBehaviorSanitizer in
#                                              build-asan/, the whole suite by default
#   scripts/sanitize.sh tsan [CTEST ARGS...]   ThreadSanitizer in build-tsan/: builds and runs the
#                                              tests of the threaded parts (engine, sched, http,
#                                              platform, api, sdk)
#   scripts/sanitize.sh ci                     what scripts/test.sh runs, built with clang: ci-asan,
#                                              then ci-tsan
#   scripts/sanitize.sh ci-asan                ASan + UBSan in build-ci-asan/, no server stack: the
#                                              engine and every layer below it (util, gguf, kernels,
#                                              tokenizer, frontend, constrain, sampling, kv, sched,
#                                              model, engine); the same build, configured with
#                                              TACHYON_FUZZ, then runs the fuzz smoke run
#                                              (scripts/fuzz.sh smoke 15) without a build of its own
#   scripts/sanitize.sh ci-tsan                ThreadSanitizer in build-ci-tsan/: the engine's step
#                                              thread (engine, speculative) and the HTTP server
# Any sanitizer report fails the test that produced it. A cold asan or tsan build takes about as
# long as the normal one (25-30 min on 2 cores); the CUDA backend is left out.
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-}
shift || true
extra=()
fuzz=()
case "$kind" in
  asan) sanitize=address,undefined; build=build-asan; targets=(); default=() ;;
  tsan)
    sanitize=thread; build=build-tsan
    targets=(engine_test sched_test http_test platform_test api_test sdk_test)
    default=(-R "^($(IFS='|'; echo "${targets[*]}"))\$") ;;
  ci)
    bash "$0" ci-asan
    exec bash "$0" ci-tsan ;;
  ci-tsan)
    sanitize=thread; build=build-ci-tsan
    dirs=(engine http)
    targets=(engine_test speculative_test http_test)
    default=(-R "^($(IFS='|'; echo "${targets[*]}"))\$")
    cxx=$(command -v clang++-14 || command -v clang++ || true)
    [ -n "$cxx" ] || { echo "note: no clang++: the sanitizer run is skipped"; exit 0; }
    extra=(-DCMAKE_CXX_COMPILER="$cxx" -DTACHYON_SDK=OFF "-DTACHYON_TESTS=$(IFS=';'; echo "${dirs[*]}")") ;;
  ci-asan)
    sanitize=address,undefined; build=build-ci-asan
    dirs=(util gguf kernels tokenizer frontend constrain sampling kv sched model engine)
    targets=(util_test gguf_test kernels_test tokenizer_test frontend_test constrain_test constrain_vocabulary_test
             sampler_test kv_test sched_test model_test encoder_test engine_test embedding_engine_test speculative_test)
    default=(-R "^($(IFS='|'; echo "${targets[*]}"))\$")
    cxx=$(command -v clang++-14 || command -v clang++ || true)
    [ -n "$cxx" ] || { echo "note: no clang++: the sanitizer run is skipped"; exit 0; }
    # The fuzz targets' coverage hooks (-fsanitize=fuzzer-no-link) are inert in the test binaries.
    fuzz=(gguf_fuzz tokenizer_fuzz chat_template_fuzz constrain_fuzz chat_request_fuzz)
    extra=(-DCMAKE_CXX_COMPILER="$cxx" -DTACHYON_SERVER=OFF -DTACHYON_FUZZ=ON
           "-DTACHYON_TESTS=$(IFS=';'; echo "${dirs[*]}")") ;;
  *) echo "usage: $0 asan|tsan|ci|ci-asan|ci-tsan [ctest arguments]" >&2; exit 2 ;;
esac
launcher=()
command -v ccache >/dev/null 2>&1 && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
# -O1 -g1 (line tables only): about a fifth quicker to build than -O2 -g, and reports keep their
# file:line stacks.
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DTACHYON_BUILD_TESTS=ON -DTACHYON_CUDA=OFF \
  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1 -DNDEBUG" \
  -DTACHYON_SANITIZE="$sanitize" "${launcher[@]}" "${extra[@]}" >/dev/null
echo "building $build with -fsanitize=$sanitize"
if [ ${#targets[@]} -gt 0 ]; then cmake --build "$build" --target "${targets[@]}" "${fuzz[@]}"; else cmake --build "$build"; fi
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1:suppressions=$PWD/scripts/tsan.supp}
if [ $# -eq 0 ]; then set -- "${default[@]}"; fi
ctest --test-dir "$build" --output-on-failure -j2 "$@"
if [ "$kind" = ci-asan ]; then TACHYON_FUZZ_BUILD=$build bash scripts/fuzz.sh smoke 15; fi
