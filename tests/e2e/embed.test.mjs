// Kefu as a site owner embeds it: one script tag that loads the widget only when needed, the
// `window.Kefu` API (also before the widget has loaded), a hostile host page with a strict CSP,
// theming, a phone screen, keyboard use and axe-core on every view. Elements are found by role
// and accessible name, as a person (or a screen reader) finds them.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, test } from "node:test";
import { axeViolations, eventually, isFocused, openPage, useServerAndBrowser } from "./harness.mjs";

const live = useServerAndBrowser();

/** Opens `path` and records every request the page makes. */
async function openRecording(path, options = {}) {
  const requests = [];
  const context = await live.browser.newContext({ viewport: { width: 1280, height: 800 }, ...options });
  const page = await context.newPage();
  const errors = [];
  page.on("request", (request) => requests.push(request.url()));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  page.on("pageerror", (error) => errors.push(String(error)));
  await page.goto(live.server.url + path);
  return { page, context, errors, requests };
}

/** Resolves once `locator`'s element has finished its animations (the dialog rises into place). */
// Waits until the element and everything in it stop animating (endless ones, such as the busy
// launcher's pulse, aside): axe-core measures colour contrast as drawn, and a panel still fading
// in (`kefu-rise`) is drawn lighter than it will be.
function settled(locator) {
  return locator.evaluate((element) =>
    Promise.all(
      element
        .getAnimations({ subtree: true })
        .filter((a) => a.effect?.getTiming().iterations !== Infinity)
        .map((a) => a.finished),
    ),
  );
}

const loadedWidget = (requests) => requests.some((url) => url.endsWith(".wasm"));
const loadedBundle = (requests) => requests.some((url) => /\/kb-[0-9a-f]+\.bin$/.test(url));

