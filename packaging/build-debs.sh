#!/usr/bin/env bash
# Builds the three Debian packages from a configured build tree:
#   bash packaging/build-debs.sh [BUILD_DIR] [OUT_DIR]      (defaults: build, BUILD_DIR/packages)
# -> OUT_DIR/dataflex_V_ARCH.deb, dataflex-plugins_V_ARCH.deb, dataflex-sdk-dev_V_all.deb, installing
# under /usr. `apt install ./dataflex_*.deb ./dataflex-plugins_*.deb` pulls their Debian dependencies.
# Needs dpkg-dev and file (scripts/install-deps.sh installs them).
set -euo pipefail
build=${1:-build}
out=${2:-$build/packages}
[ "${SKIP_BUILD:-0}" = 1 ] || cmake --build "$build" -j2  # SKIP_BUILD=1: the tree is built (tests)
mkdir -p "$out"
out=$(cd "$out" && pwd)
(cd "$build" && cpack -G DEB -B "$out" >"$out/cpack.log" 2>&1) || { tail -20 "$out/cpack.log"; exit 1; }
rm -rf "$out/_CPack_Packages"
for deb in "$out"/*.deb; do
  echo "$deb: $(dpkg-deb -f "$deb" Package Version Architecture | tr '\n' ' ')"
done
