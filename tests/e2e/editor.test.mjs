// A content editor previews rich articles with `kefu kb serve`: a table, callouts and an image in
// the real widget, the page reloading on a save and showing the errors of a broken one. Found by
// role and name only.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, test } from "node:test";
import { axeViolations, eventually, kefuBinary, launchBrowser, openPage } from "./harness.mjs";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FIXTURE = join(ROOT, "crates/kefu-kb/tests/fixtures/rich");

let kbDir;
let preview;
let browser;

/** Starts `kefu kb serve` on a copy of the fixture KB, with the widget from the assembled site. */
async function startPreview() {
  const dir = mkdtempSync(join(tmpdir(), "kefu-editor-"));
  kbDir = join(dir, "kb");
  cpSync(FIXTURE, kbDir, { recursive: true });
  const site = process.env.KEFU_SITE;
  if (!site) throw new Error("KEFU_SITE is not set: run the browser tests through `cargo xtask test`");
  const child = spawn(kefuBinary(), ["kb", "serve", kbDir, "--listen", "127.0.0.1:0", "--dist", join(site, "kefu")], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const url = await new Promise((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`kefu kb serve did not start: ${seen}`)), 15000);
    child.stdout.on("data", (chunk) => {
      seen += chunk;
      const match = seen.match(/at (http:\/\/[^\s]+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on("exit", (code) => reject(new Error(`kefu kb serve exited with ${code}: ${seen}`)));
  });
  return {
    url,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((resolve) => child.once("exit", resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

before(async () => {
  preview = await startPreview();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await preview?.stop();
});

/** Opens the help, searches and opens the first result; returns the article. */
async function openArticle(page, query) {
  await page.getByRole("button", { name: "Help" }).click();
  const dialog = page.getByRole("dialog", { name: "Help centre" });
  await dialog.getByRole("combobox", { name: "Search help articles" }).fill(query);
  const options = dialog.getByRole("listbox", { name: "Search results" }).getByRole("option");
  await options.first().click();
  const article = dialog.getByRole("article");
  await article.waitFor();
  return article;
}

describe("an editor previewing the knowledge base", () => {
  test("sees the table, callouts and image of an article, accessibly", async () => {
    const { page, context, errors } = await openPage(browser, preview.url, { locale: "en-US" });
    const article = await openArticle(page, "refund");

    const table = article.getByRole("table");
    assert.deepEqual(await table.getByRole("columnheader").allTextContents(), ["Paid with", "Refund time"]);
    assert.equal(await table.getByRole("row").count(), 3);

    const tip = article.getByRole("note", { name: "Tip" });
    assert.match(await tip.textContent(), /Alipay are the fastest/);
    await article.getByRole("note", { name: "Warning" }).waitFor();

    const image = article.getByRole("img", { name: 'The blue "Request refund" button' });
    assert.equal(await image.getAttribute("loading"), "lazy");
    assert.equal(await image.getAttribute("width"), "240");
    assert.equal(await image.getAttribute("height"), "80");
    await image.scrollIntoViewIfNeeded();
    await eventually(
      () => image.evaluate((img) => img.complete && img.naturalWidth > 0),
      "the image loads from kb-assets/ beside the bundle",
    );

    assert.deepEqual(await axeViolations(page), []);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("sees a save within a second, and the errors of a broken save in the page", async () => {
    const { page, context } = await openPage(browser, preview.url, { locale: "en-US" });
    const shipping = join(kbDir, "en/shipping.md");
    const original = readFileSync(shipping, "utf8");
    try {
      // The page's event stream is open once the preview script ran; then save.
      await page.waitForLoadState("load");
      const reloaded = page.waitForEvent("load", { timeout: 1500 });
      writeFileSync(shipping, original.replace("When will my order ship?", "When does my order ship?"));
      await reloaded;
      const article = await openArticle(page, "ship");
      await article.getByRole("heading", { name: "When does my order ship?" }).waitFor();

      writeFileSync(shipping, original.replace("(article:refunds)", "(article:refundz)"));
      const alert = page.getByRole("alert").filter({ hasText: "missing article" });
      await alert.waitFor({ timeout: 1500 });
      assert.match(await alert.textContent(), /shipping\.md:5:\d+: error: link to a missing article `refundz`/);
    } finally {
      writeFileSync(shipping, original);
      await context.close();
    }
  });
});
