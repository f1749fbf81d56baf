// Safeguarding in the staff console, in headless Chromium at 1024 px: every waiting and called
// ticket shows its priority class (icon + name) and the visitor's language; an urgent protection
// request is an alert on every console until one receptionist acknowledges it.
// Run by tests/it/browser.rs: env HUB_URL, PIN_A, PIN_B (two counter PINs), SHOT_DIR.
import { chromium } from "playwright-core";

const url = process.env.HUB_URL;
const step = (what) => console.log("step: " + what);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: [
    "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
    // The hub's key, trusted once (as a technician does for a staff browser).
    ...(process.env.SPKI ? ["--ignore-certificate-errors-spki-list=" + process.env.SPKI] : []),
  ],
});
let failed = false;

async function desk(pin, name, width) {
  const ctx = await browser.newContext({ viewport: { width, height: 768 } });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => {
    console.log("page error: " + e.message);
    failed = true;
  });
  page.on("request", (r) => {
    if (!r.url().startsWith(url) && !r.url().startsWith(url.replace("http", "ws"))) {
      console.log("request outside the hub: " + r.url());
      failed = true;
    }
  });
  await page.goto(url + "/");
  await page.waitForSelector("#pairing:not([hidden])");
  await page.fill("#pin", pin);
  await page.fill("#device-name", name);
  await page.click("#pair");
  await page.waitForSelector("#desk:not([hidden])");
  await page.selectOption("#counter", "2");
  await page.waitForSelector("#link.live");
  return page;
}

try {
  const a = await desk(process.env.PIN_A, "Recepción 1", 1024);
  const b = await desk(process.env.PIN_B, "Recepción 2", 1280);

  step("every waiting ticket: class (icon + name) and language");
  await a.waitForSelector('#waiting tr[data-label="B-001"]');
  const row = async (label) =>
    a.evaluate((label) => {
      const tr = document.querySelector(`#waiting tr[data-label="${label}"]`);
      return tr ? { text: tr.textContent, icon: tr.querySelector("span.class img")?.getAttribute("src") || "", discreet: !!tr.querySelector("span.discreet") } : null;
    }, label);
  const b1 = await row("B-001");
  if (!b1.text.includes("Persona mayor") || !b1.text.includes("Português") || b1.icon !== "/icons/older.svg" || b1.discreet)
    throw new Error("B-001 row: " + JSON.stringify(b1));
  const b2 = await row("B-002");
  if (!b2.text.includes("Necesito protección urgente") || !b2.text.includes("Kreyòl ayisyen") || b2.icon !== "/icons/protection.svg" || !b2.discreet)
    throw new Error("B-002 row: " + JSON.stringify(b2));
  const a1 = await row("A-001");
  if (!a1.text.includes("Français") || a1.icon !== "") throw new Error("A-001 row: " + JSON.stringify(a1));
  // The icons are served by the hub.
  const iconOk = await a.evaluate(async () => (await fetch("/icons/older.svg")).headers.get("content-type"));
  if (iconOk !== "image/svg+xml") throw new Error("icon: " + iconOk);

  step("the urgent protection request is an alert on both consoles");
  for (const p of [a, b]) {
    await p.waitForSelector('#protection:not([hidden]) .protection-alert[data-label="B-002"]');
    const text = await p.textContent("#protection");
    if (!text.includes("B-002") || !text.includes("Kreyòl ayisyen") || !text.includes("09:00")) throw new Error("alert: " + text);
  }
  // Nothing on the page overflows at 1024 px.
  const overflow = await a.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (overflow > 0) throw new Error("the page is " + overflow + " px too wide at 1024");
  await a.screenshot({ path: process.env.SHOT_DIR + "/console-protection-alert-1024-es.png", fullPage: true });

  step("one receptionist acknowledges: the alert goes from every console");
  await a.click('.protection-alert[data-label="B-002"] button');
  await a.waitForSelector("#protection", { state: "hidden" });
  await b.waitForSelector("#protection", { state: "hidden" });

  step("called: the class and language stay under the number");
  await a.click("#call-next");
  await a.waitForFunction(() => document.querySelector("#current-label")?.textContent === "B-001");
  await a.click("#call-next");
  await a.waitForFunction(() => document.querySelector("#current-label")?.textContent === "B-002");
  const who = await a.textContent("#current .who");
  if (!who.includes("Necesito protección urgente") || !who.includes("Kreyòl ayisyen") || !who.includes("discreto")) throw new Error("current: " + who);
  await a.screenshot({ path: process.env.SHOT_DIR + "/console-discreet-current-1024-es.png", fullPage: true });

  step("the coordinator makes a priority discreet on the admin pages; consoles alert at once");
  const adm = await desk(process.env.ADMIN_PIN, "Coordinación", 1280);
  await adm.goto(url + "/admin");
  await adm.waitForSelector("#pages:not([hidden])");
  await adm.click('#classes tr[data-code="pregnant"] button');
  await adm.waitForSelector("#class-form:not([hidden])");
  if (await adm.isChecked("#p-class-discreet")) throw new Error("pregnant starts discreet");
  await adm.check("#p-class-discreet");
  await adm.click("#class-form button[type=submit]");
  await adm.waitForSelector("#class-form", { state: "hidden" });
  await adm.waitForFunction(() => document.querySelector('#classes tr[data-code="pregnant"]').textContent.includes("discreto"));
  // A new ticket of that class now alerts every console.
  const issued = await adm.evaluate(async () => {
    const r = await fetch("/api/v1/tickets", { method: "POST", headers: { "Content-Type": "application/json", Authorization: "Bearer " + localStorage.getItem("integra.token") }, body: JSON.stringify({ service: "legal", lang: "es", priority: "pregnant" }) });
    return (await r.json()).label;
  });
  for (const p of [a, b]) await p.waitForSelector(`.protection-alert[data-label="${issued}"]`);

  step("a protected room cannot lose its public name");
  await adm.click('#counters tr[data-id="5"] button');
  await adm.waitForSelector("#counter-form:not([hidden])");
  if ((await adm.inputValue("#c-public")) !== "Recepción") throw new Error("public name not shown");
  await adm.fill("#c-public", "");
  await adm.click("#counter-form button[type=submit]");
  await adm.waitForFunction(() => document.querySelector("#error").textContent.includes("public_name"));
  await adm.click("#c-cancel");
  step("the kiosk limits are set on the admin pages");
  await adm.fill("#l-tickets", "30");
  await adm.click("#limits-form button[type=submit]");
  await adm.waitForFunction(() => document.querySelector("#ok").textContent.length > 3);
  const limits = await adm.evaluate(async () => {
    const r = await fetch("/api/v1/catalog", { headers: { Authorization: "Bearer " + localStorage.getItem("integra.token") } });
    return (await r.json()).limits;
  });
  if (!limits || limits.tickets_per_minute !== 30) throw new Error("limits: " + JSON.stringify(limits));
  await adm.screenshot({ path: process.env.SHOT_DIR + "/admin-safeguarding-1280-es.png", fullPage: true });
  if (failed) throw new Error("page errors or outside requests (see above)");
  console.log("E2E OK");
} catch (e) {
  console.log("E2E FAILED: " + e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
}
