// While a customer writes to support, the form offers up to three articles that may answer it;
// reading one and leaving without sending is a deflection that editors see in `kefu report`.
// Found by role and name only.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { describe, test } from "node:test";
import { axeViolations, eventually, kefuBinary, useServerAndBrowser } from "./harness.mjs";

const live = useServerAndBrowser();

/** Opens the shop in `locale`, recording the events batches and the tickets it sends. */
async function open(locale) {
  const context = await live.browser.newContext({ locale, viewport: { width: 1280, height: 900 } });
  const batches = [];
  const tickets = [];
  context.on("request", (request) => {
    if (request.url().endsWith("/api/v1/events")) batches.push(JSON.parse(request.postData()).events);
    if (request.method() === "POST" && request.url().endsWith("/api/v1/tickets")) tickets.push(JSON.parse(request.postData()));
  });
  const page = await context.newPage();
  await page.goto(live.server.url + "/");
  return { context, page, batches, tickets };
}

/** Opens the contact form the way a customer with an unanswerable search does. */
async function openForm(page, { launcher, dialogName, searchLabel, contactSupport }) {
  await page.getByRole("button", { name: launcher, exact: true }).click();
  const dialog = page.getByRole("dialog", { name: dialogName });
  await dialog.getByRole("combobox", { name: searchLabel }).fill("zzzz qqqq");
  await dialog.getByRole("button", { name: contactSupport }).click();
  await dialog.getByRole("heading", { name: contactSupport }).waitFor();
  return dialog;
}

function report() {
  const output = execFileSync(kefuBinary(), ["report", "--db", live.server.database, "--format", "json"], { encoding: "utf8" });
  return JSON.parse(output);
}

describe("answers suggested inside the contact form", () => {
  test("reading a suggestion and leaving unsent is a deflection, counted per article", async () => {
    const { context, page, batches } = await open("en-US");
    const dialog = await openForm(page, {
      launcher: "Help", dialogName: "Help centre", searchLabel: "Search help articles", contactSupport: "Contact support",
    });
    const suggestions = dialog.getByRole("list", { name: "These articles may answer it right away:" });
    assert.equal(await suggestions.count(), 0, "nothing is suggested before the customer writes");

    await dialog.getByRole("textbox", { name: "Email or phone" }).fill("li.lei@example.com");
    await dialog.getByRole("textbox", { name: /Subject/ }).fill("Refund");
    const message = "I sent the shoes back two weeks ago and the refund is still not here. Order 2026112300018.";
    // Typed key by key: the form keeps up, and every character lands where it was typed.
    await dialog.getByRole("textbox", { name: "How can we help?" }).pressSequentially(message, { delay: 5 });
    assert.equal(await dialog.getByRole("textbox", { name: "How can we help?" }).inputValue(), message);

    await suggestions.waitFor();
    const offered = await suggestions.getByRole("button").allTextContents();
    assert.ok(offered.length >= 1 && offered.length <= 3, `one to three answers: ${offered}`);
    assert.ok(offered.every((title) => /refund/i.test(title)), `refund answers: ${offered}`);
    assert.deepEqual(await axeViolations(page), [], "the form with suggestions is accessible");

    await suggestions.getByRole("button", { name: offered[0] }).click();
    await dialog.getByRole("heading", { name: offered[0] }).waitFor();
    await dialog.getByRole("button", { name: "Back to your message" }).click();
    // The form is as the customer left it.
    assert.equal(await dialog.getByRole("textbox", { name: "Email or phone" }).inputValue(), "li.lei@example.com");
    assert.equal(await dialog.getByRole("textbox", { name: /Subject/ }).inputValue(), "Refund");
    assert.equal(await dialog.getByRole("textbox", { name: "How can we help?" }).inputValue(), message);
    // The article just read is not offered again.
    await eventually(
      async () => !(await suggestions.getByRole("button").allTextContents()).includes(offered[0]),
      "the article read is no longer suggested",
    );

    // The answer was enough: the customer closes the help without sending.
    await dialog.getByRole("button", { name: "Close" }).click();
    await eventually(() => batches.flat().some((e) => e.kind === "deflection"), "the deflection is sent", 10000);
    const deflections = batches.flat().filter((e) => e.kind === "deflection");
    assert.equal(deflections.length, 1);
    assert.equal(deflections[0].locale, "en");
    const articleId = deflections[0].article_id;
    assert.ok(/refund/.test(articleId), articleId);
    // What the customer wrote never leaves the browser as a search or anything else.
    const sent = JSON.stringify(batches);
    assert.ok(!sent.includes("shoes") && !sent.includes("2026112300018"), sent);

    await eventually(() => report().deflections.length > 0, "the server stored it", 5000);
    assert.deepEqual(report().deflections, [{ key: articleId, locale: "en", count: 1 }]);
    await context.close();
  });

  test("sending after reading a suggestion is no deflection; the ticket carries the subject and the article", async () => {
    const { context, page, batches, tickets } = await open("zh-CN");
    const dialog = await openForm(page, {
      launcher: "帮助", dialogName: "帮助中心", searchLabel: "搜索帮助文章", contactSupport: "联系客服",
    });
    await dialog.getByRole("textbox", { name: /主题/ }).fill("退货");
    await dialog.getByRole("textbox", { name: "问题描述" }).fill("鞋子尺码不合适，想退货，请问运费谁出？");
    const suggestions = dialog.getByRole("list", { name: "这些文章也许能直接解答：" });
    await suggestions.waitFor();
    const offered = await suggestions.getByRole("button").allTextContents();
    assert.ok(offered.length >= 1 && offered.length <= 3, `${offered}`);
    assert.ok(offered.some((title) => title.includes("退")), `return answers: ${offered}`);

    await suggestions.getByRole("button", { name: offered[0] }).click();
    await dialog.getByRole("heading", { name: offered[0] }).waitFor();
    await dialog.getByRole("button", { name: "返回你的留言" }).click();
    await dialog.getByRole("textbox", { name: "邮箱或手机号" }).fill("13800138000");
    await dialog.getByRole("button", { name: "发送" }).click();
    await dialog.getByRole("status").filter({ hasText: "工单号" }).waitFor();
    assert.equal(tickets.length, 1);
    assert.equal(tickets[0].subject, "退货");
    assert.equal(tickets[0].context.articles.length, 1, "the article read goes with the ticket");

    // Closing after sending records nothing; a later vote is the marker that everything queued
    // before it has been sent (events go out in order, in batches).
    await dialog.getByRole("button", { name: "关闭" }).click();
    await page.getByRole("button", { name: "帮助", exact: true }).click();
    await dialog.getByRole("button", { name: "返回搜索结果" }).click();
    await dialog.getByRole("combobox", { name: "搜索帮助文章" }).fill("发票");
    await dialog.getByRole("option").first().click();
    await dialog.getByRole("group", { name: "这篇文章解决你的问题了吗？" }).getByRole("button", { name: "解决了" }).click();
    await eventually(() => batches.flat().some((e) => e.kind === "helpful"), "the vote is sent", 10000);
    assert.deepEqual(batches.flat().filter((e) => e.kind === "deflection"), []);
    await context.close();
  });
});
