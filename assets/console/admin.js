// Integra admin pages: the center's services, counters, slots, activities, fairness and
// retention; reports; a visitor's data on request; the audit log. Plain JavaScript served by
// the hub, nothing from the internet. Uses the token the console stored when paired as admin.
"use strict";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const MODES = {
  "walk-in": "admin-mode-walk-in",
  appointment: "admin-mode-appointment",
  activity: "admin-mode-activity",
};
const OPS = {
  put_service: "admin-op-put_service",
  remove_service: "admin-op-remove_service",
  put_counter: "admin-op-put_counter",
  remove_counter: "admin-op-remove_counter",
  put_activity: "admin-op-put_activity",
  remove_activity: "admin-op-remove_activity",
  set_fairness: "admin-op-set_fairness",
  set_retention: "admin-op-set_retention",
  put_priority_class: "admin-op-put_priority_class",
  set_limits: "admin-op-set_limits",
  acknowledged: "admin-op-acknowledged",
  file: "admin-op-file",
  erase: "admin-op-erase",
  paired: "admin-op-paired",
  revoked: "admin-op-revoked",
  "visitor-cancel": "admin-op-visitor-cancel",
  "backup-downloaded": "admin-op-backup-downloaded",
  "clock-set": "admin-op-clock-set",
  "clock-confirmed": "admin-op-clock-confirmed",
  "setup-code": "admin-op-setup-code",
  "setup-code-wrong": "admin-op-setup-code-wrong",
};
const TRUSTS = {
  synced: "admin-clock-synced",
  confirmed: "admin-clock-confirmed",
  unsure: "admin-clock-unsure",
};
// The hub's clock as last read, and when (this computer's clock) it was read.
let hubClock = null;
let hubClockRead = 0;
let icons = [];
let editing = null;
let personalCode = null;


async function api(method, path, body) {
  return answer(await call(method, path, body));
}

function say(ok, err) {
  $("ok").textContent = ok || "";
  $("error").textContent = err ? err.message || String(err) : "";
}

// One catalog change; on success every device has it, and the page shows the new catalog.
async function edit(body) {
  try {
    const r = await api("POST", "/api/v1/admin/catalog", body);
    catalog = r.catalog;
    render();
    await loadAudit();
    say(t("admin-saved"));
    return true;
  } catch (e) {
    say("", e);
    return false;
  }
}

function button(parent, id, onclick) {
  const b = document.createElement("button");
  b.type = "button";
  b.textContent = t(id);
  b.className = "quiet";
  b.onclick = onclick;
  parent.appendChild(b);
  return b;
}

function remove(body) {
  if (window.confirm(t("admin-confirm-remove"))) edit(body);
}

function render() {
  $("retention").value = catalog.center.retention_days;
  $("max-overtakes").value = catalog.priority.max_overtakes;
  $("max-wait").value = catalog.priority.max_wait_minutes || 0;
  const limits = catalog.limits || { wrong_codes_per_minute: 5, tickets_per_minute: 12, bookings_per_hour: 12 };
  $("l-wrong").value = limits.wrong_codes_per_minute;
  $("l-tickets").value = limits.tickets_per_minute;
  $("l-bookings").value = limits.bookings_per_hour;
  const pb = $("classes").tBodies[0];
  pb.innerHTML = "";
  for (const c of catalog.priority.classes) {
    const r = pb.insertRow();
    r.dataset.code = c.code;
    cell(r, name(c.name));
    cell(r, c.discreet ? t("admin-discreet") : "");
    const td = r.insertCell();
    button(td, "admin-edit", () => classForm(c));
  }
  const sb = $("services").tBodies[0];
  sb.innerHTML = "";
  for (const s of catalog.services) {
    const r = sb.insertRow();
    r.dataset.code = s.code;
    cell(r, s.prefix);
    cell(r, name(s.name) + (s.discreet ? " · " + t("admin-discreet") : ""));
    cell(r, s.modes.map((m) => t(MODES[m])).join(", "));
    const td = r.insertCell();
    button(td, "admin-edit", () => serviceForm(s));
    button(td, "admin-remove", () => remove({ op: "remove_service", code: s.code }));
  }
  const cb = $("counters").tBodies[0];
  cb.innerHTML = "";
  for (const c of catalog.counters) {
    const r = cb.insertRow();
    r.dataset.id = c.id;
    cell(r, c.id);
    cell(r, c.name + (c.public_name ? " (" + c.public_name + ")" : ""));
    cell(r, c.services.map(serviceName).join(", "));
    const td = r.insertCell();
    button(td, "admin-edit", () => counterForm(c));
    button(td, "admin-remove", () => remove({ op: "remove_counter", id: c.id }));
  }
  const ab = $("activities").tBodies[0];
  ab.innerHTML = "";
  for (const a of catalog.activities || []) {
    const r = ab.insertRow();
    cell(r, name(a.title));
    cell(r, (a.weekdays || []).map((d) => t("weekday-" + d)).concat(a.dates || []).join(", ") + " · " + a.start);
    cell(r, a.place);
    cell(r, a.seats);
    const td = r.insertCell();
    button(td, "admin-edit", () => activityForm(a));
    button(td, "admin-remove", () => remove({ op: "remove_activity", code: a.code }));
  }
}

