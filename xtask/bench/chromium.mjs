// Drives the bench page (browser.html) in headless Chromium for `cargo xtask bench`: one fresh
// page per data set, and one JSON line per set on stdout:
//   {"set", "chromium", "crossOriginIsolated", "rows": [{key, engine, config, p50_ms, p95_ms, ranked,
//   load_ms, first_query_ms}]}
//
// usage: KEFU_CHROMIUM=/usr/bin/chromium node xtask/bench/chromium.mjs BASE_URL SET:LOCALE...
//
// A LOCALE of `*` times Kefu alone on a KB whose queries carry their own locale (the generated
// scale KB, browser.mjs's kefuScale); its rows have no `ranked` ids.
//
// BASE_URL serves the site xtask assembled (target/bench/site, with kefu-server --static). The
// browser is the machine's Chromium, launched by tests/e2e/harness.mjs's launchBrowser
// (playwright-core from tests/node_modules, which `cargo xtask setup` installs); nothing is
// downloaded.

import { launchBrowser } from "../../tests/e2e/harness.mjs";

const [baseUrl, ...sets] = process.argv.slice(2);
const executablePath = process.env.KEFU_CHROMIUM;
if (!baseUrl || sets.length === 0 || !executablePath) {
  console.error("usage: KEFU_CHROMIUM=PATH node chromium.mjs BASE_URL SET:LOCALE...");
  process.exit(2);
}

// The end-to-end tests' launcher: the same executable (KEFU_CHROMIUM) and flags, kept in one place.
const browser = await launchBrowser();
try {
  const context = await browser.newContext();
  // Chromium coarsens performance.now() to 100 µs unless the page is cross-origin isolated, then
  // to 5 µs; the fastest peers answer in tens of µs. kefu-server sends no COOP/COEP headers (it
  // need not, for the widget), so they are added here, on the way to the page.
  await context.route("**/*", async (route) => {
    const response = await route.fetch();
    await route.fulfill({
      response,
      headers: {
        ...response.headers(),
        "cross-origin-opener-policy": "same-origin",
        "cross-origin-embedder-policy": "require-corp",
      },
    });
  });
  for (const pair of sets) {
    const [set, locale] = pair.split(":");
    const page = await context.newPage();
    const problems = [];
    page.on("pageerror", (error) => problems.push(`page error: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console error: ${message.text()}`);
    });
    let result;
    try {
      await page.goto(new URL("browser.html", baseUrl).href);
      await page.waitForFunction(() => typeof window.kefuBench === "function", null, {
        timeout: 30000,
      });
      result = await page.evaluate(
        ([set, locale]) =>
          locale === "*" ? window.kefuScale(set) : window.kefuBench(set, locale),
        [set, locale],
      );
    } catch (error) {
      // What the page said is usually the cause (a module that did not load, a bad bundle).
      throw new Error(`${set}: ${error.message}\n${problems.join("\n")}`);
    }
    if (problems.length > 0) throw new Error(`${set}: ${problems.join("; ")}`);
    process.stdout.write(JSON.stringify({ set, chromium: browser.version(), ...result }) + "\n");
    await page.close();
  }
} finally {
  await browser.close();
}
