#!/usr/bin/env bash
# Configures and builds DataFlex (with its tests) into build/. Two jobs: each LibTorch translation unit
# takes ~1 GB and the CI machine has 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
cmake -S . -B build "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DDATAFLEX_BUILD_TESTS=ON
cmake --build build -j "${DATAFLEX_JOBS:-2}"