function checkbox(parent, value, checked, label) {
  const l = document.createElement("label");
  l.className = "check";
  const i = document.createElement("input");
  i.type = "checkbox";
  i.value = value;
  i.checked = checked;
  l.appendChild(i);
  l.appendChild(document.createTextNode(" " + label));
  parent.appendChild(l);
  return i;
}

function input(parent, label, value, attrs) {
  const l = document.createElement("label");
  const s = document.createElement("span");
  s.textContent = label;
  const i = document.createElement("input");
  i.value = value === undefined || value === null ? "" : value;
  Object.assign(i, attrs || {});
  l.appendChild(s);
  l.appendChild(i);
  parent.appendChild(l);
  return i;
}

function clear(fieldset) {
  for (const el of [...fieldset.children]) if (el.tagName !== "LEGEND") el.remove();
}

function showIcon() {
  const icon = icons.find((i) => i.name === $("s-icon").value);
  $("s-icon-preview").innerHTML = icon ? icon.svg : "";
}

// The service form: new (s = null) or editing one.
function serviceForm(s) {
  editing = s;
  const f = $("service-form");
  f.hidden = false;
  $("s-code").value = s ? s.code : "";
  $("s-code").readOnly = !!s;
  $("s-prefix").value = s ? s.prefix : "";
  const icon = $("s-icon");
  icon.innerHTML = "";
  for (const i of icons) icon.add(new Option(i.name, i.name, false, s && s.icon === i.name));
  showIcon();
  const modes = s ? s.modes : ["walk-in"];
  $("s-walk-in").checked = modes.includes("walk-in");
  $("s-appointment").checked = modes.includes("appointment");
  $("s-activity").checked = modes.includes("activity");
  $("s-discreet").checked = !!(s && s.discreet);
  const texts = $("s-texts");
  clear(texts);
  for (const l of catalog.center.languages) {
    input(texts, t("admin-name") + " (" + l + ")", s ? s.name[l] : "", { maxLength: 80 }).dataset.name = l;
    input(texts, t("admin-description") + " (" + l + ")", s ? s.description[l] : "", { size: 50, maxLength: 120 }).dataset.description = l;
  }
  const hours = $("s-hours");
  clear(hours);
  for (const d of DAYS) {
    input(hours, t("weekday-" + d), s && s.hours && s.hours[d] ? s.hours[d].join(", ") : "", { size: 28 }).dataset.day = d;
  }
  const counters = $("s-counters");
  clear(counters);
  for (const c of catalog.counters) checkbox(counters, c.id, !!s && c.services.includes(s.code), c.name);
  const a = s && s.appointments;
  $("s-slot-minutes").value = a ? a.slot_minutes : "";
  $("s-capacity").value = a ? a.capacity : "";
  const rules = $("s-weekday-rules");
  rules.innerHTML = "";
  for (const d of DAYS) {
    const rule = a && a.weekdays && a.weekdays[d];
    const row = document.createElement("div");
    row.className = "actions";
    const title = document.createElement("strong");
    title.textContent = t("weekday-" + d);
    row.appendChild(title);
    input(row, t("admin-slot-minutes"), rule ? rule.slot_minutes : "", { type: "number", min: 5, max: 480 }).dataset.slotDay = d;
    input(row, t("admin-capacity"), rule ? rule.capacity : "", { type: "number", min: 1, max: 100 }).dataset.capDay = d;
    rules.appendChild(row);
  }
  f.scrollIntoView();
}

