#!/usr/bin/env bash
# Unpacks, into .devdeps/, the few Debian packages that the GPU check build needs and a bare CUDA
# machine lacks (fmt, nlohmann-json, CLI11, GoogleTest, PCRE2, ICU): scripts/device_check.sh builds
# with them there. Run here (Debian 12) before sending the tree; .devdeps/ is ignored by git.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(libfmt-dev libfmt9 nlohmann-json3-dev libcli11-dev libgtest-dev libgmock-dev libpcre2-dev libpcre2-8-0 libicu-dev libicu72)
rm -rf .devdeps && mkdir -p .devdeps/debs
(cd .devdeps/debs && apt-get download "${packages[@]}" >/dev/null)
for deb in .devdeps/debs/*.deb; do dpkg -x "$deb" .devdeps; done
rm -rf .devdeps/debs .devdeps/usr/share/doc .devdeps/usr/share/man .devdeps/usr/include/gmock
find .devdeps -name 'libpcre2-*.a' -o -name 'libpcre2-16*' -o -name 'libpcre2-32*' -o -name 'libpcre2-posix*' | xargs rm -f
# ICU: only the common library and its data (the WordPiece tokenizer's character properties).
find .devdeps -name 'libicu*.a' -o -name 'libicui18n*' -o -name 'libicuio*' -o -name 'libicutest*' -o -name 'libicutu*' | xargs rm -f
rm -rf .devdeps/usr/bin .devdeps/usr/sbin .devdeps/usr/share/icu .devdeps/usr/lib/x86_64-linux-gnu/icu
du -sh .devdeps

# Goldens beyond the project's copy that fit what the GPU machine receives (64 MiB in all): the
# tied-embedding F32 model, whose .kvf32 goldens hold attention to 1e-3. The check script links
# .devdata as ../shared/testdata there.
rm -rf .devdata
if [ -d ../shared/testdata ]; then
  mkdir -p .devdata/models .devdata/golden
  cp ../shared/testdata/models/golden-llama-128-tied-F32.gguf .devdata/models/
  cp ../shared/testdata/golden/golden-llama-128-tied-F32.* .devdata/golden/
  du -sh .devdata
fi
