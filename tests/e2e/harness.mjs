// Shared set-up for the end-to-end tests: the real kefu-server on a free loopback port with a
// fresh SQLite file, serving the site `cargo xtask test` assembled, and Debian's Chromium driven
// by playwright-core. Paths come from the environment xtask sets.
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before } from "node:test";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

function required(name) {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the browser tests through \`cargo xtask test\``);
  return value;
}

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The `kefu` binary `cargo xtask e2e` built (it runs `cargo run -p kefu-cli`). */
export function kefuBinary() {
  const candidates = [
    process.env.KEFU_CLI,
    process.env.CARGO_TARGET_DIR && join(process.env.CARGO_TARGET_DIR, "debug/kefu"),
    join(ROOT, "target/debug/kefu"),
  ].filter(Boolean);
  const found = candidates.find((path) => existsSync(path));
  if (!found) throw new Error(`no kefu binary in ${candidates.join(", ")}: run through \`cargo xtask e2e\``);
  return found;
}

/**
 * Starts kefu-server and resolves with its base URL once it prints that it is listening, and the
 * path of its SQLite database (for `kefu tickets` and `kefu report`).
 */
export async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), "kefu-e2e-"));
  const child = spawn(
    required("KEFU_SERVER"),
    // One browser on one loopback address plays many customers: no per-client rate limit here
    // (the server tests cover it).
    ["--listen", "127.0.0.1:0", "--db", join(dir, "kefu.db"), "--static", required("KEFU_SITE"), "--rate-limit", "0"],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  const url = await new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`kefu-server did not start: ${seen}`)), 15000);
    child.stdout.on("data", (chunk) => {
      seen += chunk;
      const match = seen.match(/listening on (http:\/\/[^\s]+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`kefu-server exited with ${code}: ${seen}`)));
  });
  return {
    url,
    database: join(dir, "kefu.db"),
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts a Kefu server and a browser before the calling file's tests and stops both after them.
 * The returned object's `server` and `browser` are set once the `before` hook has run, so tests
 * read them as `live.server.url`, `live.browser.newContext()`.
 */
export function useServerAndBrowser() {
  const live = { server: undefined, browser: undefined };
  before(async () => {
    live.server = await startServer();
    live.browser = await launchBrowser();
  });
  after(async () => {
    await live.browser?.close();
    await live.server?.stop();
  });
  return live;
}

/** Launches headless Chromium with the flags this machine kind needs (no network but loopback). */
export function launchBrowser() {
  return chromium.launch({
    executablePath: required("KEFU_CHROMIUM"),
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Polls `check` until it returns true, failing with `message` after `timeout` ms. */
export async function eventually(check, message, timeout = 5000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out: ${message}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Whether `locator`'s element has focus, looking through shadow roots. */
export function isFocused(locator) {
  return locator.evaluate((element) => element.getRootNode().activeElement === element);
}

/**
 * A fresh page in its own browser context at `url`, with the console errors and uncaught
 * exceptions it produces collected in `errors`. `options` go to `browser.newContext`
 * (locale, viewport, colorScheme, reducedMotion…).
 */
export async function openPage(browser, url, options = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  const errors = [];
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(url);
  return { page, context, errors };
}

/**
 * Runs axe-core on the widget (it looks into open shadow roots) and returns its violations. The
 * host page is the site's own business and is left out.
 */
export async function axeViolations(page) {
  const axe = new URL("../node_modules/axe-core/axe.min.js", import.meta.url);
  if (!(await page.evaluate(() => typeof window.axe === "object"))) {
    await page.addScriptTag({ path: axe.pathname });
  }
  return page.evaluate(async () => {
    const result = await window.axe.run({ include: [["kefu-widget"]] }, { resultTypes: ["violations"] });
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => n.target.join(" ")),
    }));
  });
}