function spans(text) {
  return text.split(/[,;]/).map((x) => x.trim().replace(/\s*-\s*/, "-")).filter((x) => x);
}

async function saveService(ev) {
  ev.preventDefault();
  const s = editing ? JSON.parse(JSON.stringify(editing)) : { bring: {} };
  s.code = $("s-code").value.trim();
  s.prefix = $("s-prefix").value.trim().toUpperCase();
  s.icon = $("s-icon").value;
  s.modes = [["s-walk-in", "walk-in"], ["s-appointment", "appointment"], ["s-activity", "activity"]]
    .filter(([id]) => $(id).checked).map(([, m]) => m);
  if ($("s-discreet").checked) s.discreet = true;
  else delete s.discreet;
  s.name = {};
  s.description = {};
  for (const i of $("s-texts").querySelectorAll("input")) {
    if (i.dataset.name) s.name[i.dataset.name] = i.value.trim();
    if (i.dataset.description) s.description[i.dataset.description] = i.value.trim();
  }
  s.hours = {};
  for (const i of $("s-hours").querySelectorAll("input")) {
    const list = spans(i.value);
    if (list.length) s.hours[i.dataset.day] = list;
  }
  const slot = parseInt($("s-slot-minutes").value, 10);
  const cap = parseInt($("s-capacity").value, 10);
  if (slot || cap) {
    const a = Object.assign({}, s.appointments || {}, { slot_minutes: slot || 0, capacity: cap || 0, weekdays: {} });
    for (const d of DAYS) {
      const sm = parseInt(document.querySelector(`[data-slot-day="${d}"]`).value, 10);
      const c = parseInt(document.querySelector(`[data-cap-day="${d}"]`).value, 10);
      if (sm || c) a.weekdays[d] = { slot_minutes: sm || slot || 0, capacity: c || cap || 0 };
    }
    s.appointments = a;
  } else {
    delete s.appointments;
  }
  const counters = [...$("s-counters").querySelectorAll("input:checked")].map((i) => i.value);
  if (await edit({ op: "put_service", service: s, counters })) $("service-form").hidden = true;
}

function counterForm(c) {
  $("counter-form").hidden = false;
  $("c-id").value = c ? c.id : "";
  $("c-id").readOnly = !!c;
  $("c-name").value = c ? c.name : "";
  $("c-public").value = c && c.public_name ? c.public_name : "";
  const box = $("c-services");
  clear(box);
  for (const s of catalog.services) checkbox(box, s.code, !!c && c.services.includes(s.code), name(s.name));
}

async function saveCounter(ev) {
  ev.preventDefault();
  const counter = {
    id: $("c-id").value.trim(),
    name: $("c-name").value.trim(),
    services: [...$("c-services").querySelectorAll("input:checked")].map((i) => i.value),
  };
  const pub = $("c-public").value.trim();
  if (pub) counter.public_name = pub;
  if (await edit({ op: "put_counter", counter })) $("counter-form").hidden = true;
}

// A priority class: its names, icon, and whether it is discreet (never shown in public; staff
// are alerted at once).
function classForm(c) {
  editing = c;
  $("class-form").hidden = false;
  $("p-class-code").value = c ? c.code : "";
  $("p-class-code").readOnly = !!c;
  const icon = $("p-class-icon");
  icon.innerHTML = "";
  for (const i of icons) icon.add(new Option(i.name, i.name, false, c && c.icon === i.name));
  $("p-class-discreet").checked = !!(c && c.discreet);
  const box = $("p-class-names");
  clear(box);
  for (const l of catalog.center.languages) {
    input(box, t("admin-name") + " (" + l + ")", c ? c.name[l] : "", { maxLength: 80 }).dataset.name = l;
  }
  $("class-form").scrollIntoView();
}

async function saveClass(ev) {
  ev.preventDefault();
  const c = { code: $("p-class-code").value.trim(), icon: $("p-class-icon").value, name: {} };
  for (const i of $("p-class-names").querySelectorAll("input")) c.name[i.dataset.name] = i.value.trim();
  if ($("p-class-discreet").checked) c.discreet = true;
  if (await edit({ op: "put_priority_class", class: c })) $("class-form").hidden = true;
}

