// The widget as a customer uses it, found by ARIA role and accessible name only: open the help,
// search in English and Chinese, read an article, go back, close. And the friendly state when the
// help content cannot be loaded.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { eventually, isFocused, openPage, useServerAndBrowser } from "./harness.mjs";

const live = useServerAndBrowser();

/** The shop page (or `path`) in a browser context that prefers `locale`. */
function openShop(locale, path = "/") {
  return openPage(live.browser, live.server.url + path, { locale });
}

describe("an English-speaking customer", () => {
  test("finds an article as they type, reads it, goes back and closes the help", async () => {
    const { page, context, errors } = await openShop("en-US");
    const launcher = page.getByRole("button", { name: "Help", exact: true });
    await launcher.click();
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    await dialog.waitFor();
    assert.equal(await launcher.getAttribute("aria-expanded"), "true");

    const search = dialog.getByRole("combobox", { name: "Search help articles" });
    await eventually(() => isFocused(search), "the search field has focus when the help opens");
    // Typed key by key: results must follow every keystroke, including a half-typed word.
    await search.pressSequentially("refu");
    const options = dialog.getByRole("listbox", { name: "Search results" }).getByRole("option");
    await options.first().waitFor();
    assert.match(await options.first().textContent(), /refund/i);
    assert.equal(await search.getAttribute("aria-expanded"), "true");
    await eventually(
      async () => /\d+ matching articles/.test(await dialog.getByRole("status").textContent()),
      "the live region announces the number of results",
    );

    await search.pressSequentially("nd");
    const first = options.first();
    const chosen = await first.textContent(); // title, kind, snippet
    await first.click();

    const article = dialog.getByRole("article");
    await article.waitFor();
    const heading = article.getByRole("heading", { level: 3 });
    assert.ok(chosen.startsWith(await heading.textContent()), "the article is the one chosen");
    assert.match(await article.textContent(), /Alipay|WeChat|bank card/);
    assert.ok((await article.getByRole("listitem").count()) > 0, "articles keep their numbered steps");

    await dialog.getByRole("button", { name: "Back to results" }).click();
    await options.first().waitFor();
    assert.equal(await search.inputValue(), "refund", "going back keeps what was typed");

    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "detached" });
    await eventually(() => isFocused(launcher), "focus returns to the launcher after Escape");
    assert.equal(await launcher.getAttribute("aria-expanded"), "false");
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("can do it all from the keyboard", async () => {
    const { page, context } = await openShop("en-GB");
    await page.getByRole("button", { name: "Help", exact: true }).focus();
    await page.keyboard.press("Enter");
    const dialog = page.getByRole("dialog", { name: "Help centre" });
    const search = dialog.getByRole("combobox", { name: "Search help articles" });
    await eventually(() => isFocused(search), "the search field has focus");
    await page.keyboard.type("refund");
    await dialog.getByRole("option").first().waitFor();
    await page.keyboard.press("ArrowDown");
    const active = await search.getAttribute("aria-activedescendant");
    assert.ok(active, "arrow keys move the active option");
    assert.equal(await dialog.locator(`[id="${active}"]`).getAttribute("aria-selected"), "true");
    await page.keyboard.press("Enter");
    const heading = dialog.getByRole("article").getByRole("heading", { level: 3 });
    await heading.waitFor();
    assert.match(await heading.textContent(), /refund/i);
    await eventually(() => isFocused(heading), "the article heading takes focus so it is read out");
    await context.close();
  });

  test("follows a link from one article to another", async () => {
    const { page, context } = await openShop("en-US");
    await page.getByRole("button", { name: "Help", exact: true }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("combobox").fill("refund");
    await dialog.getByRole("option").first().click();
    const article = dialog.getByRole("article");
    const before = await article.getByRole("heading", { level: 3 }).textContent();
    const links = await article.getByRole("link").all();
    const hrefs = await Promise.all(links.map((link) => link.getAttribute("href")));
    const internal = links.filter((_, i) => hrefs[i].startsWith("#kefu-article-"));
    assert.ok(internal.length > 0, "the refunds article links to another article");
    await internal[0].click();
    await eventually(
      async () => (await dialog.getByRole("article").getByRole("heading", { level: 3 }).textContent()) !== before,
      "the linked article opens in the widget",
    );
    await context.close();
  });

  test("gets a did-you-mean and the way to a person when nothing matches", async () => {
    const { page, context } = await openShop("en-US");
    await page.getByRole("button", { name: "Help", exact: true }).click();
    const dialog = page.getByRole("dialog");
    const search = dialog.getByRole("combobox");
    // Two letters wrong in a seven-letter word: more than search forgives (a swap such as
    // `invioce` is one and is found), within what did-you-mean offers.
    await search.fill("invoyse ");
    await dialog.getByText("No articles match your search.").waitFor();
    assert.equal(await dialog.getByRole("option").count(), 0);
    await dialog.getByText("Still stuck? Contact us:").waitFor();
    const closest = dialog.getByRole("list", { name: "Closest articles:" }).getByRole("button");
    assert.ok((await closest.count()) > 0, "the closest articles are offered");
    assert.match(await closest.first().textContent(), /invoice/i);
    await dialog.getByRole("button", { name: "invoice", exact: true }).click();
    assert.equal((await search.inputValue()).trim(), "invoice");
    const first = dialog.getByRole("option").first();
    await first.waitFor();
    assert.match(await first.textContent(), /invoice/i);
    await context.close();
  });
});

describe("a Chinese-speaking customer", () => {
  test("searches in Chinese and reads the answer", async () => {
    const { page, context, errors } = await openShop("zh-CN");
    await page.getByRole("button", { name: "帮助", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "帮助中心" });
    const search = dialog.getByRole("combobox", { name: "搜索帮助文章" });
    await search.fill("运费");
    const first = dialog.getByRole("option").first();
    await first.waitFor();
    assert.match(await first.textContent(), /运费/);
    // The title shows why it matched too, not only the snippet under it.
    const marked = await first.locator("mark").allTextContents();
    assert.ok(marked.filter((text) => text === "运费").length >= 2, `title and snippet marked: ${marked}`);
    await first.click();
    const heading = dialog.getByRole("article").getByRole("heading", { level: 3 });
    await heading.waitFor();
    assert.match(await heading.textContent(), /运费/);
    await dialog.getByRole("button", { name: "返回搜索结果" }).click();

    // Highlights follow the latest keystroke: after 退 then 退款多久, no lone 退 stays marked.
    await search.fill("");
    await search.pressSequentially("退");
    await dialog.getByRole("option").first().waitFor();
    await search.pressSequentially("款多久");
    await eventually(async () => {
      const marked = await dialog.getByRole("option").first().locator("mark").allTextContents();
      // The title 退款多久到账 marks the whole query as one run.
      return marked.length > 0 && marked.every((text) => ["退款", "多久", "退款多久"].includes(text));
    }, "only the words of the whole query are highlighted");

    // A colloquial question with no spaces still finds the returns article by its bigrams.
    await search.fill("我想退货");
    await eventually(
      async () => /退/.test(await dialog.getByRole("option").first().textContent()),
      "a returns article comes first for 我想退货",
    );
    await dialog.getByRole("button", { name: "关闭" }).click();
    await dialog.waitFor({ state: "detached" });
    assert.deepEqual(errors, []);
    await context.close();
  });

  test("is told plainly when nothing matches", async () => {
    const { page, context } = await openShop("zh-CN");
    await page.getByRole("button", { name: "帮助", exact: true }).click();
    const dialog = page.getByRole("dialog");
    await dialog.getByRole("combobox").fill("量子纠缠");
    await dialog.getByText("没有找到相关文章。").waitFor();
    assert.equal(await dialog.getByRole("option").count(), 0);
    assert.equal(await dialog.getByRole("combobox").getAttribute("aria-expanded"), "false");
    await context.close();
  });

  test("is offered the closest articles when a question shares only characters", async () => {
    const { page, context } = await openShop("zh-CN");
    await page.getByRole("button", { name: "帮助", exact: true }).click();
    const dialog = page.getByRole("dialog");
    // 票 alone appears in the invoices article (发票); no pair of this question does.
    await dialog.getByRole("combobox").fill("票据");
    await dialog.getByText("没有找到相关文章。").waitFor();
    const closest = dialog.getByRole("list", { name: "最接近的文章：" }).getByRole("button");
    await closest.first().waitFor();
    const titles = await closest.allTextContents();
    assert.ok(titles.some((title) => title.includes("发票")), `the invoice help is among ${titles}`);
    await closest.filter({ hasText: "发票" }).first().click();
    const heading = dialog.getByRole("heading", { level: 3 });
    await heading.waitFor();
    assert.match(await heading.textContent(), /发票/);
    await context.close();
  });
});

describe("when the help content cannot be loaded", () => {
  for (const [page, why] of [
    ["/test/missing-bundle.html", "the bundle URL answers 404"],
    ["/test/corrupt-bundle.html", "the bundle is not a Kefu bundle"],
  ]) {
    test(`shows how to reach a person instead of a blank panel (${why})`, async () => {
      const opened = await openShop("en-US", page);
      await opened.page.getByRole("button", { name: "Help", exact: true }).click();
      const alert = opened.page.getByRole("dialog").getByRole("alert");
      await alert.waitFor();
      assert.match(await alert.textContent(), /Help is unavailable right now/);
      assert.ok(await opened.page.getByRole("button", { name: "Try again" }).isVisible());
      if (page.includes("missing")) {
        const email = opened.page.getByRole("link", { name: "help@xiaoman-shop.example" });
        assert.equal(await email.getAttribute("href"), "mailto:help@xiaoman-shop.example");
      }
      await eventually(
        () => opened.errors.some((e) => e.includes("[kefu] help content unavailable")),
        "the reason is reported in the console for the site owner",
      );
      await opened.context.close();
    });
  }
});
