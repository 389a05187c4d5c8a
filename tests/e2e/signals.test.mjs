// What editors learn from customers (searches, misses, votes, flow outcomes), sent in batches to
// the events endpoint without personal data; and sites that switch it, or escalation, off.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { eventually, useServerAndBrowser } from "./harness.mjs";

const live = useServerAndBrowser();

/** Opens `path`, recording the events batches (and every request to the API) it sends. */
async function open(path) {
  const context = await live.browser.newContext({ locale: "en-US" });
  const batches = [];
  const api = [];
  context.on("request", (request) => {
    if (request.url().includes("/api/")) api.push(request.url());
    if (request.url().endsWith("/api/v1/events")) batches.push(JSON.parse(request.postData()).events);
  });
  const responses = [];
  context.on("response", (response) => {
    if (response.url().endsWith("/api/v1/events")) responses.push(response.status());
  });
  const page = await context.newPage();
  await page.goto(live.server.url + path);
  return { context, page, batches, api, responses };
}

describe("signals for editors", () => {
  test("'not helpful' takes one tap on a reason, offers other answers, and goes with the ticket", async () => {
    const { context, page, batches } = await open("/");
    const tickets = [];
    page.on("request", (request) => {
      if (request.method() === "POST" && request.url().endsWith("/api/v1/tickets")) tickets.push(JSON.parse(request.postData()));
    });
    await page.getByRole("button", { name: "Help", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    await dialog.getByRole("combobox", { name: "Search help articles" }).fill("refund");
    await dialog.getByRole("option").first().click();
    await dialog.getByRole("group", { name: "Did this answer your question?" }).getByRole("button", { name: "No" }).click();
    const why = dialog.getByRole("group", { name: "What went wrong? (one tap is enough)" });
    await why.getByRole("button", { name: "The steps didn't work" }).click();
    assert.equal(await why.getByRole("button", { name: "The steps didn't work" }).getAttribute("aria-pressed"), "true");
    await why.getByRole("textbox", { name: "Anything to add? (optional)" }).fill("The refund button is grey");
    await why.getByRole("button", { name: "Send feedback" }).click();
    const others = dialog.getByRole("list", { name: "These answers may help instead:" });
    assert.ok((await others.getByRole("button").count()) > 0, "other answers are offered");
    await dialog.getByRole("button", { name: "Contact support" }).click();
    const attached = dialog.getByRole("group", { name: "So you don't have to repeat yourself, we'll include:" });
    assert.match(await attached.textContent(), /Answers that didn't help.*The steps didn't work: “The refund button is grey”/);
    await dialog.getByRole("textbox", { name: "Email or phone" }).fill("li.lei@example.com");
    await dialog.getByRole("textbox", { name: "How can we help?" }).fill("Refund button does nothing.");
    await dialog.getByRole("button", { name: "Send" }).click();
    await dialog.getByRole("status").filter({ hasText: "Your reference is" }).waitFor();
    assert.deepEqual(tickets[0].context.not_helpful, [
      { id: "refunds", reason: "steps-failed", comment: "The refund button is grey" },
    ]);
    await eventually(() => batches.flat().some((e) => e.kind === "helpful"), "the vote is sent", 10000);
    const vote = batches.flat().find((e) => e.kind === "helpful");
    assert.deepEqual(vote, {
      kind: "helpful", target: "article", id: "refunds", locale: "en", helpful: false,
      reason: "steps-failed", comment: "The refund button is grey",
    });
    await context.close();
  });

  test("searches, misses and votes reach the server in batches, with personal details masked", async () => {
    const { context, page, batches, responses } = await open("/");
    await page.getByRole("button", { name: "Help", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    const search = dialog.getByRole("combobox", { name: "Search help articles" });
    await search.fill("order 2026112300018 not shipped");
    await page.waitForTimeout(900);
    await search.fill("refund");
    await page.waitForTimeout(900);
    await dialog.getByRole("option").first().click();
    const helpful = dialog.getByRole("group", { name: "Did this answer your question?" });
    await helpful.getByRole("button", { name: "Yes" }).click();
    await dialog.getByRole("button", { name: "Back to results" }).click();
    await search.fill("warranty");
    await page.waitForTimeout(900);
    await page.keyboard.press("Escape"); // left without opening a hit: a miss

    await eventually(() => batches.length > 0, "a batch is sent within a few seconds", 10000);
    const events = batches.flat();
    const kinds = events.map((e) => e.kind);
    assert.deepEqual(kinds, ["search", "search", "helpful", "search", "search_miss"]);
    assert.equal(events[0].query, "order ##### not shipped", "long digit runs never leave the browser");
    assert.ok(events[0].hits > 0);
    assert.deepEqual(events[2], { kind: "helpful", target: "article", id: "refunds", locale: "en", helpful: true });
    assert.deepEqual(events[4], { kind: "search_miss", query: "warranty", locale: "en" });
    await eventually(() => responses.length === batches.length, "the server answered");
    assert.ok(responses.every((status) => status === 200), `server accepted: ${responses}`);
    await context.close();
  });

  test("an articles-only site shows no form and sends nothing anywhere", async () => {
    const { context, page, api } = await open("/test/articles-only.html");
    await page.getByRole("button", { name: "Help", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    const search = dialog.getByRole("combobox", { name: "Search help articles" });
    await search.fill("zzzz qqqq");
    await dialog.getByText("No articles match your search.").waitFor();
    assert.equal(await dialog.getByRole("button", { name: "Contact support" }).count(), 0);
    assert.ok(await dialog.getByRole("link", { name: "help@xiaoman-shop.example" }).isVisible());
    await search.fill("refund");
    await page.waitForTimeout(900);
    await dialog.getByRole("option").first().click();
    await dialog.getByRole("group", { name: "Did this answer your question?" }).getByRole("button", { name: "No" }).click();
    await dialog.getByRole("button", { name: "Out of date" }).click();
    await dialog.getByRole("button", { name: "Send feedback" }).click();
    await dialog.getByText("Sorry this didn't help.", { exact: false }).waitFor();
    assert.equal(await dialog.getByRole("button", { name: "Contact support" }).count(), 0);
    await page.keyboard.press("Escape");
    await page.waitForTimeout(5000); // longer than a batch waits
    assert.deepEqual(api, [], "no request to the endpoint");
    await context.close();
  });
});
