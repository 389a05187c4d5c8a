// Times what a visitor feels of the embed for `cargo xtask bench`: how long from a click on the
// launcher until the search box has focus (and the next frame is drawn), with the widget
// preloaded (the default: it loads when the page is idle) and cold (`data-load="interaction"`,
// so the click itself fetches and compiles the wasm and the bundle, over loopback).
// Prints one JSON line: {"chromium", "runs", "preloaded": [ms...], "cold": [ms...]}.
//
// usage: KEFU_CHROMIUM=/usr/bin/chromium node xtask/bench/embed.mjs BASE_URL RUNS

import { launchBrowser } from "../../tests/e2e/harness.mjs";

const [baseUrl, runsArg] = process.argv.slice(2);
const runs = Number(runsArg || 20);
if (!baseUrl || !process.env.KEFU_CHROMIUM) {
  console.error("usage: KEFU_CHROMIUM=PATH node embed.mjs BASE_URL RUNS");
  process.exit(2);
}

// Clicks the launcher from inside the page and resolves with the milliseconds until the search
// box takes focus, and until the frame after that.
function clickToFocus() {
  return new Promise((resolve) => {
    const root = document.querySelector("kefu-widget").shadowRoot;
    const launcher = root.querySelector(".kefu-launcher");
    let start = 0;
    root.addEventListener("focusin", function onFocus(event) {
      if (event.target.getAttribute("role") !== "combobox") return;
      root.removeEventListener("focusin", onFocus);
      const focused = performance.now() - start;
      requestAnimationFrame(() => setTimeout(() => resolve([focused, performance.now() - start]), 0));
    });
    start = performance.now();
    launcher.click();
  });
}

const browser = await launchBrowser();
try {
  const preloaded = [];
  const cold = [];
  for (let run = 0; run < runs; run++) {
    // A fresh context each run: no HTTP cache, no compiled-wasm cache from the run before.
    const context = await browser.newContext({ locale: "en-US" });
    const page = await context.newPage();
    await page.addInitScript(() => {
      window.__kefuReady = new Promise((resolve) => {
        window.Kefu = { q: [["on", "ready", resolve]] };
      });
    });
    await page.goto(baseUrl + "/");
    await page.evaluate(() => window.__kefuReady);
    // The bundle loads right after the widget: wait for it, as an idle page would have.
    await page.waitForLoadState("networkidle");
    preloaded.push(await page.evaluate(clickToFocus));
    await context.close();

    const coldContext = await browser.newContext({ locale: "en-US" });
    const coldPage = await coldContext.newPage();
    await coldPage.goto(baseUrl + "/test/lazy.html");
    await coldPage.waitForLoadState("networkidle");
    cold.push(await coldPage.evaluate(clickToFocus));
    await coldContext.close();
  }
  console.log(JSON.stringify({ chromium: browser.version(), runs, preloaded, cold }));
} finally {
  await browser.close();
}
