# dist_lib.sh -- what the distributed CLI tests share (sourced after lib.sh): small runs of the tiny
# model, the losses of a run, and a comparison of two runs' losses within a tolerance.
small=(--set data.max_samples=40 --set data.cutoff_len=96 --set data.val_size=2 --set training.logging_steps=1
       --set training.eval_steps=0 --set training.num_threads=1 --set distributed.timeout_s=60)
# Decisions early and often: a selector and a mixer decide at steps 2, 5, 8, ...
decide=(--set dataflex.warmup_step=2 --set dataflex.update_step=3 --set dataflex.update_times=-1)
losses() { python3 -c 'import json,sys
for l in open(sys.argv[1]):
    j = json.loads(l)
    if "loss" in j: print(j["current_steps"], j["loss"], j["grad_norm"])' "$1"; }
# same_losses A B [FROM_STEP]: the logged losses of runs A and B (steps >= FROM_STEP) agree to 1e-4
# (the log keeps 4 decimals: half a unit of rounding on each side is allowed too).
same_losses() {
  python3 - "$1/trainer_log.jsonl" "$2/trainer_log.jsonl" "${3:-1}" <<'PY'
import json, sys
def read(p):
    return {j["current_steps"]: j["loss"] for j in map(json.loads, open(p)) if "loss" in j and j["current_steps"] >= int(sys.argv[3])}
a, b = read(sys.argv[1]), read(sys.argv[2])
assert a and a.keys() == b.keys(), (sorted(a), sorted(b))
worst = max(abs(a[k] - b[k]) for k in a)
assert worst <= 1e-4 + 1e-9, f"max |loss difference| {worst:.2e} over {len(a)} steps"
print(f"{len(a)} steps, max |loss difference| {worst:.1e}")
PY
}
# same_decisions A B [FROM_STEP]: decisions.jsonl of A and B line for line (steps >= FROM_STEP): the
# same keys, ids and texts; numbers to 1e-6 (a rank's share is padded to its own longest sample, so
# per-sample loss sums can differ in the last bits of a float).
same_decisions() {
  python3 - "$1/decisions.jsonl" "$2/decisions.jsonl" "${3:-0}" <<'PY'
import json, sys
def read(p):
    return [j for j in map(json.loads, open(p)) if j["step"] >= int(sys.argv[3])]
def same(x, y, where):
    if isinstance(x, dict):
        assert isinstance(y, dict) and x.keys() == y.keys(), f"{where}: keys {list(x)} vs {list(y)}"
        for k in x: same(x[k], y[k], f"{where}.{k}")
    elif isinstance(x, list):
        assert isinstance(y, list) and len(x) == len(y), f"{where}: lengths differ"
        for i, (a, b) in enumerate(zip(x, y)): same(a, b, f"{where}[{i}]")
    elif isinstance(x, float) or isinstance(y, float):
        assert abs(x - y) <= 1e-6 * max(1.0, abs(x)), f"{where}: {x} vs {y}"
    else:
        assert x == y, f"{where}: {x!r} vs {y!r}"
a, b = read(sys.argv[1]), read(sys.argv[2])
assert len(a) == len(b) and a, f"{len(a)} vs {len(b)} decisions"
for i, (x, y) in enumerate(zip(a, b)): same(x, y, f"decision {i} (step {x['step']})")
print(f"{len(a)} decisions equal")
PY
}
# wait_for_step LOGDIR N PID: until LOGDIR/trainer_log.jsonl holds step N (while PID lives).
wait_for_step() {
  while kill -0 "$3" 2>/dev/null; do
    [ -f "$1/trainer_log.jsonl" ] && grep -q "\"current_steps\": *$2[,}]" "$1/trainer_log.jsonl" && return 0
    sleep 0.05
  done
  return 1
}
# ranks N PORT ARGS...: starts N ranks as torchrun would (the variables only), in the background;
# their pids in $rank_pids, their output in $work/rank<r>.log.
ranks() {
  local n=$1 port=$2
  shift 2
  rank_pids=()
  for ((r = 0; r < n; r++)); do
    RANK=$r WORLD_SIZE=$n LOCAL_RANK=$r LOCAL_WORLD_SIZE=$n MASTER_ADDR=127.0.0.1 MASTER_PORT=$port \
      "$RUN" "$@" >"$work/rank$r.log" 2>&1 &
    rank_pids+=($!)
  done
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
