// Customers who type Chinese through an input method (pinyin → 退货): while a composition is in
// progress, Enter and Escape belong to the IME, and the half-typed pinyin is not a search. The
// composition is driven through the DevTools protocol, as an IME drives the browser.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { eventually, isFocused, openPage, useServerAndBrowser } from "./harness.mjs";

const live = useServerAndBrowser();

/** Types `pinyin` as an uncommitted composition, pressing Enter and Escape as an IME user would. */
async function compose(cdp, pinyin) {
  for (let end = 1; end <= pinyin.length; end++) {
    await cdp.send("Input.imeSetComposition", { text: pinyin.slice(0, end), selectionStart: end, selectionEnd: end });
  }
  // Keys during a composition reach the page as key code 229 with isComposing set.
  for (const key of ["Enter", "Escape"]) {
    await cdp.send("Input.dispatchKeyEvent", {
      type: "rawKeyDown",
      key,
      code: key,
      windowsVirtualKeyCode: 229,
      nativeVirtualKeyCode: 229,
    });
    await cdp.send("Input.dispatchKeyEvent", { type: "keyUp", key, code: key, windowsVirtualKeyCode: 229 });
  }
}

describe("a customer typing through a Chinese input method", () => {
  test("searches on the committed 退货, never on the pinyin, and Enter/Escape stay the IME's", async () => {
    const { page, context, errors } = await openPage(live.browser, live.server.url + "/", { locale: "zh-CN" });
    await page.evaluate(() => {
      window.__searches = [];
      Kefu.on("search", (detail) => window.__searches.push(detail.query));
    });
    await page.getByRole("button", { name: "帮助", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "帮助中心" });
    const search = dialog.getByRole("combobox", { name: "搜索帮助文章" });
    await eventually(() => isFocused(search), "the search box has focus");
    const keys = [];
    await search.evaluate((element) => {
      element.addEventListener("keydown", (event) => {
        window.__keys = window.__keys || [];
        window.__keys.push([event.key, event.isComposing, event.keyCode]);
      });
    });

    const cdp = await context.newCDPSession(page);
    await compose(cdp, "tuihuo");
    await page.waitForTimeout(1000); // longer than a search takes to settle and be reported
    keys.push(...(await page.evaluate(() => window.__keys)));
    assert.ok(keys.some(([key, composing, code]) => key === "Enter" && (composing || code === 229)), JSON.stringify(keys));
    assert.ok(await dialog.isVisible(), "Escape during the composition did not close the help");
    assert.equal(await dialog.getByRole("option").count(), 0, "no results for the pinyin");
    assert.equal(await dialog.getByRole("heading", { level: 3 }).count(), 0, "Enter opened nothing");
    assert.deepEqual(await page.evaluate(() => window.__searches), [], "no search ran on the pinyin");

    await cdp.send("Input.insertText", { text: "退货" }); // the customer picks 退货: the commit
    await dialog.getByRole("option").first().waitFor();
    assert.equal(await search.inputValue(), "退货");
    assert.match(await dialog.getByRole("option").first().textContent(), /退/);
    await eventually(async () => (await page.evaluate(() => window.__searches)).includes("退货"), "退货 is the search");
    assert.deepEqual(await page.evaluate(() => window.__searches), ["退货"]);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("Enter while composing in the contact form does not send it", async () => {
    const { page, context } = await openPage(live.browser, live.server.url + "/", { locale: "zh-CN" });
    await page.getByRole("button", { name: "帮助", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "帮助中心" });
    await dialog.getByRole("combobox").fill("zzzz qqqq");
    await dialog.getByRole("button", { name: "联系客服" }).click();
    const name = dialog.getByRole("textbox", { name: /称呼/ });
    await name.focus();
    const cdp = await context.newCDPSession(page);
    await compose(cdp, "lilei");
    await cdp.send("Input.insertText", { text: "李雷" });
    assert.equal(await name.inputValue(), "李雷");
    const contact = dialog.getByRole("textbox", { name: "邮箱或手机号" });
    assert.equal(await contact.getAttribute("aria-invalid"), "false", "the form was not submitted");
    assert.ok(await dialog.isVisible());
    await context.close();
  });
});
