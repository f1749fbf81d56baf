// The follow page on a phone: headless Chromium at 360×640 (touch, mobile) opens a ticket's
// follow link over plain HTTP, as a visitor scanning the slip's QR code does. Nothing is
// fetched from elsewhere, nothing is wider than the screen; the page updates by itself (no
// reload) when staff call the visitor — "your turn" with the counter — and after the visit it
// takes one answer to "How was your visit?".
// Run by tests/it/browser.rs: env FOLLOW_URL, HUB_URL (https, for the staff actions), STAFF
// (a counter token), COUNTER, LABEL, SHOT_DIR, CHROMIUM.
import { chromium, request } from "playwright-core";

const follow = process.env.FOLLOW_URL;
const origin = new URL(follow).origin;
const step = (what) => console.log("step: " + what);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
// Staff act through the API (the hub's own certificate: this is the test's staff side only).
const staff = await request.newContext({ ignoreHTTPSErrors: true, extraHTTPHeaders: { authorization: "Bearer " + process.env.STAFF } });
let failed = false;
try {
  const ctx = await browser.newContext({ viewport: { width: 360, height: 640 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2, locale: "es-CO" });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => { console.log("page error: " + e.message); failed = true; });
  page.on("request", (r) => {
    if (!r.url().startsWith(origin)) { console.log("request outside the hub: " + r.url()); failed = true; }
  });
  const fits = async (what) => {
    const w = await page.evaluate(() => document.documentElement.scrollWidth);
    if (w > 360) throw new Error(what + ": the page is " + w + " px wide on a 360 px screen");
  };

  step("waiting: number, people ahead, the wait, in the ticket's language");
  await page.goto(follow);
  const number = (await page.textContent("#number")).trim();
  if (number !== process.env.LABEL) throw new Error("number: " + number);
  const headline = await page.textContent("#headline");
  if (!headline.includes("antes que usted")) throw new Error("headline: " + headline);
  await fits("waiting");
  await page.screenshot({ path: process.env.SHOT_DIR + "/follow-waiting-360.png", fullPage: true });
  await page.evaluate(() => { window.stillTheSamePage = true; });

  step("called: the page changes by itself, no reload");
  // The first visitor is called, then (finishing them) this one.
  for (let i = 0; i < 2; i++) {
    const r = await staff.post(process.env.HUB_URL + "/api/v1/counters/" + process.env.COUNTER + "/next");
    if (!r.ok()) throw new Error("call next: " + r.status());
  }
  await page.waitForSelector("main.state-called", { timeout: 10000 });
  const called = await page.textContent("#headline");
  if (!called.startsWith("Es su turno")) throw new Error("called: " + called);
  if (!(await page.evaluate(() => window.stillTheSamePage === true))) throw new Error("the page was reloaded");
  await fits("called");
  await page.screenshot({ path: process.env.SHOT_DIR + "/follow-called-360.png", fullPage: true });

  step("after the visit: one question, three faces, tick-boxes");
  const done = await staff.post(process.env.HUB_URL + "/api/v1/tickets/" + process.env.LABEL + "/finish");
  if (!done.ok()) throw new Error("finish: " + done.status());
  await page.waitForSelector("#feedback:not([hidden])", { timeout: 10000 });
  await fits("question");
  await page.screenshot({ path: process.env.SHOT_DIR + "/follow-question-360.png", fullPage: true });
  await page.tap("label.face:nth-child(4)");
  await page.check("input[name=got_what_needed]");
  await page.click("#feedback button[type=submit]");
  await page.waitForSelector("#feedback[hidden]", { state: "attached", timeout: 10000 });
  await page.waitForFunction(() => document.getElementById("detail").textContent.includes("Gracias por su respuesta"), null, { timeout: 10000 });
  await page.screenshot({ path: process.env.SHOT_DIR + "/follow-thanks-360.png", fullPage: true });
  console.log("E2E OK");
} catch (e) {
  console.log("E2E FAILED: " + e.message);
  failed = true;
} finally {
  await staff.dispose();
  await browser.close();
}
process.exit(failed ? 1 : 0);
