#!/usr/bin/env bash
# Builds tachyon with its tests and runs all of them (fast, slow and gpu labels) with CTest.
# Reference data from ../shared/testdata is used when present; tests that need it say so when skipped.
# Where the CUDA toolkit is installed, the CUDA backend is built too; its GPU tests skip, saying
# so, on machines without a GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
cuda=()
nvcc=$(command -v nvcc || true)
[ -z "$nvcc" ] && [ -x /usr/local/cuda/bin/nvcc ] && nvcc=/usr/local/cuda/bin/nvcc
if [ -n "$nvcc" ]; then
  cuda=(-DTACHYON_CUDA=ON -DCMAKE_CUDA_COMPILER="$nvcc")
else
  echo "note: no CUDA toolkit (nvcc) found: the CUDA backend is not built"
  cuda=(-DTACHYON_CUDA=OFF)
fi
# Everything the first command (scripts/quickstart.sh) left out of the same build folder.
bash scripts/build.sh -DTACHYON_BUILD_TESTS=ON -DTACHYON_SDK=ON -DTACHYON_BENCH=ON "${cuda[@]}"
# The end-to-end tests' clients (npm openai, @perplexity-ai/perplexity_ai), pinned by package-lock.json.
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
# deploy/check.sh's Kubernetes schema validator (kubernetes-models, yaml), pinned the same way.
(cd deploy && npm ci --no-audit --no-fund --loglevel=error)
ctest --test-dir build --output-on-failure -j2 "$@"
# Only for a full run (no ctest arguments) and where clang is installed: the sanitizer suites
# (scripts/sanitize.sh ci: ASan + UBSan over the engine and every layer below it, then, in the same
# build, the fuzz targets that need no server stack for 15 s each from their seed corpora; then
# ThreadSanitizer over the engine's thread and the HTTP server; the whole suite under each is
# scripts/sanitize.sh asan|tsan, docs/RELIABILITY.md).
if [ $# -eq 0 ]; then
  if command -v clang++-14 >/dev/null 2>&1 || command -v clang++ >/dev/null 2>&1; then
    bash scripts/sanitize.sh ci
  else
    echo "note: no clang++: the fuzz smoke and sanitizer runs are skipped"
  fi
fi
