// The staff console in headless Chromium, driven like a receptionist would use it.
// Run by tests/it/browser.rs, which starts the hub and answers on stdin:
//   env HUB_URL, PAIR_PIN, SHOT (screenshot path); prints "RESTART" and waits for a line
//   on stdin before checking that the console reconnected by itself.
import { chromium } from "playwright-core";
import * as readline from "node:readline";

const url = process.env.HUB_URL;
const pin = process.env.PAIR_PIN;
const SHOT_ADMIN = process.env.SHOT && process.env.SHOT.replace("console-", "admin-");
const lines = readline.createInterface({ input: process.stdin });
const nextLine = () => new Promise((resolve) => lines.once("line", resolve));

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
    // The hub's key, trusted once (as a technician does for a staff browser).
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
  // Nothing may be fetched from outside the hub.
  page.on("request", (r) => {
    if (!r.url().startsWith(url) && !r.url().startsWith(url.replace("http", "ws"))) {
      console.log("request outside the hub: " + r.url());
      failed = true;
    }
  });
  await page.goto(url + "/");
  step("pairing form in Spanish");
  await page.waitForSelector("#pairing:not([hidden])");
  const title = await page.textContent("#pairing h2");
  if (title.trim() !== "Conectar este computador") throw new Error("pairing title: " + title);

  step("a wrong PIN is refused with a message");
  await page.fill("#pin", "999999");
  await page.fill("#device-name", "Recepción PC 1");
  await page.click("#pair");
  await page.waitForFunction(() => document.querySelector("#pair-error").textContent.length > 10);

  step("pair with the PIN");
  await page.fill("#pin", pin);
  await page.click("#pair");
  await page.waitForSelector("#desk:not([hidden])");
  await page.selectOption("#counter", "1");
  await page.waitForSelector('#waiting tr[data-label="A-001"]');
  await page.waitForSelector('#waiting tr[data-label="A-002"]');
  await page.waitForSelector("#link.live");

  step("Call next: A-001 moves from the queue to my counter");
  await page.click("#call-next");
  await page.waitForFunction(() => document.querySelector("#current-label")?.textContent === "A-001");
  await page.waitForSelector('#waiting tr[data-label="A-001"]', { state: "detached" });

  step("visitor arrived, then F2 calls the next one");
  await page.click("#start");
  await page.waitForFunction(() => document.querySelector("#current")?.textContent.includes("en atención"));
  await page.keyboard.press("F2");
  await page.waitForFunction(() => document.querySelector("#current-label")?.textContent === "A-002");

  step("a mistaken no-show, then a mistaken finish, each undone within 10 s");
  for (const [button, word] of [["#no-show", "no se presentó"], ["#finish", "terminado"]]) {
    await page.click(button);
    await page.waitForSelector("#undo:not([hidden])");
    await page.waitForFunction(
      (word) => document.querySelector("#undo-text").textContent === "A-002 · " + word && /^Deshacer \([1-9]\)$/.test(document.querySelector("#undo-button").textContent),
      word,
    );
    await page.waitForFunction(() => !document.querySelector("#current-label"));
    await page.click("#undo-button");
    await page.waitForFunction(() => document.querySelector("#current-label")?.textContent === "A-002");
    if (!(await page.isHidden("#undo"))) throw new Error("the undo offer stays after undoing");
  }

  step("language switch to Haitian Creole");
  await page.selectOption("#lang", "ht");
  await page.waitForFunction(() => document.querySelector("#call-next").textContent === "Rele pwochen moun nan");
  // Service names follow the language too.
  await page.waitForFunction(() => document.querySelector("#transfer-to option[value=info]").textContent === "Enfòmasyon ak oryantasyon");

  step("the coordinator's page makes a PIN that pairs another computer");
  const admin = await browser.newPage();
  await admin.goto(url + "/");
  await admin.fill("#pin", process.env.ADMIN_PIN);
  await admin.fill("#device-name", "Coordinación");
  await admin.click("#pair");
  await admin.waitForSelector("#admin:not([hidden])");
  await admin.selectOption("#pin-role", "display");
  await admin.click("#make-pin");
  await admin.waitForSelector("#new-pin:not([hidden])");
  const newPin = (await admin.textContent("#pin-value")).trim();
  if (!/^[0-9]{8}$/.test(newPin)) throw new Error("PIN: " + newPin);
  const paired = await admin.evaluate(async (pin) => {
    const r = await fetch("/api/v1/pair", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ pin, name: "Lobby TV" }) });
    const p = await r.json();
    // The display sends its doctor's lines (as `integra run` does on the device).
    const d = await fetch("/api/v1/devices/doctor", {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + p.token },
      body: JSON.stringify({ version: "9.8.7", lines: [
        { mark: "pass", what: "settings", detail: "integra.toml is valid (role display)" },
        { mark: "fail", what: "display", detail: "no graphics device and no desktop session", fix: "check the HDMI cable" },
      ] }),
    });
    if (!d.ok) throw new Error("doctor report: " + d.status);
    return p.role;
  }, newPin);
  if (paired !== "display") throw new Error("paired as " + paired);
  step("the admin pages: retention, a service renamed, a bad change refused, report, audit");
  // The coordinator follows the link from the console (same browser, same stored token).
  const adm = admin;
  await adm.setViewportSize({ width: 1280, height: 900 });
  adm.on("pageerror", (e) => {
    console.log("admin page error: " + e.message);
    failed = true;
  });
  adm.on("console", (m) => console.log("admin console: " + m.text()));
  await adm.click('a[href="/admin"]');
  await adm.waitForSelector("#pages:not([hidden])", { timeout: 5000 }).catch(async (e) => {
    console.log("admin page shows: " + (await adm.textContent("main")).replace(/\s+/g, " ").slice(0, 300));
    throw e;
  });
  await adm.waitForFunction(() => document.querySelector("#pages h2").textContent === "Centro");
  // The devices panel: the display's version and its ✘ line with the fix, first.
  await adm.waitForFunction(() => {
    const row = [...document.querySelectorAll("#devices tbody tr")].find((r) => r.textContent.includes("Lobby TV"));
    return row && row.textContent.includes("9.8.7") && row.querySelector("li.error") &&
      row.querySelector("li").textContent === "✘ display: no graphics device and no desktop session — check the HDMI cable";
  }, null, { timeout: 5000 });
  await adm.fill("#retention", "45");
  await adm.click("#center-form button[type=submit]");
  await adm.waitForFunction(() => document.querySelector("#ok").textContent.startsWith("Guardado"));
  await adm.click("#services tbody tr:first-child button");
  await adm.waitForSelector("#service-form:not([hidden])");
  await adm.fill('#s-texts input[data-name="ht"]', "Biwo enfòmasyon");
  await adm.click("#service-form button[type=submit]");
  await adm.waitForSelector("#service-form", { state: "hidden" });
  // The receptionist's console shows the new name without a reload.
  await page.waitForFunction(() => document.querySelector("#transfer-to option[value=info]").textContent === "Biwo enfòmasyon");
  // A bad change (a ticket letter another service has) is refused with a message; nothing changes.
  await adm.click("#services tbody tr:first-child button");
  await adm.fill("#s-prefix", "B");
  await adm.click("#service-form button[type=submit]");
  await adm.waitForFunction(() => document.querySelector("#error").textContent.includes("prefix 'B'"));
  const prefix = await adm.evaluate(async () => {
    const r = await fetch("/api/v1/catalog", { headers: { Authorization: "Bearer " + localStorage.getItem("integra.token") } });
    return (await r.json()).services.find((s) => s.code === "info").prefix;
  });
  if (prefix !== "A") throw new Error("a refused change changed the prefix to " + prefix);
  await adm.click("#s-cancel");
  // Report of the last week, in a frame, with its charts.
  await adm.click("#r-week");
  await adm.click("#report-form button[type=submit]");
  await adm.waitForSelector("#report:not([hidden])");
  const svg = await adm.evaluate(() => document.querySelector("#report").srcdoc.includes("<svg"));
  if (!svg) throw new Error("the report has no chart");
  // The audit log lists both changes with this device.
  await adm.waitForFunction(() => document.querySelectorAll("#audit tbody tr").length >= 2);
  const audit = await adm.textContent("#audit tbody");
  if (!audit.includes("Coordinación") || !audit.includes("45")) throw new Error("audit: " + audit);
  // Backups: the panel says what it knows (this hub runs without settings: backups off), and
  // "Download backup" saves a backup file, recorded in the audit log.
  await adm.waitForFunction(() => document.querySelector("#b-last").textContent.length > 5);
  const [download] = await Promise.all([adm.waitForEvent("download"), adm.click("#b-download")]);
  if (!/^integra-backup-.*\.sqlite3$/.test(download.suggestedFilename())) {
    throw new Error("backup file named " + download.suggestedFilename());
  }
  await adm.waitForFunction(() => document.querySelector("#audit tbody").textContent.includes("Copia de seguridad descargada"));
  // An unknown code asked for: a clear message, nothing shown.
  await adm.fill("#p-code", "000000");
  await adm.click("#personal-form button[type=submit]");
  await adm.waitForFunction(() => document.querySelector("#error").textContent.length > 5);
  if (SHOT_ADMIN) await adm.screenshot({ path: SHOT_ADMIN, fullPage: true });
  // The clock: "the hub says …, this computer says …"; the coordinator confirms it (audited).
  await adm.waitForFunction(() => document.querySelector("#clock-hub").textContent.includes("2026"));
  if (!(await adm.textContent("#clock-computer")).match(/\d{2}:\d{2}/)) throw new Error("no computer time");
  await adm.click("#clock-confirm");
  await adm.waitForFunction(() => document.querySelector("#ok").textContent.startsWith("El reloj del hub"));
  await adm.waitForFunction(() => document.querySelector("#audit tbody").textContent.includes("Reloj del hub confirmado"));
  await adm.setViewportSize({ width: 1024, height: 768 });
  if (SHOT_ADMIN) {
    await adm.locator("#clock-panel").screenshot({ path: SHOT_ADMIN.replace(".png", "-clock-1024.png") });
    console.log("admin clock panel at 1024 px: " + (await adm.textContent("#clock-panel")).replace(/\s+/g, " "));
  }
  // The receptionist's page has no coordinator panel.
  if (!(await page.isHidden("#admin"))) throw new Error("a counter sees the admin panel");
  await admin.close();

  step("the hub restarts; the console reconnects by itself");
  const restarted = nextLine();
  console.log("RESTART");
  await page.waitForSelector("#link.down", { timeout: 10000 });
  await restarted;
  await page.waitForSelector("#link.live", { timeout: 15000 });
  // A ticket issued after the restart appears without a reload.
  await page.waitForSelector('#waiting tr[data-label="A-003"]', { timeout: 10000 });
  await page.click("#call-next");
  await page.waitForFunction(() => document.querySelector("#current-label")?.textContent === "A-003");
  if (process.env.SHOT) await page.screenshot({ path: process.env.SHOT, fullPage: true });
  if (failed) throw new Error("page errors or outside requests (see above)");
  console.log("E2E OK");
} catch (e) {
  console.log("E2E FAILED: " + e.message);
  process.exitCode = 1;
} finally {
  await browser.close();
  lines.close();
}
