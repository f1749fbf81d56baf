// The hub's setup page: the technician types the setup code written in the hub's integra.toml
// once, and this browser becomes the center's first admin (then the admin page opens). Plain
// JavaScript served by the hub; nothing from the internet.
"use strict";

// What the page says for each state the hub reports (GET /api/v1/setup).
const STATES = {
  used: "setup-used",
  "no-code": "setup-no-code",
  "no-code-admin": "setup-no-code-admin",
};
// The hub's refusals this page words itself (others show the hub's own message).
const REFUSALS = {
  "wrong-setup-code": "setup-wrong",
  "setup-code-used": "setup-used",
  "no-setup-code": "setup-no-code",
};

async function show() {
  let state = "";
  try {
    state = (await answer(await call("GET", "/api/v1/setup"))).state;
  } catch (e) {
    $("error").textContent = e.message;
  }
  $("setup-form").hidden = state !== "ready";
  $("state").textContent = STATES[state] ? t(STATES[state]) : "";
}

async function pair(ev) {
  ev.preventDefault();
  $("error").textContent = "";
  const res = await call("POST", "/api/v1/setup", { code: $("code").value, name: $("device-name").value.trim() });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const code = data.error && data.error.code;
    $("error").textContent = REFUSALS[code] ? t(REFUSALS[code]) : (data.error && data.error.message) || res.statusText;
    if (code === "setup-code-used") await show();
    return;
  }
  store.setItem("integra.token", data.token);
  $("setup-form").hidden = true;
  $("ok").textContent = t("setup-done");
  window.location.assign("/admin");
}

$("setup-form").addEventListener("submit", pair);
$("lang").addEventListener("change", async (e) => {
  store.setItem("integra.lang", e.target.value);
  await loadStrings();
  await show();
});
loadStrings().then(show);
