// The staff console and the admin pages at 1024, 1280 and 1920 px on a busy morning (waiting
// visitors with priority, today's appointments, a device alert), in a browser whose own time
// zone is not the center's: no horizontal scroll, no control covered or clipped, ticket numbers
// on one line, every time and default date in the center's time zone.
// Run by tests/it/browser.rs: env HUB_URL, ADMIN_PIN, CENTER_TZ, SHOT_DIR, CHROMIUM, SPKI.
import { chromium } from "playwright-core";

const url = process.env.HUB_URL;
const centerTz = process.env.CENTER_TZ;
const step = (what) => console.log("step: " + what);
const dayIn = (tz, ms) =>
  new Intl.DateTimeFormat("en-CA", { timeZone: tz, year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date(ms));
// A browser zone whose date differs from the center's right now (one of the two always does).
const now = Date.now();
const browserTz = ["Pacific/Kiritimati", "Pacific/Pago_Pago"].find((z) => dayIn(z, now) !== dayIn(centerTz, now));
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    ...(process.env.SPKI ? ["--ignore-certificate-errors-spki-list=" + process.env.SPKI] : []),
  ],
});
let failed = false;
const problems = [];

// What is wrong with the page's layout at this width (empty when nothing).
async function layoutProblems(page, scope) {
  return page.evaluate((scope) => {
    const out = [];
    const root = document.scrollingElement;
    if (root.scrollWidth > window.innerWidth + 1)
      out.push(`page is ${root.scrollWidth} px wide in a ${window.innerWidth} px window`);
    const visible = (el) => {
      const r = el.getBoundingClientRect();
      const s = getComputedStyle(el);
      // (inside a closed <details> nothing shows but its summary)
      const closed = el.closest("details:not([open])");
      if (closed && !el.closest("summary")) return false;
      return r.width > 0 && r.height > 0 && s.visibility !== "hidden" && !el.closest("[hidden]");
    };
    for (const el of document.querySelectorAll(`${scope} button, ${scope} select, ${scope} input, ${scope} a.button`)) {
      if (!visible(el)) continue;
      el.scrollIntoView({ block: "center", inline: "center" });
      const r = el.getBoundingClientRect();
      const name = `${el.tagName.toLowerCase()}#${el.id || ""} "${(el.textContent || el.value || "").trim().slice(0, 30)}"`;
      if (r.left < -1 || r.right > window.innerWidth + 1) out.push(`${name} is outside the window (${Math.round(r.left)}–${Math.round(r.right)})`);
      const panel = el.closest(".panel, .card, fieldset");
      if (panel) {
        const p = panel.getBoundingClientRect();
        if (r.left < p.left - 1 || r.right > p.right + 1) out.push(`${name} reaches past its panel (${Math.round(r.right)} > ${Math.round(p.right)})`);
      }
      const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
      if (hit && hit !== el && !el.contains(hit) && !(el.tagName === "INPUT" && hit.tagName === "LABEL" && hit.contains(el)))
        out.push(`${name} is covered by ${hit.tagName.toLowerCase()}#${hit.id || ""}.${hit.className || ""}`);
      if (el.tagName === "BUTTON" && el.scrollWidth > el.clientWidth + 1) out.push(`${name} has its text clipped`);
    }
    for (const td of document.querySelectorAll(`${scope} td.label`)) {
      if (!visible(td)) continue;
      const range = document.createRange();
      range.selectNodeContents(td.firstChild || td);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
      if (lines.size > 1) out.push(`ticket number "${td.textContent}" is on ${lines.size} lines`);
    }
    return out;
  }, scope);
}

try {
  step(`browser in ${browserTz}, center in ${centerTz}`);
  const ctx = await browser.newContext({ viewport: { width: 1024, height: 768 }, timezoneId: browserTz });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => {
    console.log("page error: " + e.message);
    failed = true;
  });
  await page.goto(url + "/");
  await page.waitForSelector("#pairing:not([hidden])");
  await page.fill("#pin", process.env.ADMIN_PIN);
  await page.fill("#device-name", "Coordinación");
  await page.click("#pair");
  await page.waitForSelector("#desk:not([hidden])");
  await page.waitForSelector("#link.live");
  await page.waitForSelector('#waiting tr[data-label]');
  await page.waitForSelector("#appointments tr");
  await page.waitForSelector("#alerts li");

  step("times and default dates in the center's time zone");
  const today = dayIn(centerTz, Date.now());
  const bookDate = await page.inputValue("#book-date");
  if (bookDate !== today) problems.push(`booking date ${bookDate}, the center's today is ${today}`);
  await page.click("#make-pin");
  await page.waitForSelector("#new-pin:not([hidden])");
  const until = await page.textContent("#pin-until");
  const pinExpiry = await page.getAttribute("#pin-until", "data-at");
  const expected = new Date(pinExpiry).toLocaleTimeString("es", { timeZone: centerTz, hour: "2-digit", minute: "2-digit" });
  if (!until.includes(expected)) problems.push(`PIN valid until "${until}", expected ${expected} (center time)`);

  // The booking form open too (a receptionist booking at the desk).
  await page.evaluate(() => document.querySelectorAll("#desk details").forEach((d) => (d.open = true)));
  for (const width of [1024, 1280, 1920]) {
    step(`console at ${width} px`);
    await page.setViewportSize({ width, height: width === 1920 ? 1080 : 800 });
    await page.waitForTimeout(100);
    for (const p of await layoutProblems(page, "#desk")) problems.push(`console ${width}: ${p}`);
    await page.evaluate(() => window.scrollTo(0, 0));
    await page.screenshot({ path: `${process.env.SHOT_DIR}/console-busy-${width}.png`, fullPage: true });
  }

  step("admin pages");
  const admin = await ctx.newPage();
  admin.on("pageerror", (e) => {
    console.log("admin page error: " + e.message);
    failed = true;
  });
  await admin.goto(url + "/admin");
  await admin.waitForSelector("#audit tbody tr");
  const rTo = await admin.inputValue("#r-to");
  if (rTo !== today) problems.push(`report "to" ${rTo}, the center's today is ${today}`);
  const audit = await admin.evaluate(async () => {
    const token = localStorage.getItem("integra.token");
    const r = await fetch("/api/v1/admin/audit?limit=200", { headers: { authorization: "Bearer " + token } });
    const first = (await r.json()).entries[0];
    return { at: first.at, shown: document.querySelector("#audit tbody tr td").textContent, lang: document.documentElement.lang };
  });
  const auditExpected = new Date(audit.at).toLocaleString(audit.lang || "es", { timeZone: centerTz });
  if (audit.shown !== auditExpected) problems.push(`audit time "${audit.shown}", expected "${auditExpected}" (center time)`);
  for (const width of [1024, 1280, 1920]) {
    step(`admin at ${width} px`);
    await admin.setViewportSize({ width, height: width === 1920 ? 1080 : 800 });
    await admin.waitForTimeout(100);
    for (const p of await layoutProblems(admin, "main")) problems.push(`admin ${width}: ${p}`);
    await admin.evaluate(() => window.scrollTo(0, 0));
    await admin.screenshot({ path: `${process.env.SHOT_DIR}/admin-${width}.png`, fullPage: true });
  }
} catch (e) {
  console.log("error: " + (e.stack || e));
  failed = true;
}
await browser.close();
for (const p of problems) console.log("problem: " + p);
if (failed || problems.length) process.exit(1);
console.log("E2E OK");
