#!/usr/bin/env bash
# Every shipped plugin exports exactly one dynamic symbol: dataflex_plugin_get_api.
set -u
dir=$1
found=0
failed=0
for lib in "$dir"/*/libdataflex_*.so; do
  [ -e "$lib" ] || continue
  found=$((found + 1))
  symbols=$(nm -D --defined-only "$lib" | awk '{print $NF}')
  if [ "$symbols" != "dataflex_plugin_get_api" ]; then
    echo "FAIL $lib exports: $(echo "$symbols" | tr '\n' ' ')"
    failed=1
  else
    echo "ok   $lib exports only dataflex_plugin_get_api"
  fi
done
[ "$found" -ge 3 ] || { echo "FAIL: expected the shipped plugins in $dir, found $found"; exit 1; }
exit $failed
