// Guided troubleshooting as a customer walks it: to a fix, to a person with the transcript,
// back and start over, a reload in the middle, and Kefu.startFlow. Roles and names only.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { axeViolations, eventually, openPage, useServerAndBrowser } from "./harness.mjs";

const live = useServerAndBrowser();

const LOGIN = "Can't log in? Let's fix it step by step";
/** The login flow's button: its name is the title followed by the kind ("Guided help"). */
const LOGIN_BUTTON = new RegExp("^" + LOGIN.replace(/[?.*+()[\]\\]/g, "\\$&"));

async function openHelp(path = "/") {
  const opened = await openPage(live.browser, live.server.url + path, { locale: "en-US" });
  await opened.page.evaluate(() => {
    window.__outcomes = [];
    Kefu.on("flow-complete", (detail) => window.__outcomes.push(detail));
  });
  await opened.page.getByRole("button", { name: "Help", exact: true }).click();
  const dialog = opened.page.getByRole("dialog", { name: "Help centre" });
  await dialog.getByRole("combobox", { name: "Search help articles" }).waitFor();
  return { ...opened, dialog };
}

describe("a customer who cannot log in", () => {
  test("solves it through the guided flow, without reading an article, and rates it", async () => {
    const { page, context, dialog, errors } = await openHelp();
    const common = dialog.getByRole("list", { name: "Common problems, solved step by step:" });
    await common.getByRole("button", { name: LOGIN_BUTTON }).click();
    await dialog.getByText("What happens when you try to log in?").waitFor();
    assert.deepEqual(await axeViolations(page), []);

    await dialog.getByRole("button", { name: /It says the password is wrong/ }).click();
    await dialog.getByText("Reset your password with a verification code:").waitFor();
    assert.match(await dialog.getByText(/^Step 2 of/).textContent(), /Step 2 of (about )?\d/);
    await dialog.getByRole("button", { name: "Done, next step" }).click();
    const solvedQuestion = dialog.getByRole("group", { name: "Did this solve it?" });
    await solvedQuestion.getByRole("button", { name: "Yes, solved" }).click();
    await dialog.getByText("Great, that's sorted!").waitFor();
    assert.equal(await dialog.getByRole("article").count(), 0, "no article was needed");

    const rating = dialog.getByRole("group", { name: "How helpful was this? (optional)" });
    await rating.getByRole("button", { name: "5 out of 5" }).click();
    await dialog.getByText("Thanks for rating!").waitFor();
    const outcomes = await page.evaluate(() => window.__outcomes);
    assert.deepEqual(outcomes, [
      { id: "login-help", outcome: "solved" },
      { id: "login-help", outcome: "solved", rating: 5 },
    ]);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("reaches a person with what they tried and the phone number attached", async () => {
    const { page, context, dialog } = await openHelp();
    const tickets = [];
    page.on("request", (request) => {
      if (request.method() === "POST" && request.url().endsWith("/api/v1/tickets")) tickets.push(JSON.parse(request.postData()));
    });
    await dialog.getByRole("combobox", { name: "Search help articles" }).fill("cannot log in");
    const flowHit = dialog.getByRole("option").filter({ hasText: "Guided help" }).first();
    await flowHit.click();
    await dialog.getByRole("button", { name: /Something else/ }).click();

    const phone = dialog.getByRole("textbox", { name: /Which phone number/ });
    await phone.fill("12345");
    await dialog.getByRole("button", { name: "Continue" }).click();
    await dialog.getByText("Enter the 11-digit mobile number, e.g. 13800138000").waitFor();
    assert.equal(await phone.getAttribute("aria-invalid"), "true");
    await phone.fill("13800138000");
    await dialog.getByRole("button", { name: "Continue" }).click();

    await dialog.getByRole("button", { name: "Contact support" }).click();
    const attached = dialog.getByRole("group", { name: "So you don't have to repeat yourself, we'll include:" });
    const text = await attached.textContent();
    assert.match(text, /Steps you went through/);
    assert.match(text, /Q: What happens when you try to log in\? A: Something else/);
    assert.match(text, /phone: 13800138000/);
    await dialog.getByRole("textbox", { name: "Email or phone" }).fill("13800138000");
    await dialog.getByRole("textbox", { name: "How can we help?" }).fill("Still cannot log in.");
    await dialog.getByRole("button", { name: "Send" }).click();
    await dialog.getByRole("status").filter({ hasText: "Your reference is" }).waitFor();
    assert.match(tickets[0].context.transcript, /escalated/);
    assert.match(tickets[0].context.transcript, /phone: 13800138000/);
    const outcomes = await page.evaluate(() => window.__outcomes);
    assert.deepEqual(outcomes, [{ id: "login-help", outcome: "escalated" }]);
    await context.close();
  });

  test("goes back, starts over, and resumes after a reload", async () => {
    const { page, context, dialog } = await openHelp();
    await page.evaluate(() => Kefu.startFlow("login-help"));
    await dialog.getByRole("button", { name: /The SMS verification code does not arrive/ }).click();
    await dialog.getByText("Check these two things first:").waitFor();
    await dialog.getByRole("button", { name: "Back" }).click();
    await dialog.getByText("What happens when you try to log in?").waitFor();
    await dialog.getByRole("button", { name: /The SMS verification code does not arrive/ }).click();
    await dialog.getByRole("button", { name: "Done, next step" }).click();
    await dialog.getByRole("group", { name: "Did this solve it?" }).waitFor();
    await dialog.getByRole("button", { name: "Start over" }).click();
    await dialog.getByText("What happens when you try to log in?").waitFor();

    await dialog.getByRole("button", { name: /It says the account is locked/ }).click();
    await dialog.getByText(/the account locks for 30 minutes/).waitFor();
    await page.reload();
    // The widget comes back by itself, open on the same question.
    const again = page.getByRole("dialog", { name: "Help centre" });
    await again.getByText(/the account locks for 30 minutes/).waitFor({ timeout: 15000 });
    await again.getByRole("button", { name: /Wait 30 minutes/ }).click();
    await again.getByRole("group", { name: "Did this solve it?" }).waitFor();

    await again.getByRole("button", { name: "Leave this guide" }).click();
    await again.getByRole("combobox", { name: "Search help articles" }).waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem("kefu.flow.v1")), null, "left cleanly");
    await context.close();
  });

  test("Kefu.startFlow refuses an unknown flow", async () => {
    const { page, context } = await openHelp();
    const refused = await page.evaluate(() => Kefu.startFlow("no-such-flow").then(() => "started", (e) => String(e)));
    assert.match(refused, /no flow with the id `no-such-flow`/);
    await context.close();
  });
});

describe("help for the page the customer is on", () => {
  test("suggests the flows and articles that declare the page", async () => {
    // A single-page app tells Kefu its route; a classic site needs nothing (location.pathname).
    const { page, context } = await openPage(live.browser, live.server.url + "/", { locale: "en-US" });
    await page.evaluate(() => Kefu.init({ page: "/login" }));
    await page.getByRole("button", { name: "Help", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    const here = dialog.getByRole("list", { name: "Help with this page:" });
    await here.getByRole("button", { name: LOGIN_BUTTON }).waitFor();
    await context.close();
  });
});