function activityForm(a) {
  editing = a;
  $("activity-form").hidden = false;
  $("a-code").value = a ? a.code : "";
  $("a-code").readOnly = !!a;
  const sel = $("a-service");
  sel.innerHTML = "";
  for (const s of catalog.services.filter((x) => x.modes.includes("activity")))
    sel.add(new Option(name(s.name), s.code, false, a && a.service === s.code));
  const titles = $("a-titles");
  clear(titles);
  for (const l of catalog.center.languages)
    input(titles, l, a ? a.title[l] : "", { size: 40, maxLength: 80 }).dataset.title = l;
  $("a-place").value = a ? a.place : "";
  const days = $("a-weekdays");
  clear(days);
  for (const d of DAYS) checkbox(days, d, !!a && (a.weekdays || []).includes(d), t("weekday-" + d));
  $("a-dates").value = a ? (a.dates || []).join(", ") : "";
  $("a-start").value = a ? a.start : "";
  $("a-minutes").value = a ? a.minutes : 60;
  $("a-seats").value = a ? a.seats : 10;
}

async function saveActivity(ev) {
  ev.preventDefault();
  const title = {};
  for (const i of $("a-titles").querySelectorAll("input")) title[i.dataset.title] = i.value.trim();
  const activity = {
    code: $("a-code").value.trim(),
    service: $("a-service").value,
    title,
    place: $("a-place").value.trim(),
    weekdays: [...$("a-weekdays").querySelectorAll("input:checked")].map((i) => i.value),
    dates: $("a-dates").value.split(",").map((x) => x.trim()).filter((x) => x),
    start: $("a-start").value,
    minutes: parseInt($("a-minutes").value, 10),
    seats: parseInt($("a-seats").value, 10),
  };
  if (await edit({ op: "put_activity", activity })) $("activity-form").hidden = true;
}

// Reports: the page's own dates, shown in a frame (no script runs in it) or saved as CSV.
// Days and times are the center's (its catalog's time zone), not the browser's.

// YYYY-MM-DD plus n days (calendar days: no time zone involved).
function addDays(day, n) {
  return new Date(Date.parse(day + "T00:00:00Z") + n * 86400000).toISOString().slice(0, 10);
}

function period(days) {
  const to = centerDay();
  $("r-from").value = addDays(to, -(days - 1));
  $("r-to").value = to;
}

function reportPath(format) {
  return `/api/v1/reports?from=${$("r-from").value}&to=${$("r-to").value}&format=${format}&lang=${lang()}`;
}

async function showReport(ev) {
  if (ev) ev.preventDefault();
  const res = await call("GET", reportPath("html"));
  if (!res.ok) {
    const data = await res.json().catch(() => ({}));
    return say("", new Error((data.error && data.error.message) || res.statusText));
  }
  say("");
  $("report").srcdoc = await res.text();
  $("report").hidden = false;
}

