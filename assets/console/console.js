// Integra staff console: pair once, pick a counter, call and serve visitors. Plain JavaScript,
// served by the hub; no internet needed. Updates live from the hub's event stream.
"use strict";

const STATE_IDS = {
  waiting: "console-state-waiting",
  called: "console-state-called",
  serving: "console-state-serving",
  booked: "console-state-booked",
  checked_in: "console-state-checked_in",
  cancelled: "console-state-cancelled",
  missed: "console-state-missed",
};
const ALERT_IDS = {
  "paper-out": "console-alert-paper-out",
  "paper-near-end": "console-alert-paper-near-end",
  "cover-open": "console-alert-cover-open",
  "printer-offline": "console-alert-printer-offline",
  "printer-unreachable": "console-alert-printer-unreachable",
  "device-offline": "console-alert-device-offline",
  "storage-failed": "console-alert-storage-failed",
  "city-link-down": "console-alert-city-link-down",
  "backup-missing": "console-alert-backup-missing",
  "standby-behind": "console-alert-standby-behind",
  "standby-offline": "console-alert-standby-offline",
  "device-clock": "console-alert-device-clock",
  "clock-unsure": "console-alert-clock-unsure",
  "audio-failed": "console-alert-audio-failed",
  "new-day": "console-alert-new-day",
};

let view = null;
let socket = null;
let lastSeq = 0;
let refreshTimer = null;
let retry = 500;
let role = null;
let protection = [];
const ROLE_IDS = {
  kiosk: "console-role-kiosk",
  counter: "console-role-counter",
  display: "console-role-display",
  admin: "console-role-admin",
};

const counter = () => store.getItem("integra.counter") || "";

async function api(method, path, body) {
  const res = await call(method, path, body);
  if (res.status === 401 && path !== "/api/v1/pair") {
    store.removeItem("integra.token");
    showPairing();
  }
  return answer(res);
}

function showError(e) {
  $("error").textContent = e ? e.message || String(e) : "";
}

function showPairing() {
  $("pairing").hidden = false;
  $("desk").hidden = true;
  if (socket) socket.close();
}

async function pair(ev) {
  ev.preventDefault();
  $("pair-error").textContent = "";
  try {
    const r = await api("POST", "/api/v1/pair", { pin: $("pin").value.trim(), name: $("device-name").value.trim() });
    store.setItem("integra.token", r.token);
    await start();
  } catch (e) {
    $("pair-error").textContent = e.message;
  }
}

async function start() {
  if (!token()) return showPairing();
  try {
    catalog = await api("GET", "/api/v1/catalog");
  } catch (e) {
    return;
  }
  $("pairing").hidden = true;
  $("desk").hidden = false;
  try {
    role = (await api("GET", "/api/v1/me")).role;
  } catch (e) {
    role = null;
  }
  $("admin").hidden = role !== "admin";
  const sel = $("counter");
  sel.innerHTML = "";
  for (const c of catalog.counters) sel.add(new Option(c.name, c.id, false, c.id === counter()));
  if (!counter() && catalog.counters.length) store.setItem("integra.counter", catalog.counters[0].id);
  fillServices();
  if (!$("book-date").value) $("book-date").value = centerDay();
  await refresh();
  await loadSlots();
  connect();
}

// Service lists in the current language (keeping what was chosen).
function fillServices() {
  if (!catalog) return;
  for (const id of ["transfer-to", "book-service"]) {
    const sel = $(id);
    const chosen = sel.value;
    sel.innerHTML = "";
    for (const s of catalog.services) sel.add(new Option(name(s.name), s.code, false, s.code === chosen));
  }
}

function myServices() {
  const c = catalog && catalog.counters.find((c) => c.id === counter());
  return c ? c.services : [];
}

function priorityClass(code) {
  return (catalog && code && catalog.priority.classes.find((c) => c.code === code)) || null;
}

// The priority class as icon + name (or the appointment time), for a ticket.
function classBadge(tk) {
  const span = document.createElement("span");
  const pc = priorityClass(tk.priority);
  if (pc) {
    span.className = "class" + (pc.discreet ? " urgent" : "");
    const img = document.createElement("img");
    img.src = "/icons/" + encodeURIComponent(pc.icon) + ".svg";
    img.alt = "";
    img.width = 22;
    img.height = 22;
    span.append(img, " " + name(pc.name));
  } else if (tk.priority) {
    span.className = "class";
    span.textContent = "★ " + t("console-priority");
  } else if (tk.appointment_time) {
    span.textContent = t("console-appointment") + " " + tk.appointment_time;
  }
  return span;
}

