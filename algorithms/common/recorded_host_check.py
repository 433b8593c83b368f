"""What the plugins' check_recorded_host.py scripts share: run a shipped plugin through
`dataflex-run plugins run` on a recorded host, compare numbers, expect refusals, count failures.

    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "common"))
    from recorded_host_check import Check
    c = Check(DATAFLEX_RUN, PLUGIN_DIR, "near")
    d = c.run(recording)["decisions"][0]
    c.check("selected", d["selected"], [1, 2], 0)
    sys.exit(c.exit_status())
"""
import json
import subprocess
import sys


class Check:
    def __init__(self, run, plugin_dir, plugin, *always):
        self.cmd = [run, "--plugin-dir", plugin_dir, "plugins", "run", plugin]
        self.always = list(always)  # arguments every run gets (e.g. --set overrides)
        self.failures = []

    def run(self, recording, *extra, expect_ok=True):
        """The decisions as JSON; with expect_ok=False the finished process, whatever its status."""
        out = subprocess.run([*self.cmd, "--host", recording, *self.always, *extra], capture_output=True, text=True)
        if expect_ok and out.returncode != 0:
            sys.exit(f"FAIL dataflex-run exited {out.returncode}: {out.stderr.strip()}")
        return json.loads(out.stdout) if expect_ok else out

    def check(self, name, got, want, tol=1e-6):
        ok = len(got) == len(want) and all(abs(a - b) <= tol for a, b in zip(got, want))
        print(("ok  " if ok else "FAIL") + f" {name}: {got}" + ("" if ok else f", expected {want}"))
        if not ok:
            self.failures.append(name)

    def refused(self, name, out, text):
        ok = out.returncode != 0 and text in out.stderr
        print(("ok  " if ok else "FAIL") + f" {name}: {out.stderr.strip()[-240:]}")
        if not ok:
            self.failures.append(name)

    def exit_status(self):
        return 1 if self.failures else 0
