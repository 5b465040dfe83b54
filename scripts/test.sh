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
bash scripts/build.sh -DTACHYON_BUILD_TESTS=ON "${cuda[@]}"
# The end-to-end tests' clients (npm openai, @perplexity-ai/perplexity_ai), pinned by package-lock.json.
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
ctest --test-dir build --output-on-failure -j2 "$@"
