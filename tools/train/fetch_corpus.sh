#!/bin/sh
# Download (never install) the Debian packages that make up the training corpus and
# unpack them under WORK/pkgs. WORK defaults to tools/train/work.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
work=${1:-"$here/work"}
packages="r-cran-janeaustenr sword-text-web sword-text-kjv jargon-text dict-devil"

mkdir -p "$work/debs" "$work/pkgs"
cd "$work/debs"
apt-get download $packages
for package in $packages; do
    deb=$(ls "${package}"_*.deb | sort | tail -n 1)
    rm -rf "$work/pkgs/$package"
    dpkg-deb -x "$deb" "$work/pkgs/$package"
    echo "unpacked $deb"
done
