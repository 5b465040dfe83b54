#!/usr/bin/env bash
# A fresh Debian 12 machine to a running tachyon: install dependencies, build, then run the
# bundled default model on a prompt.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install_deps.sh
bash scripts/build.sh
exec ./build/src/app/tachyon run --prompt "${TACHYON_PROMPT:-Once upon a time}" -n 64 --seed 7 "$@"
