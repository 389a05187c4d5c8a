// The bench page's script (browser.html): times Kefu's wasm engine and the JavaScript peers on one
// data set, in this page, one engine after the other, with the protocol of configurations.mjs
// (the one peers.mjs uses in Node). xtask/bench/chromium.mjs calls `window.kefuBench` and hands
// the rows to `cargo xtask bench`, which scores the ids and writes the tables.
//
// The site `cargo xtask bench` assembles (target/bench/site) holds, beside this file:
//   bench.json             {"glue": "kefu/kefu-<hash>.js", "wasm": "kefu/kefu-<hash>.wasm"}
//   kefu/                  the files of `cargo xtask dist` (the release build a site ships)
//   peers/                 MiniSearch's and FlexSearch's browser ES modules
//   sets/<set>.json        the data set; sets/<set>.kb.bin: Kefu's bundle built from it
//   sets/scale-10k.*       the generated 10,000-article KB: kb.bin, and queries.json as
//                          [{q, locale}] (each query in its article's locale)

import {
  RESULTS,
  WARM_UP,
  peerConfigurations,
  percentile,
  timeOpening,
  timeQueries,
} from "./configurations.mjs";

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

/** Kefu's wasm-bindgen glue, with its wasm instantiated (the files `bench.json` names). */
async function kefuGlue() {
  const manifest = await (await fetchOk("bench.json")).json();
  const glue = await import(new URL(manifest.glue, location.href).href);
  await glue.default({ module_or_path: new URL(manifest.wasm, location.href) });
  return glue;
}

/**
 * Times opening Kefu's `bundle` as `timeOpening` does: the bytes, as fetched, to an engine that
 * answers in `locale` (the constructor copies them into the wasm memory and decodes the directory;
 * postings are decoded when first searched), then its first query.
 */
function timeKefuOpening(glue, bundle, locale, queries) {
  return timeOpening(() => {
    const opened = new glue.Engine(bundle);
    return {
      search: (query) => opened.search_ids(query, locale, RESULTS),
      free: () => opened.free(),
    };
  }, queries);
}

/**
 * Builds every engine on `setName` in turn, runs its queries (20 untimed warm-up queries, then
 * each query timed) and resolves with one row per engine and configuration:
 * `{key, engine, config, p50_ms, p95_ms, ranked, load_ms, first_query_ms}`, `ranked` being each
 * query's first 10 ids and the last two the opening times of `timeOpening` (peers: from their
 * serialised index, as a site that ships it would load it).
 * Kefu answers with its KB ids; `cargo xtask bench` maps them back to the set's ids.
 */
async function kefuBench(setName, locale) {
  const glue = await kefuGlue();
  const set = await (await fetchOk(`sets/${setName}.json`)).json();
  const bundle = new Uint8Array(await (await fetchOk(`sets/${setName}.kb.bin`)).arrayBuffer());

  const rows = [];
  let timed;
  const engine = new glue.Engine(bundle);
  try {
    if (engine.len() !== set.articles.length) {
      throw new Error(`the bundle holds ${engine.len()} documents, the set ${set.articles.length}`);
    }
    timed = timeQueries((query) => engine.search_ids(query, locale, RESULTS), set.queries);
  } finally {
    engine.free();
  }
  // Opening, after the queries as for the peers: the engine's code is compiled and warm, and
  // what is timed is the index.
  const kefuOpening = timeKefuOpening(glue, bundle, locale, set.queries);
  rows.push({
    key: "kefu",
    engine: "Kefu",
    config: "release wasm of `cargo xtask dist`, `Engine.search_ids(q, locale, 10)`",
    ...timed,
    ...opening(kefuOpening, timed.ranked[0]),
  });

  for (const configuration of peerConfigurations(set.meta.language !== "en")) {
    const index = configuration.build(set.articles);
    const timed = timeQueries((query) => configuration.search(index, query), set.queries);
    // Opening, after the queries: the code is warm, what is timed is the index.
    const serialised = configuration.serialise(index);
    const peerOpening = timeOpening(() => {
      const loaded = configuration.load(serialised);
      return { search: (query) => configuration.search(loaded, query) };
    }, set.queries);
    rows.push({
      key: configuration.key,
      engine: configuration.engine,
      config: configuration.config,
      ...timed,
      ...opening(peerOpening, timed.ranked[0]),
    });
  }
  return { crossOriginIsolated: self.crossOriginIsolated, rows };
}

/**
 * Times Kefu's wasm alone on a KB without gold answers (the generated scale KB): 20 untimed warm-up
 * queries, then each query timed in its own locale, as `timeQueries` does for the sets, then
 * opening the bundle as `timeOpening` does. Resolves with
 * `{crossOriginIsolated, rows: [{key, p50_ms, p95_ms, load_ms, first_query_ms}]}`.
 */
async function kefuScale(name) {
  const glue = await kefuGlue();
  const queries = await (await fetchOk(`sets/${name}.queries.json`)).json();
  const bundle = new Uint8Array(await (await fetchOk(`sets/${name}.kb.bin`)).arrayBuffer());
  const latencies = [];
  const engine = new glue.Engine(bundle);
  try {
    for (const { q, locale } of queries.slice(0, WARM_UP)) {
      engine.search_ids(q, locale, RESULTS);
    }
    for (const { q, locale } of queries) {
      const start = performance.now();
      engine.search_ids(q, locale, RESULTS);
      latencies.push(performance.now() - start);
    }
    latencies.sort((a, b) => a - b);
  } finally {
    engine.free();
  }
  const { load_ms, first_query_ms } = timeKefuOpening(glue, bundle, queries[0].locale, queries);
  const row = {
    key: "kefu",
    p50_ms: percentile(latencies, 50),
    p95_ms: percentile(latencies, 95),
    load_ms,
    first_query_ms,
  };
  return { crossOriginIsolated: self.crossOriginIsolated, rows: [row] };
}

/**
 * The opening times of a row, after checking that the opened engine's first query found what the
 * built one did (in any order: a reloaded index may order equal scores differently): a load that
 * gives a different index would time the wrong thing.
 */
function opening({ load_ms, first_query_ms, ids }, expected) {
  const sorted = (list) => JSON.stringify([...list].sort());
  if (sorted(ids) !== sorted(expected)) {
    throw new Error(
      `the loaded index answers the first query with ${JSON.stringify(ids)}, the built one with ${JSON.stringify(expected)}`,
    );
  }
  return { load_ms, first_query_ms };
}

window.kefuBench = kefuBench;
window.kefuScale = kefuScale;
