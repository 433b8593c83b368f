# lib.sh -- the start every CLI test script shares; sourced after the script has set RUN and SRC:
# a scratch folder ($work) removed at exit, the source tree as the working folder, a failure count and
# `fail`, which counts a failure and goes on (a script that must stop at the first one redefines it).
set -u
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$SRC" || exit 2
failures=0
fail() {
  echo "FAIL $*"
  failures=$((failures + 1))
}
