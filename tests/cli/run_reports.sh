#!/usr/bin/env bash
# What a run shows besides its JSON lines, checked from outside:
#  - report.html of a Mix, a Select and a Weight run, and a compare page of the three, rendered by a real
#    browser (headless Chromium): every chart the run has data for is there with drawn marks (counted in
#    the DOM after load), a screenshot is not blank, and nothing is requested (no external reference in
#    the file, no connection to a proxy every request would go through, no CSP violation logged);
#  - `dataflex-run report` on a folder whose logs end mid-line (a run still writing);
#  - plot_loss: training_loss.png and training_eval_loss.png are valid 640 x 480 PNGs with a plot in them;
#  - report_to = "tensorboard": the event files, read back by an independent reader (tests/tools), hold
#    the values of trainer_log.jsonl and decisions.jsonl.
# Without chromium-headless-shell (scripts/install-deps.sh installs it) the browser part fails.
RUN=$1 SRC=$2
. "$(dirname "$0")/lib.sh"
PY=/usr/bin/python3
tools="$SRC/tests/tools"
small=(data.max_samples=24 data.cutoff_len=64 data.val_size=4 training.max_steps=12
       training.per_device_train_batch_size=4 training.logging_steps=2 training.save_steps=12
       training.eval_steps=4 training.num_threads=1 dataflex.warmup_step=2 dataflex.update_step=3
       plot_loss=true report_to=tensorboard)
declare -A charts=(
  [mix]="train_loss eval_loss eval_domain_loss learning_rate throughput grad_norm proportions plugin_metric_"
  [select]="train_loss eval_loss eval_domain_loss learning_rate throughput grad_norm selected_share score_histogram"
  [weight]="train_loss eval_loss eval_domain_loss learning_rate throughput grad_norm weights weight_entropy")
declare -A configs=([mix]=configs/mix_odm.toml [select]=configs/select_loss.toml [weight]=configs/weight_loss_reweight.toml)

for kind in mix select weight; do
  if ! "$RUN" "${configs[$kind]}" "${small[@]}" training.output_dir="$work/$kind" >"$work/$kind.log" 2>&1; then
    echo "FAIL $kind run:"; tail -3 "$work/$kind.log"; failures=$((failures + 1))
  fi
done
"$RUN" compare "$work/mix" "$work/select" "$work/weight" -o "$work/compare.html" >/dev/null || fail "compare exited non-zero"
# A finished run (its last checkpoint at its last step) started again with another value trains nothing:
# its run_config.toml and its event files stay as they were.
before=$(md5sum "$work/mix/run_config.toml"; find "$work/mix/runs" -type f | sort)
"$RUN" "${configs[mix]}" "${small[@]}" training.output_dir="$work/mix" training.logging_steps=3 >"$work/again.log" 2>&1 ||
  fail "a finished run started again failed: $(tail -2 "$work/again.log")"
[ "$before" = "$(md5sum "$work/mix/run_config.toml"; find "$work/mix/runs" -type f | sort)" ] ||
  fail "a finished run started again rewrote run_config.toml or added an event file"
grep -q "^logging_steps = 2$" "$work/mix/run_config.toml" || fail "run_config.toml lacks the run's logging_steps = 2"

browser=$(command -v chromium-headless-shell || command -v chromium || true)
[ -n "$browser" ] || { echo "FAIL no chromium-headless-shell (or chromium): install it (scripts/install-deps.sh)"; exit 1; }

# Every request the browser makes to the network goes through this proxy, which counts connections.
port_file="$work/proxy.port" hits="$work/proxy.hits"
: >"$hits"
$PY - "$port_file" "$hits" <<'PY' &
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(16)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
while True:
    c, _ = s.accept()
    with open(sys.argv[2], "a") as f: f.write(c.recv(200).decode("latin-1").splitlines()[0] + "\n")
    c.close()
