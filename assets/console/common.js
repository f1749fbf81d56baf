// What the staff console and the admin pages share (loaded before each page's own script):
// the element lookup, the stored token and language, the strings in the chosen language, a
// catalog name in that language, the API call, table cells, and the center's day and time zone.
// Plain JavaScript served by the hub; nothing from the internet.
"use strict";

const $ = (id) => document.getElementById(id);
const store = window.localStorage;
let strings = {};
let catalog = null;
// Language code → its name in itself ("es" → "Español"), from the hub.
let languages = {};

const t = (id) => strings[id] || id;
const lang = () => store.getItem("integra.lang") || "";
const token = () => store.getItem("integra.token");

// A catalog name ({es: …, en: …}) in the chosen language, else the center's, else any.
function name(localized) {
  if (!localized) return "";
  return localized[lang()] || localized[catalog && catalog.center.default_language] || Object.values(localized)[0] || "";
}

function serviceName(code) {
  const s = catalog && catalog.services.find((x) => x.code === code);
  return s ? name(s.name) : code;
}

// A request to the hub with the token and the language; the raw response.
async function call(method, path, body) {
  const headers = { "Accept-Language": lang() || "es" };
  if (token()) headers["Authorization"] = "Bearer " + token();
  if (body !== undefined) headers["Content-Type"] = "application/json";
  return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
}

// The answer's JSON, or an Error carrying the hub's own message.
async function answer(res) {
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error((data.error && data.error.message) || res.statusText);
  return data;
}

// The strings in the chosen language (the hub's choice the first time), the language menu,
// and every element marked data-t.
async function loadStrings() {
  const res = await fetch("/api/v1/strings?lang=" + encodeURIComponent(lang()));
  const data = await res.json();
  strings = data.strings;
  if (!lang()) store.setItem("integra.lang", data.lang);
  document.documentElement.lang = data.lang;
  const sel = $("lang");
  sel.innerHTML = "";
  languages = {};
  for (const l of data.languages) {
    languages[l.code] = l.name;
    sel.add(new Option(l.name, l.code, false, l.code === data.lang));
  }
  for (const el of document.querySelectorAll("[data-t]")) el.textContent = t(el.dataset.t);
}

function cell(row, text, cls) {
  const td = row.insertCell();
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}

const centerZone = () => (catalog && catalog.center && catalog.center.timezone) || undefined;

// Today in the center's time zone, as YYYY-MM-DD.
function centerDay() {
  try {
    return new Intl.DateTimeFormat("en-CA", { timeZone: centerZone(), year: "numeric", month: "2-digit", day: "2-digit" }).format(new Date());
  } catch (e) {
    return new Date().toISOString().slice(0, 10);
  }
}
