// The staff console in headless Chromium, driven like a receptionist would use it.
// Run by tests/it/browser.rs, which starts the hub and answers on stdin:
//   env HUB_URL, PAIR_PIN, SHOT (screenshot path); prints "RESTART" and waits for a line
//   on stdin before checking that the console reconnected by itself.
import { chromium } from "playwright-core";
import * as readline from "node:readline";

const url = process.env.HUB_URL;
const pin = process.env.PAIR_PIN;
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
  if (!/^[0-9]{6}$/.test(newPin)) throw new Error("PIN: " + newPin);
  const paired = await admin.evaluate(async (pin) => {
    const r = await fetch("/api/v1/pair", { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ pin, name: "Lobby TV" }) });
    return (await r.json()).role;
  }, newPin);
  if (paired !== "display") throw new Error("paired as " + paired);
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