PY
proxy_pid=$!
trap 'kill $proxy_pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do [ -s "$port_file" ] && break; sleep 0.1; done
proxy=(--proxy-server="http://127.0.0.1:$(cat "$port_file")" --proxy-bypass-list="<-loopback>")
render() {  # page, out prefix: the DOM after load and a screenshot; the browser's log beside
  local flags=(--no-sandbox --headless --disable-gpu --hide-scrollbars --no-first-run "${proxy[@]}"
               --enable-logging=stderr --v=0 --virtual-time-budget=5000)
  timeout 120 "$browser" "${flags[@]}" --dump-dom "file://$1" >"$2.dom" 2>"$2.log"
  timeout 120 "$browser" "${flags[@]}" --window-size=1280,2400 --screenshot="$2.png" "file://$1" >/dev/null 2>>"$2.log"
}
check_page() {  # page, label, expected chart ids (a trailing _ means: at least one id with that prefix)
  local page=$1 label=$2; shift 2
  [ -s "$page" ] || { fail "$label: $page missing"; return; }
  # No external reference at all: every src/href/url() is a fragment or data:, nothing is imported.
  if grep -Eo "(src|href)=\"[^\"#][^\"]*\"|url\([^)#]|@import|<link|<iframe|<img" "$page" | grep -v '"data:' | head -1 | grep -q .; then
    fail "$label: the page references something outside itself: $(grep -Eo "(src|href)=\"[^\"]*\"|url\([^)]*\)|@import|<link[^>]*>" "$page" | head -2)"
  fi
  render "$page" "$work/$label"
  if ! $PY - "$work/$label.dom" "$label" "$@" <<'PY'; then failures=$((failures + 1)); fi
import html.parser, json, sys
dom, label, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
class Body(html.parser.HTMLParser):
    drawn = None
    def handle_starttag(self, tag, attrs):
        if tag == "body": self.drawn = dict(attrs).get("data-drawn")
p = Body(); p.feed(open(dom, encoding="utf-8").read())
if p.drawn is None: sys.exit(print(f"FAIL {label}: the page's script did not run (no body[data-drawn] after load)"))
drawn = json.loads(p.drawn)
bad = []
for w in wanted:
    found = {k: v for k, v in drawn.items() if (k.startswith(w) if w.endswith("_") else k == w)}
    if not found: bad.append(f"{w}: missing")
    bad += [f"{k}: {v} marks drawn" for k, v in found.items() if v < 1]
if bad: sys.exit(print(f"FAIL {label}: " + "; ".join(bad) + f" (drawn: {drawn})"))
print(f"ok   {label}: {len(drawn)} charts rendered, each with drawn marks ({sum(drawn.values())} marks)")
PY
  $PY "$tools/png_check.py" "$work/$label.png" --min-colours 8 --min-ink 0.01 >/dev/null ||
    fail "$label: the screenshot looks blank: $($PY "$tools/png_check.py" "$work/$label.png" 2>&1 | tail -1)"
  if grep -qiE "Content Security Policy|Refused to (load|connect)|net::ERR" "$work/$label.log"; then
    fail "$label: the browser logged a blocked or failed request: $(grep -iE "Content Security|Refused|net::ERR" "$work/$label.log" | head -1)"
  fi
}
for kind in mix select weight; do
  # shellcheck disable=SC2086
  check_page "$work/$kind/report.html" "$kind" ${charts[$kind]}
done
check_page "$work/compare.html" compare train_loss eval_loss eval_domain_loss_ learning_rate throughput \
  proportions_ selected_share_ weight_mean weight_entropy
[ -s "$hits" ] && fail "requests reached the network proxy: $(head -2 "$hits")"

# A run still writing: its logs end in the middle of a line. The page is written from what is whole.
cp -r "$work/mix" "$work/running"
rm "$work/running/report.html" "$work/running/all_results.json"
head -c -7 "$work/mix/trainer_log.jsonl" >"$work/running/trainer_log.jsonl"
head -c -9 "$work/mix/decisions.jsonl" >"$work/running/decisions.jsonl"
out=$("$RUN" report "$work/running" 2>&1) || fail "report on a running folder failed: $out"
echo "$out" | grep -q "note" && fail "a line cut short at the end was reported as a problem: $out"
grep -q "in progress or stopped" "$work/running/report.html" || fail "the running folder's page does not say it is unfinished"
check_page "$work/running/report.html" running train_loss eval_loss proportions
"$RUN" report "$work/nothing" >"$work/nothing.log" 2>&1 && fail "report on a missing folder exited 0"
grep -q "not a run's output folder" "$work/nothing.log" || fail "report on a missing folder: $(cat "$work/nothing.log")"

