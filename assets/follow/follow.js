// The follow page: keeps the visitor's number live without reloading (a long poll on the same
// address with Accept: application/json), rings and vibrates when the visitor is called, and
// sends the one feedback question. Plain ES5 for old phone browsers; nothing fetched elsewhere.
(function () {
  "use strict";
  var main = document.getElementById("follow");
  if (!main) { return; }
  var token = main.getAttribute("data-token");
  var lang = main.getAttribute("data-lang");
  var version = main.getAttribute("data-version");
  var state = main.getAttribute("data-state");
  var audio = null;

  function text(id, value) {
    var el = document.getElementById(id);
    if (el && el.textContent !== value) { el.textContent = value; }
  }

  function ring() {
    if (navigator.vibrate) { try { navigator.vibrate([400, 200, 400, 200, 400]); } catch (e) { /* not allowed */ } }
    if (!audio) { return; }
    try {
      var t = audio.currentTime;
      [0, 0.35, 0.7].forEach(function (at, i) {
        var o = audio.createOscillator();
        var g = audio.createGain();
        o.frequency.value = i === 2 ? 1046 : 784;
        g.gain.setValueAtTime(0.0001, t + at);
        g.gain.exponentialRampToValueAtTime(0.5, t + at + 0.02);
        g.gain.exponentialRampToValueAtTime(0.0001, t + at + 0.3);
        o.connect(g); g.connect(audio.destination);
        o.start(t + at); o.stop(t + at + 0.32);
      });
    } catch (e) { /* no sound here */ }
  }

  function show(v) {
    version = v.version;
    text("number", v.label || "");
    text("headline", v.headline || "");
    text("detail", v.detail || "");
    main.className = "state-" + v.state;
    var form = document.getElementById("feedback");
    if (form) { form.hidden = v.feedback !== "open"; }
    if (v.state === "called" && state !== "called") { ring(); }
    var sound = document.getElementById("sound");
    if (sound && v.state !== "waiting" && v.state !== "called") { sound.hidden = true; }
    state = v.state;
    main.setAttribute("data-state", state);
  }

  function get(url, done, fail) {
    var x = new XMLHttpRequest();
    x.open("GET", url, true);
    x.setRequestHeader("Accept", "application/json");
    x.timeout = 40000;
    x.onload = function () {
      if (x.status === 200) {
        try { done(JSON.parse(x.responseText)); } catch (e) { fail(x.status); }
      } else { fail(x.status); }
    };
    x.onerror = function () { fail(0); };
    x.ontimeout = function () { fail(0); };
    x.send();
  }

  var delay = 1000;
  function poll() {
    get("/f/" + token + "?lang=" + lang + "&wait=" + encodeURIComponent(version), function (v) {
      delay = 1000;
      show(v);
      if (v.state === "done" || v.state === "no-show" || v.state === "cancelled" || v.state === "day_ended") {
        if (v.feedback !== "open") { return; }
      }
      setTimeout(poll, 200);
    }, function (status) {
      if (status === 404) { window.location.reload(); return; }
      // Away from the Wi-Fi, or the hub restarting: try again, a little later each time.
      delay = Math.min(delay * 2, 15000);
      setTimeout(poll, delay);
    });
  }

  var button = document.getElementById("sound");
  var Ctx = window.AudioContext || window.webkitAudioContext;
  if (button && Ctx && (state === "waiting" || state === "called")) {
    button.hidden = false;
    button.addEventListener("click", function () {
      try { audio = audio || new Ctx(); if (audio.resume) { audio.resume(); } } catch (e) { audio = null; }
      ring();
      button.hidden = true;
    });
  }

  var form = document.getElementById("feedback");
  if (form && window.JSON) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var rating = form.querySelector("input[name=rating]:checked");
      if (!rating) { return; }
      var body = { rating: parseInt(rating.value, 10) };
      ["waited_too_long", "not_understood", "got_what_needed"].forEach(function (k) {
        var box = form.querySelector("input[name=" + k + "]");
        body[k] = !!(box && box.checked);
      });
      var x = new XMLHttpRequest();
      x.open("POST", "/f/" + token + "/feedback", true);
      x.setRequestHeader("Content-Type", "application/json");
      x.onload = function () {
        form.hidden = true;
        get("/f/" + token + "?lang=" + lang, show, function () {});
      };
      x.send(JSON.stringify(body));
    });
  }

  poll();
}());
