// README's pictures of the widget, for `cargo xtask screenshots`: the demo shop in light and dark,
// and on a phone. Elements are found by role and name, as in the tests.
//
// usage: KEFU_CHROMIUM=/usr/bin/chromium node docs/screenshots.mjs BASE_URL

import { launchBrowser } from "../tests/e2e/harness.mjs";

const [baseUrl] = process.argv.slice(2);
const out = new URL(".", import.meta.url).pathname;
const browser = await launchBrowser();

async function shoot(file, options, query) {
  const context = await browser.newContext({ locale: "zh-CN", reducedMotion: "reduce", ...options });
  const page = await context.newPage();
  await page.goto(baseUrl + "/");
  await page.getByRole("button", { name: "帮助", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "帮助中心" });
  await dialog.getByRole("combobox").fill(query);
  await dialog.getByRole("option").first().waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: out + file });
  await context.close();
}

try {
  await shoot("embed-light.png", { viewport: { width: 900, height: 720 }, colorScheme: "light" }, "退货");
  await shoot("embed-dark.png", { viewport: { width: 900, height: 720 }, colorScheme: "dark" }, "运费");
  await shoot(
    "embed-mobile.png",
    { viewport: { width: 390, height: 760 }, isMobile: true, hasTouch: true, deviceScaleFactor: 1 },
    "登录",
  );
} finally {
  await browser.close();
}
