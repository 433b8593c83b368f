#!/usr/bin/python3
"""Issue 10's selection study: the data it trains on, and the table it reports.

    selection_study.py data OUT_DIR           writes OUT_DIR/data (dataset_info.json + files) and
                                              OUT_DIR/wordnet_mc.jsonl
    selection_study.py report OUT_DIR         prints the results table from OUT_DIR/runs/*

The instruction pool mixes the target task with unrelated tasks and deliberately wrong answers, all
from the shipped data (data/, standard library only, deterministic):
  target_define  WordNet definitions, correct answers ("Define the word X" -> its gloss)
  target_wrong   WordNet definition questions whose answer is the gloss of ANOTHER word (a derangement
                 of the glosses of these rows: every answer is wrong, fluent, and on-topic in form)
  spam           SpamAssassin e-mails labelled spam / ham (unrelated task)
  continuation   Brown corpus passages: "Continue the text." with the passage's first half as input
                 and its next words as the answer (unrelated task)
The target set (eval_dataset target_eval) is further WordNet definitions, none of them in the pool;
target accuracy is the shipped held-out multiple-choice set data/eval/wordnet_mc.jsonl ("which word
means: DEFINITION?"), whose words occur in no training row.
"""
import glob
import json
import os
import random
import statistics
import sys

SEED = 20261201
N_TARGET, N_WRONG, N_SPAM, N_CONT, N_EVAL = 240, 120, 120, 120, 48
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def read_rows(path):
    with open(path) as f:
        if path.endswith(".json"):
            return json.load(f)
        return [json.loads(line) for line in f if line.strip()]


def write_jsonl(path, rows):
    with open(path, "w") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def make_data(out):
    rng = random.Random(SEED)
    data = os.path.join(out, "data")
    os.makedirs(data, exist_ok=True)
    define = read_rows(os.path.join(ROOT, "data", "wordnet_define.json"))
    rng.shuffle(define)
    target = define[:N_TARGET]
    wrong = [dict(r) for r in define[N_TARGET:N_TARGET + N_WRONG]]
    evals = define[N_TARGET + N_WRONG:N_TARGET + N_WRONG + N_EVAL]
    # A derangement of the wrong rows' answers: a cyclic shift of a shuffled order moves every answer.
    order = list(range(len(wrong)))
    rng.shuffle(order)
    answers = [wrong[i]["output"] for i in order]
    for k, i in enumerate(order):
        wrong[i]["output"] = answers[(k + 1) % len(order)]
    spam = read_rows(os.path.join(ROOT, "data", "spam_classify.jsonl"))
    rng.shuffle(spam)
    spam = spam[:N_SPAM]
    passages = []
    for path in sorted(glob.glob(os.path.join(ROOT, "data", "brown_*.jsonl"))):
        passages += [r["text"] for r in read_rows(path)]
    rng.shuffle(passages)
    cont = []
    for text in passages:
        words = text.split()
        if len(words) < 60:
            continue
        cont.append({"instruction": "Continue the text.", "input": " ".join(words[:40]),
                     "output": " ".join(words[40:60])})
        if len(cont) == N_CONT:
            break
    files = {"target_define": target, "target_wrong": wrong, "spam": spam, "continuation": cont,
             "target_eval": evals}
    info = {}
    for name, rows in files.items():
        write_jsonl(os.path.join(data, name + ".jsonl"), rows)
        info[name] = {"file_name": name + ".jsonl", "formatting": "alpaca",
                      "columns": {"prompt": "instruction", "query": "input", "response": "output"}}
    with open(os.path.join(data, "dataset_info.json"), "w") as f:
        json.dump(info, f, indent=2)
    print(f"pool: {N_TARGET} target, {N_WRONG} wrong answers, {N_SPAM} spam, {len(cont)} continuation; "
          f"target set {N_EVAL} definitions -> {data}")


def wrong_and_right(per_domain):
    """Selected samples of the target task's format: correct and wrong definitions."""
    return per_domain.get("target_define", 0) + per_domain.get("target_wrong", 0)


def report(out):
    runs = os.path.join(out, "runs")
    rows = {}
    for run in sorted(os.listdir(runs)):
        path = os.path.join(runs, run)
        if not os.path.exists(os.path.join(path, "all_results.json")):
            continue
        method, seed = run.rsplit("_s", 1)
        res = json.load(open(os.path.join(path, "all_results.json")))
        mc = json.load(open(os.path.join(out, "mc", run, "summary.json")))
        selected = wrong = task = 0
        dec = os.path.join(path, "decisions.jsonl")
        if os.path.exists(dec):
            for line in open(dec):
                d = json.loads(line)
                if d.get("kind") != "selection":
                    continue
                selected += d["count"]
                wrong += d["per_domain"].get("target_wrong", 0)
                task += wrong_and_right(d["per_domain"])
        acc = mc["multiple_choice"]["acc"]
        rows.setdefault(method, []).append(
            [res.get("eval_loss", float("nan")), acc, wrong / selected if selected else float("nan"),
             task / selected if selected else float("nan"), res["train_runtime"]])

    def cell(values, fmt):
        if any(v != v for v in values):  # NaN: not applicable
            return "-"
        if len(values) == 1:
            return fmt.format(values[0])
        return (fmt + " ± " + fmt).format(statistics.mean(values), statistics.stdev(values))

    pool_wrong = N_WRONG / (N_TARGET + N_WRONG + N_SPAM + N_CONT)
    pool_task = (N_TARGET + N_WRONG) / (N_TARGET + N_WRONG + N_SPAM + N_CONT)
    for r in rows.get("full", []):  # full-pool training sees the pool's shares
        r[2], r[3] = pool_wrong, pool_task
    print("| method | seeds | target eval loss | wordnet_mc accuracy | wrong-answer share of selected "
          f"(pool: {pool_wrong:.3f}) | definition-format share, right or wrong (pool: {pool_task:.3f}) | "
          "wall-clock (s) |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for method in ("full", "random", "loss", "less", "cluster_less", "nice", "near", "tsds"):
        if method not in rows:
            continue
        r = rows[method]
        print(f"| {method} | {len(r)} | {cell([x[0] for x in r], '{:.4f}')} | {cell([x[1] for x in r], '{:.3f}')} "
              f"| {cell([x[2] for x in r], '{:.3f}')} | {cell([x[3] for x in r], '{:.3f}')} "
              f"| {cell([x[4] for x in r], '{:.1f}')} |")


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("data", "report"):
        sys.exit(__doc__)
    (make_data if sys.argv[1] == "data" else report)(sys.argv[2])
