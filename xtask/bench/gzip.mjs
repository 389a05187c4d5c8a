// gzip -9 sizes as the peers' index sizes are measured (peers.mjs: Node's zlib, level 9), so that
// Kefu's bundle and the text floor are compressed by the same compressor as the indexes they are
// compared with.
//
// usage: node xtask/bench/gzip.mjs FILE...   (prints one byte count per file, one a line)

import { readFileSync } from "node:fs";
import { gzipSync } from "node:zlib";

for (const path of process.argv.slice(2)) {
  console.log(gzipSync(readFileSync(path), { level: 9 }).length);
}