// The visitor's language, in its own words.
function langBadge(tk) {
  const span = document.createElement("span");
  span.className = "lang";
  span.lang = tk.lang;
  span.textContent = languages[tk.lang] || tk.lang;
  return span;
}

function discreetBadge(tk) {
  if (!tk.discreet) return "";
  const span = document.createElement("span");
  span.className = "discreet";
  span.textContent = t("console-discreet");
  return span;
}

// Times and dates are the center's (its catalog's time zone), whatever the browser's own zone:
// a laptop set to another zone must not book tomorrow or show the hour of another country.

function clock(iso) {
  try {
    return new Date(iso).toLocaleTimeString(lang() || "es", { timeZone: centerZone(), hour: "2-digit", minute: "2-digit" });
  } catch (e) {
    return new Date(iso).toLocaleTimeString();
  }
}

function dateTime(iso) {
  try {
    return new Date(iso).toLocaleString(lang() || "es", { timeZone: centerZone() });
  } catch (e) {
    return new Date(iso).toLocaleString();
  }
}

// Today in the center, as YYYY-MM-DD.
// Urgent protection requests: on every console until a staff member acknowledges them.
function renderProtection() {
  const box = $("protection");
  box.innerHTML = "";
  for (const a of protection) {
    const div = document.createElement("div");
    div.className = "protection-alert";
    div.dataset.label = a.label;
    const p = document.createElement("p");
    p.textContent = t("console-protection-alert").replace("{$ticket}", a.label).replace("{$since}", clock(a.since)).replace("{$lang}", languages[a.lang] || a.lang);
    const b = document.createElement("button");
    b.textContent = t("console-acknowledge");
    b.onclick = () => act("POST", "/api/v1/tickets/" + encodeURIComponent(a.label) + "/acknowledge");
    div.append(p, b);
    box.append(div);
  }
  box.hidden = protection.length === 0;
}

function render() {
  if (!view) return;
  const mine = myServices();
  const body = $("waiting").tBodies[0];
  body.innerHTML = "";
  const rows = view.services.filter((s) => mine.includes(s.code)).flatMap((s) => s.waiting);
  rows.sort((a, b) => (b.priority ? 1 : 0) - (a.priority ? 1 : 0) || a.issued_at.localeCompare(b.issued_at));
  for (const tk of rows) {
    const r = body.insertRow();
    r.dataset.label = tk.label;
    cell(r, tk.label, "label");
    // Service, then who: class (icon + name), language, discreet; then minutes and name.
    const td = r.insertCell();
    const svc = document.createElement("div");
    svc.className = "svc";
    svc.textContent = serviceName(tk.service);
    const who = document.createElement("div");
    who.className = "who";
    who.append(classBadge(tk), " ", langBadge(tk), " ", discreetBadge(tk));
    td.append(svc, who);
    const wait = cell(r, tk.waited_minutes + " " + t("console-minutes"), "num");
    if (tk.name) {
      const n = document.createElement("div");
      n.textContent = tk.name;
      wait.append(n);
    }
  }
  $("waiting-none").hidden = rows.length > 0;

  const c = view.counters.find((c) => c.id === counter());
  const cur = c && c.current;
  const box = $("current");
  box.innerHTML = "";
  if (cur) {
    const big = document.createElement("div");
    big.className = "ticket";
    big.id = "current-label";
    big.textContent = cur.label;
    const info = document.createElement("div");
    info.textContent = serviceName(cur.service) + " · " + t(STATE_IDS[cur.state] || cur.state) + (cur.name ? " · " + cur.name : "");
    const who = document.createElement("div");
    who.className = "who";
    who.append(classBadge(cur), " ", langBadge(cur), " ", discreetBadge(cur));
    box.append(big, info, who);
  } else {
    const p = document.createElement("p");
    p.textContent = t("console-nobody");
    box.append(p);
  }
  for (const id of ["recall", "start", "finish", "no-show", "reprint", "transfer"]) $(id).disabled = !cur;
  $("start").disabled = !cur || cur.state !== "called";
}

async function refresh() {
  try {
    view = await api("GET", "/api/v1/queue");
    render();
    const a = await api("GET", "/api/v1/appointments");
    renderAppointments(a.appointments);
    const al = await api("GET", "/api/v1/alerts");
    renderAlerts(al.alerts);
    protection = al.protection || [];
    renderProtection();
    if (role === "admin") renderDevices((await api("GET", "/api/v1/devices")).devices);
  } catch (e) {
    showError(e);
  }
}

