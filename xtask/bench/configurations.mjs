// The peers' configurations and the timing protocol of `cargo xtask bench`, shared by the Node run
// (peers.mjs) and the Chromium run (browser.mjs) so both measure exactly the same thing. The
// configurations are those of ../shared/bench/peers.md; the protocol follows
// ../shared/bench/README.md ("Metrics") to the letter.
//
// `minisearch` and `flexsearch` are bare specifiers on purpose: Node resolves them from
// xtask/bench/node_modules, the bench page through its import map (browser.html), to the same ES
// module files (MiniSearch `dist/es/index.js`, FlexSearch `dist/flexsearch.bundle.module.min.mjs`).

import { Charset, Document } from "flexsearch";
import MiniSearch from "minisearch";

/** Results per query the metrics look at ("the engine's first 10 results"). */
export const RESULTS = 10;
/** Untimed queries run before timing each engine. */
export const WARM_UP = 20;

/**
 * Each configuration: `build(articles)` returns an index; `search(index, query)` returns article
 * ids, best first; `serialise(index)` returns the library's own serialised index as a string, and
 * `load(text)` the index again from that string, as a site that ships the index would.
 * `chinese` selects the Chinese options peers.md uses on the Chinese set.
 */
export function peerConfigurations(chinese) {
  return [
    miniSearchConfiguration("minisearch", "default", {}),
    miniSearchConfiguration(
      "minisearch-fuzzy",
      "searchOptions {prefix:true, fuzzy:0.2} (README example)",
      { searchOptions: { prefix: true, fuzzy: 0.2 } },
    ),
    // peers.md runs the Intl.Segmenter tokenize hook on the Chinese set only: MiniSearch has no
    // CJK option of its own, and this is the hook its README documents for other tokenisation.
    ...(chinese
      ? [
          miniSearchConfiguration(
            "minisearch-segmenter",
            'custom `tokenize` = Intl.Segmenter("zh") words',
            { tokenize: segmenterTokenize() },
          ),
        ]
      : []),
    flexSearchConfiguration(
      "flexsearch",
      "Document, default options" + (chinese ? "; encoder Charset.CJK" : ""),
      { limit: RESULTS },
      chinese,
    ),
    flexSearchConfiguration(
      "flexsearch-suggest",
      "as default + search option suggest:true",
      { limit: RESULTS, suggest: true },
      chinese,
    ),
  ];
}

/**
 * A MiniSearch configuration: `options` (beside the indexed fields) go to both the constructor
 * and `loadJSON`, which needs the options the index was built with.
 */
function miniSearchConfiguration(key, config, options) {
  return {
    key,
    engine: "MiniSearch",
    config,
    build: (articles) => miniSearch(articles, options),
    search: (index, query) => index.search(query).map((result) => result.id),
    serialise: (index) => JSON.stringify(index),
    load: (text) => MiniSearch.loadJSON(text, miniSearchOptions(options)),
  };
}

/** A FlexSearch configuration: the same Document index, searched with `searchOptions`. */
function flexSearchConfiguration(key, config, searchOptions, chinese) {
  return {
    key,
    engine: "FlexSearch",
    config,
    build: (articles) => flexSearch(articles, chinese),
    search: (index, query) => flexSearchIds(index.search(query, searchOptions)),
    serialise: flexSearchExport,
    load: (text) => flexSearchImport(text, chinese),
  };
}

/** MiniSearch's options: title + the similar questions, storing no fields (ids only). */
function miniSearchOptions(options) {
  return { fields: ["title", "questions"], ...options };
}

/** MiniSearch over title + the similar questions joined, storing no fields (ids only). */
function miniSearch(articles, options) {
  const index = new MiniSearch(miniSearchOptions(options));
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

/** FlexSearch's Document options: its defaults, plus its documented CJK encoder for Chinese. */
function flexSearchOptions(chinese) {
  const options = { document: { id: "id", index: ["title", "questions"] } };
  if (chinese) options.encoder = Charset.CJK;
  return options;
}

/** FlexSearch's Document over title + the similar questions. */
function flexSearch(articles, chinese) {
  const index = new Document(flexSearchOptions(chinese));
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

/** A Document from `flexSearchExport`'s text: a new index of the same options, then each pair. */
function flexSearchImport(text, chinese) {
  const index = new Document(flexSearchOptions(chinese));
  const lines = text.split("\n");
  for (let at = 0; at + 1 < lines.length; at += 2) {
    index.import(lines[at], lines[at + 1]);
  }
  return index;
}

/** The value at percentile `p` of ascending `sorted`, by nearest rank as README.md defines it. */
export function percentile(sorted, p) {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1];
}

/** Loads per engine when timing how long an index takes to open: the median is reported. */
export const LOADS = 5;

/**
 * Times opening an index as a page does after downloading it, `LOADS` times: `open()`, which
 * returns `{search, free}` (`search(query)` gives ids; `free()`, if there, releases the engine),
 * then the opened engine's first query, `queries[0]`. Returns the medians in milliseconds and the
 * ids of that first query, to check the opened index against the built one.
 */
export function timeOpening(open, queries) {
  const loads = [];
  const firsts = [];
  let ids = [];
  for (let round = 0; round < LOADS; round++) {
    const start = performance.now();
    const engine = open();
    const opened = performance.now();
    ids = engine.search(queries[0].q).slice(0, RESULTS);
    firsts.push(performance.now() - opened);
    loads.push(opened - start);
    engine.free?.();
  }
  loads.sort((a, b) => a - b);
  firsts.sort((a, b) => a - b);
  return { load_ms: percentile(loads, 50), first_query_ms: percentile(firsts, 50), ids };
}

/**
 * Runs `search(query)` (which returns ids, best first) over `queries` as README.md prescribes:
 * the first WARM_UP queries untimed, then every query timed with `performance.now()` around the
 * search call plus turning its results into ids. Returns each query's first RESULTS ids and the
 * nearest-rank median and 95th percentile in milliseconds.
 */
export function timeQueries(search, queries) {
  for (const { q } of queries.slice(0, WARM_UP)) {
    search(q).slice(0, RESULTS);
  }
  const ranked = [];
  const latencies = [];
  for (const { q } of queries) {
    const start = performance.now();
    const ids = search(q).slice(0, RESULTS);
    latencies.push(performance.now() - start);
    ranked.push(ids);
  }
  latencies.sort((a, b) => a - b);
  return { ranked, p50_ms: percentile(latencies, 50), p95_ms: percentile(latencies, 95) };
}