describe("loading", () => {
  test("the loader is under 5 KB gzip and draws only the launcher until it is needed", async () => {
    const loader = readFileSync(join(process.env.KEFU_SITE, "kefu", "kefu.js"));
    assert.ok(gzipSync(loader, { level: 9 }).length < 5 * 1024, "kefu.js stays under 5 KB gzip");

    const { page, context, requests, errors } = await openRecording("/test/lazy.html");
    const launcher = page.getByRole("button", { name: "Help", exact: true });
    await launcher.waitFor();
    await page.waitForTimeout(1000); // an idle browser: still nothing may load
    assert.ok(!loadedWidget(requests) && !loadedBundle(requests), "nothing loads before interaction");

    await launcher.hover(); // pointing at the launcher is enough to start loading
    await eventually(() => loadedWidget(requests) && loadedBundle(requests), "hover loads widget and bundle");
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("loads by itself once the page is idle", async () => {
    const { context, requests } = await openRecording("/");
    await eventually(() => loadedWidget(requests) && loadedBundle(requests), "idle loads the widget", 10000);
    await context.close();
  });
});

describe("the JavaScript API", () => {
  test("replays calls made before kefu.js arrived, and drives the widget", async () => {
    const { page, context, errors } = await openRecording("/test/lazy.html");
    // Kefu.search before the widget has loaded: queued, then resolved with the hits.
    const hits = await page.evaluate(() => Kefu.search("refund"));
    assert.equal(hits[0].id, "refunds");
    assert.equal(hits[0].kind, "article");
    assert.equal(hits[0].locale, "en");

    const dialog = page.getByRole("dialog", { name: "Help centre" });
    await dialog.waitFor();
    const search = dialog.getByRole("combobox", { name: "Search help articles" });
    assert.equal(await search.inputValue(), "refund");
    const events = () => page.evaluate(() => window.__kefuEvents.map(([name]) => name));
    await eventually(async () => (await events()).includes("search"), "the search is reported once it settles");
    const reported = await page.evaluate(() => window.__kefuEvents.find(([n]) => n === "search")[1]);
    assert.equal(reported.query, "refund");
    assert.ok(reported.hits > 0);

    await dialog.getByRole("option").first().click();
    await eventually(async () => (await events()).includes("article-view"), "article views are reported");
    const viewed = await page.evaluate(() => window.__kefuEvents.find(([n]) => n === "article-view")[1]);
    assert.equal(viewed.id, "refunds");

    await page.evaluate(() => Kefu.setLocale("zh-TW"));
    await page.getByRole("dialog", { name: "幫助中心" }).waitFor();
    assert.ok(await page.getByRole("button", { name: "幫助", exact: true }).isVisible());

    await page.evaluate(() => Kefu.close());
    await page.getByRole("dialog").waitFor({ state: "detached" });
    assert.deepEqual((await events()).filter((e) => e === "open" || e === "close"), ["open", "close"]);

    const refused = await page.evaluate(() => Kefu.identify(42).then(() => "accepted", (e) => String(e)));
    assert.match(refused, /Kefu.identify expects/);
    assert.equal(await page.evaluate(() => Kefu.identify({ name: "Li Lei", email: "li@example.com" })), undefined);
    assert.deepEqual(errors, []);
    await context.close();
  });
});

describe("a hostile host page", () => {
  test("cannot break the widget, and the widget needs nothing a strict CSP forbids", async () => {
    const { page, context, requests, errors } = await openRecording("/test/hostile.html");
    const launcher = page.getByRole("button", { name: "Help", exact: true });
    await launcher.click();
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    await dialog.waitFor();
    const search = dialog.getByRole("combobox", { name: "Search help articles" });
    await search.fill("refund");
    await dialog.getByRole("option").first().click();
    const article = dialog.getByRole("article");
    await article.waitFor();

    // Looks as it should: our own font size and a launcher of normal size in the corner.
    const fontSize = await article.evaluate((element) => getComputedStyle(element).fontSize);
    assert.equal(fontSize, "15px");
    const box = await launcher.boundingBox();
    assert.ok(box.height < 60 && box.width < 200, `launcher keeps its size: ${JSON.stringify(box)}`);
    assert.ok(box.x > 1000 && box.y > 700, `launcher stays bottom-right: ${JSON.stringify(box)}`);

    const added = await page.evaluate(() =>
      Object.keys(window).filter((key) => !window.__globalsBeforeKefu.includes(key)),
    );
    assert.deepEqual(added.filter((key) => !key.startsWith("__")), ["Kefu"], `new globals: ${added}`);
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
    assert.equal(await page.evaluate(() => document.cookie), "");
    const origins = new Set(requests.map((url) => new URL(url).origin));
    assert.deepEqual([...origins], [live.server.url.replace(/\/$/, "")]);
    assert.deepEqual(errors, []);
    await context.close();
  });
});

describe("look and feel", () => {
  test("follows the site's brand colour and a forced dark theme", async () => {
    const { page, context } = await openRecording("/test/lazy.html");
    await page.evaluate(() => Kefu.init({ color: "#8a2be2", theme: "dark" }));
    const launcher = page.getByRole("button", { name: "Help", exact: true });
    const background = await launcher.evaluate((element) => getComputedStyle(element).backgroundColor);
    assert.equal(background, "rgb(138, 43, 226)");
    await page.evaluate(() => Kefu.open());
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    await dialog.waitFor();
    const surface = await dialog.evaluate((element) => getComputedStyle(element).backgroundColor);
    assert.equal(surface, "rgb(27, 31, 35)");
    await context.close();
  });

  test("follows the visitor's dark mode, and fills a phone screen", async () => {
    const { page, context } = await openRecording("/test/lazy.html", {
      colorScheme: "dark",
      viewport: { width: 375, height: 700 },
      isMobile: true,
      hasTouch: true,
    });
    await page.getByRole("button", { name: "Help", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    await dialog.waitFor();
    const surface = await dialog.evaluate((element) => getComputedStyle(element).backgroundColor);
    assert.equal(surface, "rgb(27, 31, 35)");
    await settled(dialog);
    const box = await dialog.boundingBox();
    assert.deepEqual([box.x, box.y, box.width, box.height], [0, 0, 375, 700], JSON.stringify(box));
    await context.close();
  });

  test("stays usable at 200% zoom", async () => {
    // 200% zoom of a 1280×800 window leaves 640×400 CSS pixels: everything must still be reachable.
    const { page, context } = await openRecording("/", { viewport: { width: 640, height: 400 }, locale: "en-US" });
    await page.getByRole("button", { name: "Help", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    await dialog.waitFor();
    await settled(dialog);
    const box = await dialog.boundingBox();
    assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= 640 && box.y + box.height <= 400, JSON.stringify(box));
    const search = dialog.getByRole("combobox", { name: "Search help articles" });
    await search.fill("refund");
    await dialog.getByRole("option").first().click();
    await dialog.getByRole("article").waitFor();
    const close = dialog.getByRole("button", { name: "Close" });
    const closeBox = await close.boundingBox();
    assert.ok(closeBox.y >= 0 && closeBox.y + closeBox.height <= 400, "the close button is on screen");
    await close.click();
    await dialog.waitFor({ state: "detached" });
    await context.close();
  });

  test("shows the service hours and whether someone is there now", async () => {
    const { page, context } = await openRecording("/test/lazy.html");
    await page.evaluate(() => Kefu.search("zzzz qqqq"));
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    await dialog.getByText("Service hours: Mon–Sun 00:00–24:00").waitFor();
    assert.ok(await dialog.getByText("We're online now and usually reply within minutes.").isVisible());
    await context.close();
  });

  test("says when the site's team answers, across a holiday and a time-zone difference", async () => {
    // The visitor is in New York at 06:30 on Thursday 4 February 2027; the team is in Shanghai,
    // where it is 19:30, closed for the spring festival from the next day until the 14th.
    const context = await live.browser.newContext({ locale: "en-US", timezoneId: "America/New_York" });
    const page = await context.newPage();
    await page.clock.setFixedTime(new Date("2027-02-04T11:30:00Z"));
    await page.goto(live.server.url + "/test/lazy.html");
    await page.evaluate(() =>
      Kefu.init({ hours: "Mon-Fri 09:00-18:30; closed 2027-02-05..2027-02-14", timeZone: "Asia/Shanghai" }),
    );
    await page.evaluate(() => Kefu.search("zzzz qqqq"));
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    await dialog.getByText("We're offline now and will reply from Feb 15 09:00.").waitFor();
    await context.close();
  });

  test("reports an unknown time zone once and leaves out the reply time", async () => {
    const { page, context, errors } = await openRecording("/test/lazy.html");
    await page.evaluate(() => Kefu.init({ timeZone: "Mars/Olympus_Mons" }));
    await page.evaluate(() => Kefu.search("zzzz qqqq"));
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    await dialog.getByRole("link", { name: "help@xiaoman-shop.example" }).waitFor();
    assert.equal(await dialog.getByText("Service hours").count(), 0);
    assert.equal(errors.filter((e) => e.includes("data-time-zone")).length, 1);
    await context.close();
  });
});

describe("keyboard and screen-reader users", () => {
  test("open with /, stay inside the dialog with Tab, and leave with Escape", async () => {
    const { page, context } = await openPage(live.browser, live.server.url + "/", { locale: "en-US" });
    await page.keyboard.press("/");
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    await dialog.waitFor();
    const search = dialog.getByRole("combobox", { name: "Search help articles" });
    await eventually(() => isFocused(search), "the search field has focus");
    await search.fill("ship");
    await dialog.getByRole("option").first().waitFor();
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press("Tab");
      const inside = await dialog.evaluate((element) => element.contains(element.getRootNode().activeElement));
      assert.ok(inside, `focus stays in the dialog after ${i + 1} Tab presses`);
    }
    await page.keyboard.press("Shift+Tab");
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    const launcher = page.getByRole("button", { name: "Help", exact: true });
    await eventually(() => isFocused(launcher), "focus returns to the launcher");
    await context.close();
  });

  test("axe-core finds no violations on any view", async () => {
    for (const colorScheme of ["light", "dark"]) {
      const { page, context } = await openPage(live.browser, live.server.url + "/", { locale: "en-US", colorScheme });
      const check = async (view) => {
        const dialog = page.getByRole("dialog");
        if (await dialog.count()) await settled(dialog);
        const violations = await axeViolations(page);
        assert.deepEqual(violations, [], `${colorScheme} ${view}: ${JSON.stringify(violations, null, 1)}`);
      };
      await check("closed");
      await page.getByRole("button", { name: "Help", exact: true }).click();
      const dialog = page.getByRole("dialog", { name: "Help centre" });
      const search = dialog.getByRole("combobox", { name: "Search help articles" });
      await search.waitFor();
      await check("empty search");
      await search.fill("refund");
      await dialog.getByRole("option").first().waitFor();
      await check("results");
      await dialog.getByRole("option").first().click();
      await dialog.getByRole("article").waitFor();
      await check("article");
      await dialog.getByRole("button", { name: "Back to results" }).click();
      await search.fill("zzzz qqqq");
      await dialog.getByText("No articles match your search.").waitFor();
      await check("no results");
      await context.close();
    }
    const { page, context } = await openPage(live.browser, live.server.url + "/test/missing-bundle.html", { locale: "en-US" });
    await page.getByRole("button", { name: "Help", exact: true }).click();
    await page.getByRole("dialog").getByRole("alert").waitFor();
    await settled(page.getByRole("dialog"));
    assert.deepEqual(await axeViolations(page), []);
    await context.close();
  });
});
