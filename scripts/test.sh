#!/usr/bin/env bash
# Builds tachyon with its tests and runs all of them (fast and slow labels) with CTest.
# Reference data from ../shared/testdata is used when present; tests that need it say so when skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/build.sh -DTACHYON_BUILD_TESTS=ON
# The end-to-end tests' clients (npm openai, @perplexity-ai/perplexity_ai), pinned by package-lock.json.
(cd tests/e2e && npm ci --no-audit --no-fund --loglevel=error)
ctest --test-dir build --output-on-failure -j2 "$@"
