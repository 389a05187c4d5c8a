// A customer whom self-service did not help writes to a person: online, offline, after a reload,
// with what they already tried attached and shown to them first. Found by role and name only.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import { axeViolations, eventually, isFocused, kefuBinary, openPage, useServerAndBrowser } from "./harness.mjs";

const live = useServerAndBrowser();

const TICKETS = "/api/v1/tickets";

/** Opens the shop in English and records every ticket POST and its answer, across pages. */
async function openShop(context) {
  const page = await context.newPage();
  await page.goto(live.server.url + "/");
  return page;
}

async function newContext(tickets) {
  const context = await live.browser.newContext({ locale: "en-US", viewport: { width: 1280, height: 900 } });
  context.on("response", async (response) => {
    if (response.request().method() === "POST" && response.url().endsWith(TICKETS)) {
      tickets.push({ status: response.status(), body: JSON.parse(response.request().postData()) });
    }
  });
  return context;
}

/** Searches for something the KB cannot answer and opens the contact form from there. */
async function openFormFromNoResults(page) {
  await page.getByRole("button", { name: "Help", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Help centre" });
  await dialog.getByRole("combobox", { name: "Search help articles" }).fill("zzzz qqqq");
  await dialog.getByRole("button", { name: "Contact support" }).click();
  await dialog.getByRole("heading", { name: "Contact support" }).waitFor();
  return dialog;
}

/**
 * Checks that `message` went out exactly once: every answer the browser saw acknowledged it (201,
 * or 200 when an earlier attempt reached the server but its answer was lost on the way back:
 * Chromium's offline switch can let a request through that way, and the idempotency key makes
 * the retry the same ticket), all under one key, and the server holds one ticket with it.
 */
function assertSentOnce(tickets, message) {
  assert.ok(tickets.length > 0 && tickets.every(acknowledged), `acknowledged: ${tickets.map((t) => t.status)}`);
  assert.equal(new Set(tickets.map((t) => t.body.idempotency_key)).size, 1, "one message, one key");
  const onServer = JSON.parse(
    execFileSync(kefuBinary(), ["tickets", "export", "--format", "json", "--db", live.server.database], { encoding: "utf8" }),
  ).filter((ticket) => ticket.message === message);
  assert.equal(onServer.length, 1, "exactly one ticket on the server");
}

const acknowledged = (t) => t.status === 201 || t.status === 200;

async function fillAndSend(dialog, message) {
  await dialog.getByRole("textbox", { name: "Email or phone" }).fill("li.lei@example.com");
  await dialog.getByRole("textbox", { name: "How can we help?" }).fill(message);
  await dialog.getByRole("button", { name: "Send" }).click();
}

describe("a customer who needs a person", () => {
  test("sends a message online with what they tried attached, and gets a reference", async () => {
    const tickets = [];
    const context = await newContext(tickets);
    const page = await openShop(context);
    const created = [];
    await page.exposeFunction("recordTicket", (detail) => created.push(detail));
    await page.evaluate(() => Kefu.on("ticket-created", (detail) => window.recordTicket(detail)));

    await page.getByRole("button", { name: "Help", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    const search = dialog.getByRole("combobox", { name: "Search help articles" });
    await search.fill("refund");
    await page.waitForTimeout(900); // the search settles and counts as one
    await dialog.getByRole("option").first().click();
    await dialog.getByRole("article").waitFor();
    const helpful = dialog.getByRole("group", { name: "Did this answer your question?" });
    await helpful.getByRole("button", { name: "No" }).click();
    await dialog.getByRole("button", { name: "Contact support" }).click();
    await dialog.getByRole("heading", { name: "Contact support" }).waitFor();

    // What will be attached is shown first, and each item can be removed.
    const attached = dialog.getByRole("group", { name: "So you don't have to repeat yourself, we'll include:" });
    assert.match(await attached.textContent(), /Your searches\s*refund/);
    assert.match(await attached.textContent(), /Articles you read/);
    await attached.getByRole("button", { name: "Remove This page" }).click();
    assert.doesNotMatch(await attached.textContent(), /This page/);
    assert.deepEqual(await axeViolations(page), []);

    await fillAndSend(dialog, "My refund has not arrived after 10 days.");
    const status = dialog.getByRole("status").filter({ hasText: "Your reference is" });
    await status.waitFor();
    const reference = (await status.textContent()).match(/KF-[0-9A-Z]{6}/)[0];

    assert.equal(tickets.length, 1);
    assert.equal(tickets[0].status, 201);
    const sent = tickets[0].body;
    assert.equal(sent.contact, "li.lei@example.com");
    assert.deepEqual(sent.context.searches, ["refund"]);
    assert.deepEqual(sent.context.articles, ["refunds"]);
    assert.equal(sent.page_url ?? null, null, "the removed item is not sent");
    assert.equal(sent.locale, "en");
    assert.ok(sent.context.widget_version && sent.context.user_agent && sent.context.bundle_version);
    await eventually(() => created.length === 1, "Kefu.on('ticket-created') hears of it");
    assert.equal(created[0].reference, reference);
    await context.close();
  });

  test("is told inline what to fix, and the form keeps what they wrote", async () => {
    const tickets = [];
    const context = await newContext(tickets);
    const page = await openShop(context);
    const dialog = await openFormFromNoResults(page);
    await dialog.getByRole("button", { name: "Send" }).click();
    const contact = dialog.getByRole("textbox", { name: "Email or phone" });
    assert.equal(await contact.getAttribute("aria-invalid"), "true");
    await eventually(() => isFocused(contact), "focus moves to the first field to fix");
    assert.ok(await dialog.getByText("Enter an email address (like name@example.com) or a phone number.").isVisible());
    assert.ok(await dialog.getByText("Please describe what you need help with.").isVisible());

    await contact.fill("not an address");
    await dialog.getByRole("textbox", { name: "How can we help?" }).fill("The app crashes when I pay.");
    await dialog.getByRole("button", { name: "Send" }).click();
    assert.equal(await contact.getAttribute("aria-invalid"), "true");
    assert.equal(await dialog.getByRole("textbox", { name: "How can we help?" }).inputValue(), "The app crashes when I pay.");
    assert.equal(tickets.length, 0, "nothing invalid is sent");

    await contact.fill("+86 138 0013 8000");
    await dialog.getByRole("button", { name: "Send" }).click();
    await dialog.getByRole("status").filter({ hasText: "Your reference is" }).waitFor();
    assert.deepEqual(tickets.map((t) => t.status), [201]);
    await context.close();
  });

  test("is prefilled from Kefu.identify", async () => {
    const context = await newContext([]);
    const page = await openShop(context);
    await page.evaluate(() => Kefu.identify({ name: "Han Meimei", email: "han@example.com" }));
    const dialog = await openFormFromNoResults(page);
    assert.equal(await dialog.getByRole("textbox", { name: "Email or phone" }).inputValue(), "han@example.com");
    assert.equal(await dialog.getByRole("textbox", { name: /Your name/ }).inputValue(), "Han Meimei");
    await context.close();
  });

  test("a search left for the form before it settled still counts: attached, reported, in the ticket", async () => {
    const tickets = [];
    const context = await newContext(tickets);
    const page = await openShop(context);
    const searches = [];
    await page.exposeFunction("recordSearch", (detail) => searches.push(detail));
    await page.evaluate(() => Kefu.on("search", (detail) => window.recordSearch(detail)));

    // Typed, then straight to "Contact support", well within the time a query takes to settle.
    const dialog = await openFormFromNoResults(page);
    const attached = dialog.getByRole("group", { name: "So you don't have to repeat yourself, we'll include:" });
    assert.match(await attached.textContent(), /Your searches\s*zzzz qqqq/);
    await eventually(() => searches.length > 0, "the search is reported to the page");
    assert.deepEqual(
      searches.map(({ query, hits }) => ({ query, hits })),
      [{ query: "zzzz qqqq", hits: 0 }],
      "reported once, with no hits",
    );

    await fillAndSend(dialog, "Nothing in the help about this.");
    await dialog.getByRole("status").filter({ hasText: "Your reference is" }).waitFor({ timeout: 10000 });
    assert.deepEqual(tickets.map((t) => t.body.context.searches), [["zzzz qqqq"]]);
    await context.close();
  });

  test("offline: the message is saved, survives a reload, and arrives exactly once", async () => {
    const tickets = [];
    const context = await newContext(tickets);
    const page = await openShop(context);
    const dialog = await openFormFromNoResults(page);
    await context.setOffline(true);
    await fillAndSend(dialog, "Sent while offline, in a tunnel.");
    await dialog.getByText("Saved — it will be sent when you are back online.", { exact: false }).waitFor();
    const stored = await page.evaluate(() => JSON.parse(localStorage.getItem("kefu.outbox.v1")));
    assert.equal(stored.length, 1);
    await page.close(); // the customer leaves while still offline

    await context.setOffline(false);
    // The next page of the same site loads help only on interaction: the saved message must
    // still go out without the customer touching anything.
    const again = await context.newPage();
    const seen = [];
    again.on("console", (message) => seen.push(`console ${message.type()}: ${message.text()}`));
    again.on("requestfailed", (request) => seen.push(`failed ${request.url()}: ${request.failure()?.errorText}`));
    await again.goto(live.server.url + "/test/lazy.html");
    try {
      await eventually(() => tickets.some(acknowledged), "the saved message goes out", 15000);
    } catch (error) {
      const outbox = await again.evaluate(() => localStorage.getItem("kefu.outbox.v1"));
      throw new Error(`${error.message}; outbox on the next page: ${outbox}; tickets: ${JSON.stringify(tickets)}; ${seen.join("; ")}`);
    }
    await eventually(
      async () => (await again.evaluate(() => JSON.parse(localStorage.getItem("kefu.outbox.v1") || "[]"))).length === 0,
      "the outbox is empty once the server acknowledged",
    );
    assertSentOnce(tickets, "Sent while offline, in a tunnel.");
    assert.deepEqual(tickets[0].body.context.searches, ["zzzz qqqq"], "what they tried went with it");
    await context.close();
  });

  test("offline then online without leaving: sent as soon as the browser is back", async () => {
    const tickets = [];
    const context = await newContext(tickets);
    const page = await openShop(context);
    const dialog = await openFormFromNoResults(page);
    await context.setOffline(true);
    await fillAndSend(dialog, "Please call me back.");
    await dialog.getByText("Saved — it will be sent when you are back online.", { exact: false }).waitFor();
    await context.setOffline(false);
    await dialog.getByRole("status").filter({ hasText: "Your reference is" }).waitFor({ timeout: 10000 });
    assertSentOnce(tickets, "Please call me back.");
    await context.close();
  });
});
