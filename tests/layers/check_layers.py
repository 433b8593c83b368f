#!/usr/bin/env python3
"""The runtime's folders are layers: a folder includes only itself and the folders below it.

The order is the README's layout table (its `runtime/<folder>/` rows, top to bottom), so the document
and the code cannot drift apart. Also: the SDK includes nothing of the runtime, and plugins
(algorithms/, examples/, tests/plugins/) reach the runtime only through the SDK.
    check_layers.py SOURCE_DIR
"""
import pathlib
import re
import sys

src = pathlib.Path(sys.argv[1])
readme = (src / "README.md").read_text()
order = re.findall(r"^\| `runtime/([a-z_]+)/` \|", readme, re.MULTILINE)
if len(order) < 3:
    sys.exit("README.md: the layout table lists no `runtime/<folder>/` rows in layer order")
rank = {name: i for i, name in enumerate(order)}
folders = sorted(p.name for p in (src / "runtime").iterdir() if p.is_dir())
missing = [f for f in folders if f not in rank]
if missing:
    sys.exit(f"README.md: the layout table has no row for runtime/{', runtime/'.join(missing)}/")

include = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.MULTILINE)
problems = []
checked = 0
for path in sorted((src / "runtime").rglob("*")):
    if path.suffix not in (".cpp", ".hpp", ".h"):
        continue
    layer = path.relative_to(src / "runtime").parts[0]
    for target in include.findall(path.read_text()):
        head = target.split("/")[0]
        if head not in rank:
            continue  # a header of the same folder by a relative name
        checked += 1
        if rank[head] < rank[layer]:
            problems.append(f"runtime/{path.relative_to(src / 'runtime')}: includes \"{target}\", but {head}/ is "
                            f"above {layer}/ in the layer order ({' > '.join(order)})")

# The SDK and plugins: no runtime header, by any path.
runtime_include = re.compile(r'^\s*#\s*include\s+"(' + "|".join(order) + r')/', re.MULTILINE)
for root in ("sdk", "algorithms", "examples", "tests/plugins", "tests/abi"):
    for path in sorted((src / root).rglob("*")):
        if path.suffix in (".cpp", ".hpp", ".h", ".c") and runtime_include.search(path.read_text()):
            problems.append(f"{path.relative_to(src)}: includes a runtime header; outside the runtime only the SDK "
                            f"(<dataflex/...>) may be used")

if problems:
    print("\n".join(problems))
    sys.exit(1)
print(f"layers {' > '.join(order)}: {checked} includes between folders, all downward; SDK and plugins include no "
      f"runtime header")