function scheduleRefresh() {
  if (refreshTimer) return;
  refreshTimer = setTimeout(() => {
    refreshTimer = null;
    refresh();
  }, 50);
}

function renderAppointments(list) {
  const body = $("appointments").tBodies[0];
  body.innerHTML = "";
  for (const a of list) {
    const r = body.insertRow();
    cell(r, a.time.slice(0, 5), "label");
    cell(r, serviceName(a.service));
    cell(r, a.code);
    cell(r, (a.contact && a.contact.name) || "");
    cell(r, t(STATE_IDS[a.state] || a.state));
    const td = r.insertCell();
    if (a.state === "booked") {
      const b = document.createElement("button");
      b.textContent = t("console-check-in");
      b.onclick = () => act("POST", "/api/v1/check-in", { code: a.code });
      td.append(b);
    }
  }
  $("appointments-none").hidden = list.length > 0;
}

function renderDevices(list) {
  const body = $("devices").tBodies[0];
  body.innerHTML = "";
  for (const d of list) {
    if (d.revoked_at) continue;
    const r = body.insertRow();
    cell(r, d.name, "label");
    cell(r, t(ROLE_IDS[d.role] || d.role));
    cell(r, d.last_seen ? t("console-last-seen") + " " + dateTime(d.last_seen) : "");
    const b = document.createElement("button");
    b.textContent = t("console-revoke");
    b.onclick = () => act("POST", "/api/v1/devices/" + d.id + "/revoke");
    r.insertCell().append(b);
  }
}

async function makePin(ev) {
  ev.preventDefault();
  const r = await act("POST", "/api/v1/pairing-pins", { role: $("pin-role").value });
  if (r && r.pin) {
    $("pin-value").textContent = r.pin;
    $("pin-until").textContent = t("console-pin-valid-until") + " " + clock(r.expires_at);
    $("pin-until").dataset.at = r.expires_at;
    $("new-pin").hidden = false;
  }
}

