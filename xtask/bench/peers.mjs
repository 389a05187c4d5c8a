// The JavaScript peers of `cargo xtask bench` in Node: builds MiniSearch and FlexSearch on one data
// set with the configurations of ../shared/bench/peers.md (configurations.mjs, shared with the
// Chromium run), and prints one JSON line of metrics per configuration. The metrics follow
// ../shared/bench/README.md ("Metrics") to the letter, so the rows stand next to Kefu's and next
// to peers.md.
//
// usage: node xtask/bench/peers.mjs SET.json

import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

import { peerConfigurations, timeQueries } from "./configurations.mjs";

const path = process.argv[2];
if (!path) {
  console.error("usage: node peers.mjs SET.json");
  process.exit(2);
}
const set = JSON.parse(readFileSync(path, "utf8"));
const chinese = set.meta.language !== "en";

for (const configuration of peerConfigurations(chinese)) {
  const buildStart = performance.now();
  const index = configuration.build(set.articles);
  const buildMs = performance.now() - buildStart;

  const serialised = Buffer.from(configuration.serialise(index), "utf8");
  const indexGz = gzipSync(serialised, { level: 9 }).length;

  const { ranked, p50_ms, p95_ms } = timeQueries(
    (query) => configuration.search(index, query),
    set.queries,
  );

  let hit1 = 0;
  let hit5 = 0;
  let reciprocalRanks = 0;
  let zero = 0;
  set.queries.forEach(({ gold }, queryIdx) => {
    const ids = ranked[queryIdx];
    if (ids.length === 0) zero += 1;
    const rank = ids.indexOf(gold) + 1;
    if (rank === 1) hit1 += 1;
    if (rank >= 1 && rank <= 5) hit5 += 1;
    if (rank >= 1) reciprocalRanks += 1 / rank;
  });

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
    p50_ms,
    p95_ms,
  };
  process.stdout.write(JSON.stringify(row) + "\n");
}
