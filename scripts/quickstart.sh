#!/usr/bin/env bash
# A fresh Debian 12 machine to a running tachyon: install dependencies, build, then serve the
# bundled default model on http://127.0.0.1:8080 (extra arguments go to `tachyon serve`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh -DTACHYON_BUILD_TESTS=OFF -DTACHYON_SDK=OFF  # serving only; scripts/test.sh builds the tests and the SDK
exec ./build/src/app/tachyon serve "$@"
