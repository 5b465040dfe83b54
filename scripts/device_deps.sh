#!/usr/bin/env bash
# Unpacks, into .devdeps/, the few Debian packages that the GPU check build needs and a bare CUDA
# machine lacks (fmt, nlohmann-json, CLI11, GoogleTest, PCRE2): scripts/device_check.sh builds
# with them there. Run here (Debian 12) before sending the tree; .devdeps/ is ignored by git.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libfmt-dev libfmt9 nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libpcre2-dev libpcre2-8-0)
rm -rf .devdeps && mkdir -p .devdeps/debs
(cd .devdeps/debs && apt-get download "${packages[@]}" >/dev/null)
for deb in .devdeps/debs/*.deb; do dpkg -x "$deb" .devdeps; done
rm -rf .devdeps/debs .devdeps/usr/share/doc
du -sh .devdeps
