// The hub's setup page in headless Chromium, as a technician uses it on a new hub: a wrong
// setup code is refused in the page's language, the right one lands on the admin page.
// Run by tests/it/setup.rs, which starts the hub with a setup code in its integra.toml:
//   env HUB_URL, SETUP_CODE, SPKI (the hub's key, trusted), CHROMIUM, SHOT (screenshot path).
import { chromium } from "playwright-core";

const url = process.env.HUB_URL;
const step = (what) => console.log("step: " + what);

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    ...(process.env.SPKI ? ["--ignore-certificate-errors-spki-list=" + process.env.SPKI] : []),
  ],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  page.on("pageerror", (e) => {
    console.log("page error: " + e.message);
    failed = true;
  });
  page.on("request", (r) => {
    if (!r.url().startsWith(url)) {
      console.log("request outside the hub: " + r.url());
      failed = true;
    }
  });
  await page.goto(url + "/setup");
  step("the setup form, in the center's language (Spanish)");
  await page.waitForSelector("#setup-form:not([hidden])");
  const title = (await page.textContent("h1")).trim();
  if (title !== "Configurar este hub") throw new Error("title: " + title);
  if (process.env.SHOT) await page.screenshot({ path: process.env.SHOT });

  step("a wrong code is refused in Spanish");
  await page.fill("#code", "1357 9246 8000");
  await page.fill("#device-name", "Portátil de la coordinación");
  await page.click("#pair");
  await page.waitForFunction(() => document.querySelector("#error").textContent.startsWith("Este no es el código"));

  step("the right code lands on the admin page, as an admin");
  await page.fill("#code", process.env.SETUP_CODE);
  await page.click("#pair");
  await page.waitForURL(url + "/admin");
  await page.waitForSelector("#pages:not([hidden])");

  step("back on /setup: already used");
  await page.goto(url + "/setup");
  await page.waitForFunction(() => document.querySelector("#state").textContent.startsWith("Este código de configuración ya se usó"));
  if (await page.isVisible("#setup-form")) throw new Error("the form is still offered");
} catch (e) {
  console.log("error: " + e.message);
  failed = true;
} finally {
  await browser.close();
}
console.log(failed ? "FAILED" : "ok");
process.exit(failed ? 1 : 0);