async function downloadCsv() {
  const res = await call("GET", reportPath("csv"));
  if (!res.ok) return say("", new Error(res.statusText));
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = `integra-report-${$("r-from").value}-${$("r-to").value}.csv`;
  document.body.appendChild(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

// A visitor's data on request.
async function showPersonal(ev) {
  ev.preventDefault();
  const code = $("p-code").value.trim();
  const dl = $("personal");
  dl.innerHTML = "";
  $("p-erase").hidden = true;
  try {
    const r = await api("GET", "/api/v1/personal/" + encodeURIComponent(code));
    const rec = r.appointment || r.signup;
    personalCode = code;
    const row = (k, v) => {
      const dt = document.createElement("dt");
      dt.textContent = k;
      const dd = document.createElement("dd");
      dd.textContent = v;
      dl.append(dt, dd);
    };
    row(t("admin-personal-code"), rec.code);
    row(t("admin-name"), (rec.contact && rec.contact.name) || "–");
    row(t("admin-personal-phone"), (rec.contact && rec.contact.phone) || "–");
    row(t("admin-personal-date"), rec.date + (rec.time ? " " + rec.time.slice(0, 5) : ""));
    dl.hidden = false;
    const kept = rec.contact && (rec.contact.name || rec.contact.phone);
    $("p-erase").hidden = !kept;
    say(kept ? "" : t("admin-personal-nothing"));
  } catch (e) {
    say("", e);
  }
}

async function erasePersonal() {
  try {
    await api("POST", "/api/v1/personal/" + encodeURIComponent(personalCode) + "/erase");
    $("personal").hidden = true;
    $("p-erase").hidden = true;
    say(t("admin-personal-erased"));
    await loadAudit();
  } catch (e) {
    say("", e);
  }
}

// The automatic backups: the last one (when, where, how big), what is wrong, a restore.
async function loadBackup() {
  const b = await api("GET", "/api/v1/admin/backup");
  const when = (at) => new Date(at).toLocaleString(lang() || "es", { timeZone: centerZone() });
  if (!b.dir) $("b-last").textContent = t("admin-backup-off");
  else if (!b.last) $("b-last").textContent = t("admin-backup-none");
  else {
    const mb = (b.last.bytes / 1048576).toFixed(1) + " MB";
    $("b-last").textContent = t("admin-backup-last")
      .replace("%1", when(b.last.at)).replace("%2", b.last.file).replace("%3", mb);
  }
  $("b-problem").hidden = !b.problem;
  $("b-problem").textContent = b.problem ? t("admin-backup-problem").replace("%1", b.problem) : "";
  $("b-restored").hidden = !b.restored;
  if (b.restored) {
    $("b-restored").textContent = t("admin-backup-restored")
      .replace("%1", b.restored.file).replace("%2", when(b.restored.at));
  }
}

async function downloadBackup() {
  const res = await call("GET", "/api/v1/admin/backup/file");
  if (!res.ok) {
    const data = await res.json().catch(() => ({}));
    return say("", new Error((data.error && data.error.message) || res.statusText));
  }
  const name = (res.headers.get("content-disposition") || "").split("filename=\"")[1];
  const url = URL.createObjectURL(await res.blob());
  const a = document.createElement("a");
  a.href = url;
  a.download = name ? name.replace(/"$/, "") : "integra-backup.sqlite3";
  document.body.appendChild(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
  await loadAudit();
}

// Every paired device: its version, when it was last seen, and its doctor's lines (✘ first,
// each with its fix), as it last sent them.
async function loadDevices() {
  const r = await api("GET", "/api/v1/devices");
  const body = $("devices").tBodies[0];
  body.innerHTML = "";
  const when = (at) => new Date(at).toLocaleString(lang() || "es", { timeZone: centerZone() });
  const MARKS = { fail: "✘", warn: "!", pass: "✔", skip: "–" };
  const ORDER = { fail: 0, warn: 1, pass: 2, skip: 3 };
  const hub = { name: t("admin-device-hub"), role: "hub", doctor: r.hub && r.hub.doctor };
  for (const d of [hub, ...r.devices]) {
    if (d.revoked_at) continue;
    const row = body.insertRow();
    cell(row, d === hub ? d.name : d.name + " (" + d.role + ")");
    cell(row, d.doctor ? d.doctor.version : "–");
    cell(row, d === hub ? "–" : d.last_seen ? when(d.last_seen) : t("admin-device-never"));
    const checks = row.insertCell();
    if (!d.doctor) {
      checks.textContent = t("admin-device-no-report");
      continue;
    }
    const lines = [...d.doctor.lines].sort((a, b) => ORDER[a.mark] - ORDER[b.mark]);
    const list = document.createElement("ul");
    for (const l of lines) {
      const li = document.createElement("li");
      li.textContent = MARKS[l.mark] + " " + l.what + ": " + l.detail + (l.fix ? " — " + l.fix : "");
      if (l.mark === "fail") li.className = "error";
      list.appendChild(li);
    }
    checks.appendChild(list);
    const at = document.createElement("small");
    at.textContent = t("admin-device-checked").replace("%1", when(d.doctor.at));
    checks.appendChild(at);
  }
}

async function loadAudit() {
  const r = await api("GET", "/api/v1/admin/audit?limit=200");
  const body = $("audit").tBodies[0];
  body.innerHTML = "";
  for (const e of r.entries) {
    const row = body.insertRow();
    cell(row, new Date(e.at).toLocaleString(lang() || "es", { timeZone: centerZone() }));
    cell(row, t(OPS[e.op] || "admin-op-file").replace("%1", e.target || ""));
    cell(row, e.op === "file" ? t("admin-op-file-device") : e.by || "–");
  }
}

// "The hub says …, this computer says …", both in the center's time zone, every second.
function showClock() {
  if (!hubClock) return;
  const opts = {
    timeZone: centerZone(), weekday: "long", day: "numeric", month: "long", year: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  };
  const hub = new Date(Date.parse(hubClock.now) + (Date.now() - hubClockRead));
  $("clock-hub").textContent = hub.toLocaleString(lang() || "es", opts);
  $("clock-computer").textContent = new Date().toLocaleString(lang() || "es", opts);
  $("clock-trust").textContent = t(TRUSTS[hubClock.trust] || "admin-clock-unsure");
  $("clock-trust").className = hubClock.trust === "unsure" ? "error" : "hint";
}

async function loadClock() {
  hubClock = await api("GET", "/api/v1/admin/clock");
  hubClockRead = Date.now();
  showClock();
}

// Set the hub to this computer's clock, or confirm the hub's: audited, the alert clears.
async function clockAction(body) {
  try {
    const r = await api("POST", "/api/v1/admin/clock", body);
    hubClock = r.clock;
    hubClockRead = Date.now();
    showClock();
    await loadAudit();
    say(t("admin-clock-done"));
  } catch (e) {
    say("", e);
  }
}

async function start() {
  await loadStrings();
  let me = null;
  try {
    me = token() ? await api("GET", "/api/v1/me") : null;
  } catch (e) {
    me = null;
  }
  if (!me || me.role !== "admin") {
    $("not-admin").hidden = false;
    return;
  }
  catalog = await api("GET", "/api/v1/catalog");
  icons = (await api("GET", "/api/v1/admin/icons")).icons;
  $("pages").hidden = false;
  render();
  period(7);
  await loadClock();
  setInterval(showClock, 1000);
  setInterval(loadClock, 60000);
  await loadAudit();
  await loadBackup();
  await loadDevices();
  setInterval(loadDevices, 60000);
}

$("lang").onchange = async () => {
  store.setItem("integra.lang", $("lang").value);
  await loadStrings();
  if (catalog) {
    render();
    showClock();
    await loadAudit();
    await loadBackup();
    await loadDevices();
  }
};
$("center-form").onsubmit = (ev) => {
  ev.preventDefault();
  edit({ op: "set_retention", days: parseInt($("retention").value, 10) });
};
$("limits-form").onsubmit = (ev) => {
  ev.preventDefault();
  edit({
    op: "set_limits",
    limits: {
      wrong_codes_per_minute: parseInt($("l-wrong").value, 10),
      tickets_per_minute: parseInt($("l-tickets").value, 10),
      bookings_per_hour: parseInt($("l-bookings").value, 10),
    },
  });
};
$("new-class").onclick = () => classForm(null);
$("class-form").onsubmit = saveClass;
$("p-class-cancel").onclick = () => { $("class-form").hidden = true; };
$("fairness-form").onsubmit = (ev) => {
  ev.preventDefault();
  edit({ op: "set_fairness", max_overtakes: parseInt($("max-overtakes").value, 10), max_wait_minutes: parseInt($("max-wait").value, 10) });
};
$("new-service").onclick = () => serviceForm(null);
$("service-form").onsubmit = saveService;
$("s-cancel").onclick = () => { $("service-form").hidden = true; };
$("s-icon").onchange = showIcon;
$("new-counter").onclick = () => counterForm(null);
$("counter-form").onsubmit = saveCounter;
$("c-cancel").onclick = () => { $("counter-form").hidden = true; };
$("new-activity").onclick = () => activityForm(null);
$("activity-form").onsubmit = saveActivity;
$("a-cancel").onclick = () => { $("activity-form").hidden = true; };
$("report-form").onsubmit = showReport;
$("r-day").onclick = () => period(1);
$("r-week").onclick = () => period(7);
$("r-month").onclick = () => period(30);
$("r-csv").onclick = downloadCsv;
$("personal-form").onsubmit = showPersonal;
$("p-erase").onclick = erasePersonal;
$("b-download").onclick = downloadBackup;
$("clock-set").onclick = () => clockAction({ action: "set", time: new Date().toISOString() });
$("clock-confirm").onclick = () => clockAction({ action: "confirm" });
start();