// A day (YYYY-MM-DD) as the receptionist reads it: "Tuesday 8 December".
function dayName(d) {
  try {
    return new Date(d + "T12:00:00Z").toLocaleDateString(lang() || "es", { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" });
  } catch (e) {
    return d;
  }
}

function renderAlerts(list) {
  const ul = $("alerts");
  ul.innerHTML = "";
  for (const a of list) {
    const li = document.createElement("li");
    const words = ALERT_IDS[a.kind] ? t(ALERT_IDS[a.kind]) : a.message;
    li.textContent = a.device + ": " + (a.day ? words.replace("{$day}", dayName(a.day)) : words);
    li.title = a.message;
    // The clock says a later day but the hub cannot trust it: a coordinator starts the day.
    if (a.kind === "new-day" && a.day && role === "admin") {
      const b = document.createElement("button");
      b.textContent = t("console-start-day");
      b.onclick = () => act("POST", "/api/v1/day/start", { day: a.day });
      li.append(" ", b);
    }
    ul.append(li);
  }
  $("alerts-none").hidden = list.length > 0;
}

async function act(method, path, body) {
  showError(null);
  try {
    const r = await api(method, path, body);
    scheduleRefresh();
    return r;
  } catch (e) {
    showError(e);
  }
}

function current() {
  const c = view && view.counters.find((c) => c.id === counter());
  return c && c.current;
}

function ticketAction(action, body) {
  const cur = current();
  if (cur) act("POST", "/api/v1/tickets/" + encodeURIComponent(cur.label) + "/" + action, body);
}

// A finish or a no-show can be undone for 10 seconds (a tap on the wrong button): the hub
// puts the visitor back at this counter. The countdown ends a little before the hub's window.
let undoTimer = null;
const UNDO_IDS = { finish: "console-ended-done", "no-show": "console-ended-no-show" };

function hideUndo() {
  clearInterval(undoTimer);
  undoTimer = null;
  $("undo").hidden = true;
}

function offerUndo(label, action) {
  hideUndo();
  const deadline = Date.now() + 9500;
  const tick = () => {
    const left = Math.ceil((deadline - Date.now()) / 1000);
    if (left <= 0) return hideUndo();
    $("undo-text").textContent = label + " · " + t(UNDO_IDS[action]);
    $("undo-button").textContent = t("console-undo") + " (" + left + ")";
  };
  $("undo").dataset.label = label;
  $("undo").hidden = false;
  tick();
  undoTimer = setInterval(tick, 250);
}

async function endVisit(action) {
  const cur = current();
  if (!cur) return;
  const r = await act("POST", "/api/v1/tickets/" + encodeURIComponent(cur.label) + "/" + action);
  if (r) offerUndo(cur.label, action);
}

async function undo() {
  const label = $("undo").dataset.label;
  hideUndo();
  if (label) await act("POST", "/api/v1/tickets/" + encodeURIComponent(label) + "/reopen");
}

const callNext = () => {
  hideUndo();
  return act("POST", "/api/v1/counters/" + encodeURIComponent(counter()) + "/next");
};

async function loadSlots() {
  const service = $("book-service").value;
  const date = $("book-date").value;
  const sel = $("book-time");
  sel.innerHTML = "";
  if (!service || !date) return;
  try {
    const r = await api("GET", "/api/v1/slots?service=" + encodeURIComponent(service) + "&date=" + encodeURIComponent(date));
    for (const s of r.slots) if (s.free > 0) sel.add(new Option(s.time, s.time));
  } catch (e) {
    /* a service without appointments has no slots */
  }
  $("book-no-slots").hidden = sel.options.length > 0;
}

async function book(ev) {
  ev.preventDefault();
  const r = await act("POST", "/api/v1/appointments", {
    service: $("book-service").value,
    date: $("book-date").value,
    time: $("book-time").value,
    lang: lang() || "es",
    name: $("book-name").value || null,
    phone: $("book-phone").value || null,
  });
  if (r && r.code) {
    $("booked-code").textContent = r.code;
    $("booked").hidden = false;
    $("book-name").value = "";
    $("book-phone").value = "";
    loadSlots();
  }
}

function setLink(live) {
  const el = $("link");
  el.textContent = live ? "● " + t("console-live") : "○ " + t("console-reconnecting");
  el.className = live ? "link live" : "link down";
}

function connect() {
  if (socket) socket.close();
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  // The token goes in the first message, never in the address (addresses end up in logs).
  const url = proto + "//" + location.host + "/api/v1/events" + (lastSeq ? "?after=" + lastSeq : "");
  const ws = new WebSocket(url);
  socket = ws;
  ws.onopen = () => {
    ws.send(JSON.stringify({ type: "auth", token: token() }));
    retry = 500;
    setLink(true);
  };
  ws.onmessage = (m) => {
    let msg;
    try {
      msg = JSON.parse(m.data);
    } catch (e) {
      return;
    }
    if (msg.type === "alerts") {
      renderAlerts(msg.alerts);
      protection = msg.protection || [];
      renderProtection();
    }
    else {
      // A coordinator changed the center: new names, services and counters at once.
      if (msg.event && msg.event.type === "catalog_changed" && msg.event.catalog) {
        catalog = msg.event.catalog;
        fillServices();
      }
      if (msg.seq) lastSeq = msg.seq;
      scheduleRefresh();
    }
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    setLink(false);
    if (!token()) return;
    setTimeout(() => {
      if (socket === ws) {
        connect();
        scheduleRefresh();
      }
    }, retry);
    retry = Math.min(retry * 2, 5000);
  };
}

$("pair-form").addEventListener("submit", pair);
$("book-form").addEventListener("submit", book);
$("pin-form").addEventListener("submit", makePin);
$("book-service").addEventListener("change", loadSlots);
$("book-date").addEventListener("change", loadSlots);
$("call-next").addEventListener("click", callNext);
$("recall").addEventListener("click", () => ticketAction("recall"));
$("start").addEventListener("click", () => ticketAction("start"));
$("finish").addEventListener("click", () => endVisit("finish"));
$("no-show").addEventListener("click", () => endVisit("no-show"));
$("undo-button").addEventListener("click", undo);
$("reprint").addEventListener("click", () => ticketAction("reprint"));
$("transfer").addEventListener("click", () => ticketAction("transfer", { to: $("transfer-to").value }));
$("counter").addEventListener("change", (e) => {
  store.setItem("integra.counter", e.target.value);
  render();
});
$("lang").addEventListener("change", async (e) => {
  store.setItem("integra.lang", e.target.value);
  await loadStrings();
  fillServices();
  render();
  refresh();
});
$("unpair").addEventListener("click", async () => {
  // Revoked on the hub, not only forgotten here: a copied token stops working too.
  try {
    await api("POST", "/api/v1/me/unpair");
  } catch (e) {
    /* already unpaired: forget it anyway */
  }
  store.removeItem("integra.token");
  showPairing();
});
document.addEventListener("keydown", (e) => {
  if (e.key === "F2" || (e.altKey && (e.key === "n" || e.key === "N"))) {
    e.preventDefault();
    if (!$("desk").hidden) callNext();
  }
});

loadStrings().then(start);
