// The JavaScript peers of `cargo xtask bench`: builds MiniSearch and FlexSearch on one data set
// with the configurations of ../shared/bench/peers.md, and prints one JSON line of metrics per
// configuration. The metrics follow ../shared/bench/README.md ("Metrics") to the letter, so the
// rows stand next to Kefu's and next to peers.md.
//
// usage: node xtask/bench/peers.mjs SET.json

import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { gzipSync } from "node:zlib";

import { Charset, Document } from "flexsearch";
import MiniSearch from "minisearch";

const RESULTS = 10;
const WARM_UP = 20;

const path = process.argv[2];
if (!path) {
  console.error("usage: node peers.mjs SET.json");
  process.exit(2);
}
const set = JSON.parse(readFileSync(path, "utf8"));
const chinese = set.meta.language !== "en";

// Each configuration: `build(articles)` returns an index; `search(index, query)` returns article
// ids, best first; `serialise(index)` returns the library's own serialised index as a string.
const configurations = [
  {
    key: "minisearch",
    engine: "MiniSearch",
    config: "default",
    build: (articles) => miniSearch(articles, {}),
    search: (index, query) => index.search(query).map((result) => result.id),
    serialise: (index) => JSON.stringify(index),
  },
  {
    key: "minisearch-fuzzy",
    engine: "MiniSearch",
    config: "searchOptions {prefix:true, fuzzy:0.2} (README example)",
    build: (articles) => miniSearch(articles, { searchOptions: { prefix: true, fuzzy: 0.2 } }),
    search: (index, query) => index.search(query).map((result) => result.id),
    serialise: (index) => JSON.stringify(index),
  },
  // peers.md runs the Intl.Segmenter tokenize hook on the Chinese set only: MiniSearch has no CJK
  // option of its own, and this is the hook its README documents for other tokenisation.
  ...(chinese
    ? [
        {
          key: "minisearch-segmenter",
          engine: "MiniSearch",
          config: 'custom `tokenize` = Intl.Segmenter("zh") words',
          build: (articles) => miniSearch(articles, { tokenize: segmenterTokenize() }),
          search: (index, query) => index.search(query).map((result) => result.id),
          serialise: (index) => JSON.stringify(index),
        },
      ]
    : []),
  {
    key: "flexsearch",
    engine: "FlexSearch",
    config: "Document, default options" + (chinese ? "; encoder Charset.CJK" : ""),
    build: (articles) => flexSearch(articles),
    search: (index, query) => flexSearchIds(index.search(query, { limit: RESULTS })),
    serialise: flexSearchExport,
  },
  {
    key: "flexsearch-suggest",
    engine: "FlexSearch",
    config: "as default + search option suggest:true",
    build: (articles) => flexSearch(articles),
    search: (index, query) =>
      flexSearchIds(index.search(query, { limit: RESULTS, suggest: true })),
    serialise: flexSearchExport,
  },
];

/** MiniSearch over title + the similar questions joined, storing no fields (ids only). */
function miniSearch(articles, options) {
  const index = new MiniSearch({ fields: ["title", "questions"], ...options });
  index.addAll(
    articles.map((article) => ({
      id: article.id,
      title: article.title,
      questions: article.questions.join("\n"),
    })),
  );
  return index;
}

/** Intl.Segmenter("zh") words: MiniSearch uses it for the query too unless told otherwise. */
function segmenterTokenize() {
  const segmenter = new Intl.Segmenter("zh", { granularity: "word" });
  return (text) =>
    Array.from(segmenter.segment(text))
      .filter((segment) => segment.isWordLike)
      .map((segment) => segment.segment);
}

/** FlexSearch's Document with its defaults, plus its documented CJK encoder for Chinese. */
function flexSearch(articles) {
  const options = { document: { id: "id", index: ["title", "questions"] } };
  if (chinese) options.encoder = Charset.CJK;
  const index = new Document(options);
  for (const article of articles) {
    index.add({ id: article.id, title: article.title, questions: article.questions });
  }
  return index;
}

/** A Document search returns one result list per field; merge them, first field first. */
function flexSearchIds(fields) {
  const ids = [];
  for (const field of fields) {
    for (const id of field.result) {
      if (!ids.includes(id)) ids.push(id);
    }
  }
  return ids;
}

/** FlexSearch's `export` hands over (key, data) pairs; written as `key\ndata\n` lines. */
function flexSearchExport(index) {
  let text = "";
  // FlexSearch 0.8 calls the handler synchronously for an in-memory index.
  index.export((key, data) => {
    text += `${key}\n${data ?? ""}\n`;
  });
  return text;
}

function percentile(sorted, p) {
  // Nearest rank, as README.md defines it.
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

for (const configuration of configurations) {
  const buildStart = performance.now();
  const index = configuration.build(set.articles);
  const buildMs = performance.now() - buildStart;

  const serialised = Buffer.from(configuration.serialise(index), "utf8");
  const indexGz = gzipSync(serialised, { level: 9 }).length;

  for (const { q } of set.queries.slice(0, WARM_UP)) {
    configuration.search(index, q).slice(0, RESULTS);
  }

  let hit1 = 0;
  let hit5 = 0;
  let reciprocalRanks = 0;
  let zero = 0;
  const latencies = [];
  for (const { q, gold } of set.queries) {
    const start = performance.now();
    const ids = configuration.search(index, q).slice(0, RESULTS);
    latencies.push(performance.now() - start);
    if (ids.length === 0) zero += 1;
    const rank = ids.indexOf(gold) + 1;
    if (rank === 1) hit1 += 1;
    if (rank >= 1 && rank <= 5) hit5 += 1;
    if (rank >= 1) reciprocalRanks += 1 / rank;
  }
  latencies.sort((a, b) => a - b);

  const n = set.queries.length;
  const row = {
    key: configuration.key,
    engine: configuration.engine,
    config: configuration.config,
    dataset: set.meta.name,
    n,
    hit1: hit1 / n,
    hit5: hit5 / n,
    mrr10: reciprocalRanks / n,
    zero_result: zero / n,
    build_ms: buildMs,
    index_raw: serialised.length,
    index_gz: indexGz,
    p50_ms: percentile(latencies, 50),
    p95_ms: percentile(latencies, 95),
  };
  process.stdout.write(JSON.stringify(row) + "\n");
}
