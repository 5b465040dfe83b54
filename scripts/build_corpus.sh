#!/usr/bin/env bash
# Builds the default search corpus into DATA_DIR/search.db: the public-domain texts the bundled
# model was trained on (the Jargon File, The Devil's Dictionary, Jane Austen's six novels and
# the World English Bible), one page per entry or chapter (see scripts/default_corpus.py for the
# URLs). The Debian packages are downloaded with `apt-get download` (never installed) into
# DATA_DIR/corpus/, turned into DATA_DIR/corpus/default_corpus.jsonl and indexed with
# `tachyon index add`. Takes a few seconds once the packages are downloaded.
#
#   scripts/build_corpus.sh [--data-dir DIR] [--tachyon BIN] [--if-missing]
#
# --if-missing does nothing when DATA_DIR already has a search index (scripts/quickstart.sh).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
data_dir=./tachyon-data
tachyon="$root/build/src/app/tachyon"
if_missing=0
while [ $# -gt 0 ]; do
  case "$1" in
    --data-dir) data_dir="$2"; shift 2 ;;
    --tachyon) tachyon="$2"; shift 2 ;;
    --if-missing) if_missing=1; shift ;;
    *) echo "usage: $0 [--data-dir DIR] [--tachyon BIN] [--if-missing]" >&2; exit 2 ;;
  esac
done
if [ "$if_missing" = 1 ] && [ -s "$data_dir/search.db" ]; then exit 0; fi

packages="jargon-text dict-devil r-cran-janeaustenr sword-text-web"
work="$data_dir/corpus"
mkdir -p "$work/debs" "$work/pkgs"
chmod 700 "$data_dir"
echo "search corpus: fetching $packages" >&2
for package in $packages; do
  if ! ls "$work/debs/${package}"_*.deb >/dev/null 2>&1; then
    (cd "$work/debs" && apt-get download -q "$package" 2>&1 | grep -v '^W: Download is performed unsandboxed' >&2 || true)
  fi
  deb=$(ls "$work/debs/${package}"_*.deb 2>/dev/null | sort | tail -n 1)
  if [ -z "$deb" ]; then
    echo "search corpus: could not download $package (run 'apt-get update' first?)" >&2
    exit 1
  fi
  rm -rf "$work/pkgs/$package"
  dpkg-deb -x "$deb" "$work/pkgs/$package"
done
python3 "$root/scripts/default_corpus.py" "$work/pkgs" "$work/default_corpus.jsonl" >&2
"$tachyon" index add --data-dir "$data_dir" "$work/default_corpus.jsonl"