# A run stopped by SIGTERM (exit 75, a checkpoint) still gets its page, of what it logged.
"$RUN" "${configs[mix]}" "${small[@]}" training.max_steps=400 training.output_dir="$work/stopped" >"$work/stopped.log" 2>&1 &
pid=$!
for _ in $(seq 600); do grep -q '"current_steps":4,' "$work/stopped/trainer_log.jsonl" 2>/dev/null && break; sleep 0.1; done
kill -TERM $pid
wait $pid
rc=$?
if [ $rc -eq 75 ] && grep -q "in progress or stopped" "$work/stopped/report.html" 2>/dev/null; then
  echo "ok   a run stopped by SIGTERM (exit 75) has its report.html"
else
  fail "stopped run: exit $rc, report.html $( [ -f "$work/stopped/report.html" ] && echo present || echo missing): $(tail -2 "$work/stopped.log")"
fi

# plot_loss: LLaMA-Factory's two PNGs, 640 x 480, with a curve (the blue #1f77b4 or its faint copy).
for png in training_loss training_eval_loss; do
  if info=$($PY "$tools/png_check.py" "$work/select/$png.png" --width 640 --height 480 --min-colours 4 --min-ink 0.005); then
    echo "ok   plot_loss: $png.png $info"
  else
    fail "plot_loss: $png.png: $info"
  fi
done

# TensorBoard: the values logged, read back by an independent reader.
for kind in mix weight select; do
  if ! $PY "$tools/read_tfevents.py" "$work/$kind/runs" >"$work/$kind.events.jsonl" 2>"$work/$kind.events.err"; then
    fail "$kind: the event files do not read back: $(cat "$work/$kind.events.err")"; continue
  fi
  $PY - "$work/$kind" "$work/$kind.events.jsonl" "$kind" <<'PY' || failures=$((failures + 1))
import json, sys
run, events, kind = sys.argv[1], sys.argv[2], sys.argv[3]
got = {}
versions = 0
for line in open(events):
    e = json.loads(line)
    if "file_version" in e: versions += 1; continue
    got[(e["tag"], e["step"])] = e["value"]
want = {}
for line in open(run + "/trainer_log.jsonl"):
    j = json.loads(line)
    step = j["current_steps"]
    if "decision_step" in j:
        for k, v in j.items():
            if k not in ("current_steps", "total_steps", "decision_step") and v is not None: want[("dataflex/plugin/" + k, step)] = (v, 1e-5)
    elif "loss" in j:
        want[("train/loss", step)] = (j["loss"], 1e-4)  # the log rounds to 4 decimals
        want[("train/learning_rate", step)] = (j["lr"], 1e-6)
    for k, v in j.items():
        if k.startswith("eval_"): want[("eval/" + k[5:], step)] = (v, 1e-4)
for line in open(run + "/decisions.jsonl"):
    d = json.loads(line)
    if d["kind"] == "mixture":
        for dom, v in d["proportions"].items(): want[("dataflex/proportion/" + dom, d["step"])] = (v, 1e-6)
    elif d["kind"] == "weights":
        for k in ("min", "mean", "max", "entropy"): want[("dataflex/weight_" + k, d["step"])] = (d[k], 1e-5)
    elif d["kind"] == "selection":
        total = sum(d["per_domain"].values())
        for dom, v in d["per_domain"].items(): want[("dataflex/selected_share/" + dom, d["step"])] = (v / total, 1e-6)
bad = []
for key, (v, tol) in want.items():
    if key not in got: bad.append(f"{key} missing")
    elif abs(got[key] - v) > tol * max(1.0, abs(v)): bad.append(f"{key}: {got[key]} in the events, {v} in the logs")
if versions < 1: bad.append("no file_version event")
tags = sorted({t for t, _ in got})
if bad: sys.exit(print(f"FAIL {kind} events: {len(bad)} of {len(want)} values differ: " + "; ".join(bad[:4])))
print(f"ok   {kind} events: {len(want)} logged values read back ({len(tags)} tags: {', '.join(tags[:6])}, ...)")
PY
done

[ "$failures" -eq 0 ] && echo "all report, plot and TensorBoard checks passed"
exit $((failures > 0))
