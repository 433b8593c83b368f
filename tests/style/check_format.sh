#!/usr/bin/env bash
# Every C and C++ source of the project is formatted as .clang-format says (Debian's clang-format).
# The frozen copy of the 1.0 SDK header stays byte for byte as it was released.
#   check_format.sh SOURCE_DIR      (fix with: clang-format -i FILE...)
set -u
cd "$1" || exit 2
command -v clang-format >/dev/null || { echo "clang-format is not installed (scripts/install-deps.sh installs it)"; exit 1; }
files=$(find runtime sdk algorithms tests bench examples -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.c' \) \
          -not -path 'tests/abi/v1_0/*' -not -path 'tests/fixtures/*' | sort)
# One clang-format for all files; only when it objects, one per file to name them.
bad=0
# shellcheck disable=SC2086
if ! clang-format --dry-run --Werror $files >/dev/null 2>&1; then
  for f in $files; do
    clang-format --dry-run --Werror "$f" >/dev/null 2>&1 || { echo "not formatted: $f"; bad=$((bad + 1)); }
  done
fi
echo "$(echo "$files" | wc -l) files checked with $(clang-format --version | head -1), $bad not formatted"
[ $bad -eq 0 ]
