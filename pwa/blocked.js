/* "I'm blocked", with or without a network.
 *
 * The report form (<form data-blocked-form>) is sent in the background with an
 * id made here (the server records a report once per id):
 *  - signed in (an applicant): as the command "blocked.report" through the
 *    outbox, like every other change; sent, the page goes to its acknowledgement;
 *  - not signed in: kept first in a small queue in IndexedDB ("sesame-blocked"),
 *    then posted to /blocked/send; with no network it stays there and is sent
 *    when the network comes back (event "online", or the next visit of /blocked).
 * Until the server has it, the page says plainly that it is not sent yet: the
 * acknowledgement's number is given by the server, never made up here.
 * What was typed stays in the queue until the server has it.
 */
(function () {
  "use strict";
  var S = window.Sesame || {};
  var gettext = S.gettext || function (s) { return s; };
  var format = S.format || function (s, v) { return s.replace(/%\((\w+)\)s/g, function (_, k) { return v[k]; }); };
  var form = document.querySelector("[data-blocked-form]");
  var status = document.querySelector("[data-blocked-status]");
  if (!form || !status || !window.indexedDB) return;
  var dataEl = document.getElementById("blocked-data");
  var page = dataEl ? JSON.parse(dataEl.textContent) : {};
  var account = document.documentElement.getAttribute("data-account");
  var sending = false;

  function uuid() {
    if (S.uuid) return S.uuid();
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  /* -- the queue: one store, keyed by the report's id ------------------------ */
  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open("sesame-blocked", 1);
      req.onupgradeneeded = function () { req.result.createObjectStore("reports", { keyPath: "report_id" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function tx(mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction("reports", mode);
        var out = fn(t.objectStore("reports"));
        t.oncomplete = function () { db.close(); resolve(out && out.result !== undefined ? out.result : out); };
        t.onerror = function () { db.close(); reject(t.error); };
      });
    });
  }

  function all() { return tx("readonly", function (s) { return s.getAll(); }); }
  function put(entry) { return tx("readwrite", function (s) { s.put(entry); }); }

  /* -- what the page says ------------------------------------------------------ */
  function show(entries) {
    status.textContent = "";
    var shown = entries.filter(function (e) { return e.state !== "done"; });
    status.hidden = shown.length === 0;
    shown.forEach(function (e) {
      var box = document.createElement("div");
      var p = document.createElement("p");
      box.appendChild(p);
      if (e.state === "sent") {
        box.className = "alert alert--success";
        box.setAttribute("role", "status");
        p.textContent = format(gettext("Envoyé : accusé de réception n° %(number)s."), { number: e.number }) + " ";
        var a = document.createElement("a");
        a.href = e.url;
        a.textContent = gettext("Ouvrir l’accusé de réception");
        p.appendChild(a);
      } else if (e.state === "refused") {
        box.className = "alert alert--error";
        box.setAttribute("role", "alert");
        p.textContent = gettext("Le signalement n’a pas été accepté :") + " " + (e.message || "");
      } else {
        box.className = "alert alert--warning";
        box.setAttribute("role", "status");
        p.textContent = gettext("Pas encore envoyé — gardez cette page ; il sera envoyé dès votre retour en ligne. Le numéro de l’accusé de réception vous sera donné à ce moment-là.");
      }
      status.appendChild(box);
    });
  }

  function refresh() { return all().then(show).catch(function () {}); }

  /* -- anonymous: send what waits, in order --------------------------------- */
  function sendOne(entry) {
    return fetch("/blocked/send", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(Object.assign({ report_id: entry.report_id }, entry.args)),
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (body) {
        if (response.ok && body.number) {
          entry.state = "sent";
          entry.number = body.number;
          entry.url = body.url;
          entry.args = {}; // the server has it: nothing personal stays on the device
          return put(entry).then(function () { return entry; });
        }
        if (response.status === 400) {
          entry.state = "refused";
          entry.message = body.message || "";
          return put(entry).then(function () { return entry; });
        }
        throw new Error("retry later"); // rate limited, server busy: keep it
      });
    });
  }

  function flush() {
    if (sending) return Promise.resolve();
    sending = true;
    return all().then(function (entries) {
      var waiting = entries.filter(function (e) { return e.state === "pending"; });
      return waiting.reduce(function (chain, e) { return chain.then(function () { return sendOne(e); }); }, Promise.resolve());
    }).catch(function () { /* offline: it stays queued */ }).then(function () {
      sending = false;
      return refresh();
    });
  }

  function values() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "report_id" || el.type === "submit") return;
      if (el.type === "radio" && !el.checked) return;
      out[el.name] = el.value;
    });
    return out;
  }

  /* -- signed in: the outbox, like every other change ------------------------ */
  var outboxed = !!(page.signedIn && account && S.outbox);

  function outboxState() {
    return S.outbox.list().then(function (entries) {
      return entries.filter(function (e) { return e.command && e.command.op === "blocked.report"; }).map(function (e) {
        return { state: e.state === "refused" ? "refused" : "pending", message: e.reason && e.reason.message };
      });
    });
  }

  function viaOutbox(args) {
    return S.outbox.add(account, "blocked.report", args, { label: gettext("Je suis bloqué·e"), page: location.pathname })
      .then(function () { return S.flush(); })
      .then(outboxState)
      .then(show);
  }

  if (outboxed) {
    // Sent now or later (back online): the server gave the number; show the acknowledgement.
    S.outbox.on(function (event) {
      if (event.type !== "sent" || !event.entry || event.entry.command.op !== "blocked.report") return;
      location.assign("/blocked/by-id/" + event.entry.command.args.report_id);
    });
    outboxState().then(show);
  }

  form.addEventListener("submit", function (event) {
    var args = values();
    if (!args.kind) return; // the server says what is missing, on the form
    event.preventDefault();
    args.report_id = uuid();
    if (outboxed) {
      viaOutbox(args);
      return;
    }
    var entry = { report_id: args.report_id, args: args, state: "pending", at: new Date().toISOString() };
    delete entry.args.report_id;
    put(entry).then(function () {
      return sendOne(entry).then(function (sent) {
        if (sent.state === "sent") location.assign(sent.url + (sent.url.indexOf("?") === -1 ? "?" : "&") + "done=report_sent");
        else refresh();
      }, function () { return refresh(); });
    });
  });

  if (!outboxed) {
    window.addEventListener("online", flush);
    flush();
  }
})();
