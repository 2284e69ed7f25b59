/* The /outbox page: what waits on this device, what the server refused (with
 * what was typed), how much room it takes, and a file copy of it all.
 *
 * Export: a JSON file {sesame_outbox: 1, account, entries, blobs} with file
 * bodies in base64 (entries sent but not yet in the server's replica included,
 * as waiting ones); import adds back the entries this device does not have
 * (by command id) — sending them again is harmless, the server applies each id once.
 * Entries keep the account that made them.
 */
(function () {
  "use strict";
  var S = window.Sesame;
  var account = document.documentElement.getAttribute("data-account");
  if (!account || !S.outbox) return;
  var gettext = S.gettext;
  var format = S.format;
  var idb = S.idb;

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }

  var labelsElement = document.getElementById("field-labels");
  var labels = labelsElement ? JSON.parse(labelsElement.textContent) : {};

  /* What the person typed, readable: the filled-in values, with the form's labels. */
  function typed(args) {
    var lines = [];
    Object.keys(args).forEach(function (key) {
      var value = args[key];
      if (/_id$|^blob$|^procedure$|^grounds$|^title$/.test(key) || value === null || value === "") return;
      if (key === "fields") {
        Object.keys(value).forEach(function (k) {
          if (value[k] !== "") lines.push(format(gettext("%(label)s : %(value)s"), { label: labels[k] || k, value: value[k] }));
        });
      }
      else if (key === "attachments") value.forEach(function (a) { lines.push(a.filename); });
      else if (key === "body" || key === "reason" || key === "filename") lines.push(value);
    });
    return lines;
  }

  function card(entry) {
    var li = el("li", null, "card");
    li.appendChild(el("h3", entry.label, "h3"));
    li.appendChild(el("p", new Date(entry.command.at).toLocaleString(document.documentElement.lang, { dateStyle: "long", timeStyle: "short" }), "small"));
    var lines = typed(entry.command.args);
    if (lines.length) {
      var ul = el("ul", null, "small");
      lines.forEach(function (l) { ul.appendChild(el("li", l)); });
      li.appendChild(ul);
    }
    if (entry.state === "refused") {
      li.appendChild(el("p", (entry.reason && entry.reason.message) || gettext("Refusé par le serveur."), "error-text"));
      var actions = el("div", null, "actions");
      if (entry.page) {
        var edit = el("a", gettext("Corriger"), "button button--small");
        edit.href = entry.page + "?outbox=" + entry.key;
        actions.appendChild(edit);
      }
      var retry = el("button", gettext("Renvoyer tel quel"), "button button--small button--secondary");
      retry.type = "button";
      retry.onclick = function () { S.outbox.retry(entry).then(S.flush).then(render); };
      actions.appendChild(retry);
      var drop = el("button", gettext("Supprimer"), "button button--small button--danger");
      drop.type = "button";
      drop.onclick = function () {
        if (window.confirm(gettext("Supprimer définitivement cet élément ? Ce que vous aviez saisi sera perdu."))) S.outbox.remove(entry).then(render);
      };
      actions.appendChild(drop);
      li.appendChild(actions);
    }
    return li;
  }

  function render() {
    return Promise.all([S.outbox.list(), idb.all("blobs")]).then(function (both) {
      var entries = both[0].filter(function (e) { return e.account === account; });
      var pending = document.querySelector("[data-outbox-pending]");
      var refused = document.querySelector("[data-outbox-refused]");
      pending.textContent = "";
      refused.textContent = "";
      entries.forEach(function (e) { (e.state === "refused" ? refused : pending).appendChild(card(e)); });
      document.querySelector("[data-outbox-pending-empty]").hidden = pending.children.length > 0;
      document.querySelector("[data-outbox-refused-empty]").hidden = refused.children.length > 0;
      var bytes = both[1].reduce(function (sum, b) { return sum + (b.data ? b.data.byteLength : 0); }, 0);
      var line = format(gettext("Fichiers en attente sur cet appareil : %(size)s Mo."), { size: S.number(bytes / 1048576, 1) });
      var storage = document.querySelector("[data-outbox-storage]");
      if (navigator.storage && navigator.storage.estimate) {
        navigator.storage.estimate().then(function (e) {
          storage.textContent = line + " " + format(gettext("Place utilisée par le navigateur : %(used)s Mo sur %(quota)s Mo."), {
            used: S.number(e.usage / 1048576, 1),
            quota: S.number(e.quota / 1048576),
          });
        });
      } else {
        storage.textContent = line;
      }
    });
  }

  function toBase64(buffer) {
    var bytes = new Uint8Array(buffer);
    var parts = [];
    for (var i = 0; i < bytes.length; i += 0x8000) parts.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000)));
    return btoa(parts.join(""));
  }
  function fromBase64(text) {
    var binary = atob(text);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }

  document.querySelector("[data-outbox-send]").addEventListener("click", function () {
    S.flush().then(render);
  });

  document.querySelector("[data-outbox-export]").addEventListener("click", function () {
    Promise.all([S.outbox.list(), idb.all("blobs"), S.outbox.unsafe(account)]).then(function (both) {
      // Sent but not yet in the server's replica: kept in the copy too, to send again
      // (harmless: the server applies each id once).
      var unsafe = both[2].map(function (e) { return Object.assign({}, e, { state: "pending", ack: undefined }); });
      var entries = both[0].filter(function (e) { return e.account === account; }).concat(unsafe);
      var wanted = {};
      entries.forEach(function (e) { e.blobs.forEach(function (id) { wanted[id] = true; }); });
      var blobs = both[1].filter(function (b) { return wanted[b.id]; }).map(function (b) {
        return Object.assign({}, b, { data: toBase64(b.data || new ArrayBuffer(0)) });
      });
      var file = new Blob([JSON.stringify({ sesame_outbox: 1, account: account, entries: entries, blobs: blobs })], { type: "application/json" });
      var a = document.createElement("a");
      a.href = URL.createObjectURL(file);
      a.download = "sesame-en-attente-" + new Date().toISOString().slice(0, 10) + ".json";
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
    });
  });

  document.querySelector("[data-outbox-import]").addEventListener("change", function (event) {
    var chosen = event.target.files[0];
    if (!chosen) return;
    var storage = document.querySelector("[data-outbox-import-status]");
    chosen.text().then(JSON.parse).then(function (saved) {
      if (!saved || saved.sesame_outbox !== 1) throw new Error("format");
      return S.outbox.list().then(function (existing) {
        var known = {};
        existing.forEach(function (e) { known[e.command.id] = true; });
        var fresh = saved.entries.filter(function (e) { return !known[e.command.id]; });
        return idb.tx(["outbox", "blobs"], "readwrite", function (outbox, blobs) {
          saved.blobs.forEach(function (b) { blobs.put(Object.assign({}, b, { data: fromBase64(b.data) })); });
          fresh.forEach(function (e) {
            // Each entry stays with the account that made it: it is sent when that account signs in here.
            var copy = Object.assign({}, e, { account: e.account || saved.account });
            delete copy.key;
            outbox.put(copy);
          });
          return fresh.length;
        });
      });
    }).then(function (count) {
      storage.textContent = format(gettext("Éléments importés : %(n)s."), { n: count });
      return S.flush();
    }, function () {
      storage.textContent = gettext("Ce fichier n’est pas une sauvegarde de Sésame.");
    }).then(render);
  });

  /* One bar for everything being uploaded from this device. */
  var totals = {};
  var bar = document.getElementById("outbox-progress");
  document.addEventListener("outbox:progress", function (event) {
    var d = event.detail;
    totals[d.blob] = d;
    var done = 0, all = 0;
    Object.keys(totals).forEach(function (k) { done += totals[k].done; all += totals[k].total; });
    bar.max = all || 1;
    bar.value = done;
    bar.parentNode.hidden = done >= all;
  });

  ["sent", "refused", "removed", "queued", "idle"].forEach(function (type) {
    document.addEventListener("outbox:" + type, render);
  });
  render();
})();
