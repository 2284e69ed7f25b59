/* The shelter page (/shelter, docs/adr/0021): a worker, on one device and
 * often offline, works for many people in turn.
 *
 *  - first use: the worker protects the device with their passkey (PRF) or a PIN;
 *  - locked (at load, by "Verrouiller", after inactivity): nothing about any
 *    person is in memory or on screen; the hand-over list shows counts only;
 *  - unlocked: the person picker, "Nouvelle personne" (paper mandate), and the
 *    picked person's files — everything drawn, queued and kept is that
 *    person's, encrypted under their key; switching person redraws it all;
 *  - sync whenever unlocked and online (shelter-sync.js).
 */
(function () {
  "use strict";
  var S = window.Sesame;
  var gettext = S.gettext;
  var format = S.format;
  var vault = S.vault;
  var store = S.shelterStore;
  var syncer = S.shelterSync;
  var html = document.documentElement;
  var worker = html.getAttribute("data-account") || "";
  var dataElement = document.getElementById("shelter-data");
  if (!worker || !dataElement) return;
  var data = JSON.parse(dataElement.textContent);
  var $ = function (selector, root) { return (root || document).querySelector(selector); };
  var sections = { setup: $("#shelter-setup"), locked: $("#shelter-locked"), work: $("#shelter-work"), person: $("#shelter-person") };
  var status = $("[data-shelter-status]");
  var current = null; // the person picked
  var record = null; // this worker's vault record
  var lockTimer = null;
  var lockMinutes = data.default_lock_minutes;
  var prfPossible = !!(window.PublicKeyCredential && navigator.credentials);

  var KINDS = {
    "person.create": gettext("nouvelle personne et mandat papier"),
    "file.create": gettext("dossier"),
    "file.update": gettext("information"),
    "piece.attach": gettext("pièce"),
    "message.send": gettext("message"),
  };
  var STATES = {
    pending: gettext("en attente d’envoi"),
    sent: gettext("envoyé"),
    refused: gettext("refusé : à revoir"),
    revoked: gettext("non envoyé — mandat retiré"),
  };

  function say(text) { status.textContent = text || ""; }
  function show(name) {
    ["setup", "locked", "work"].forEach(function (k) { sections[k].hidden = k !== name; });
  }
  function clear(element) { while (element.firstChild) element.removeChild(element.firstChild); }
  function item(text) {
    var li = document.createElement("li");
    li.textContent = text;
    return li;
  }
  function problem(error) {
    if (error && error.kind === "wrong_secret") return gettext("Ce code ne déverrouille pas cet appareil. Réessayez.");
    if (error && error.kind === "no_prf") return gettext("Votre clé d’accès ne permet pas de chiffrer sur cet appareil. Choisissez un code à la place.");
    if (error && error.name === "NotAllowedError") return gettext("La clé d’accès n’a pas été utilisée. Réessayez.");
    return gettext("Cela n’a pas marché. Rien n’est perdu : réessayez.");
  }

  /* -- locking ---------------------------------------------------------------- */
  function lock() {
    clearTimeout(lockTimer);
    vault.lock();
    current = null;
    // Nothing of anyone stays on screen.
    clear($("[data-people]"));
    clear($("[data-files]"));
    clear($("[data-handover]")); // drawn again below, with counts only
    $("[data-person-name]").textContent = "";
    $("[data-person-mandate]").textContent = "";
    sections.person.hidden = true;
    $("[data-new-person]").reset();
    showLocked();
    renderHandover();
  }

  function activity() {
    if (!vault.unlocked()) return;
    clearTimeout(lockTimer);
    lockTimer = setTimeout(function () {
      lock();
      say(gettext("Verrouillé après une période sans activité. Rien n’a été effacé."));
    }, lockMinutes * 60 * 1000);
  }
  ["pointerdown", "keydown", "input"].forEach(function (name) { document.addEventListener(name, activity, true); });

  function showLocked() {
    show("locked");
    $("[data-unlock-prf]").hidden = record.method !== "prf";
    $("[data-unlock-pin]").hidden = record.method !== "pin";
  }

  function unlocked() {
    show("work");
    drawChangePin();
    $("#pin-unlock").value = "";
    say("");
    activity();
    renderPeople().then(renderHandover).then(syncNow);
  }

  /* -- first use ---------------------------------------------------------------- */
  function begin(made) {
    return made.then(function (kept) {
      record = kept;
      return store.keepVault(kept);
    }).then(function () {
      $("[data-setup-pin]").reset();
      unlocked();
    }, function (error) { say(problem(error)); });
  }
  $("[data-setup-prf]").addEventListener("click", function () {
    say(gettext("Utilisez votre clé d’accès…"));
    begin(vault.setupPrf(worker)).then(function () {
      if (record && record.method === "prf") say(gettext("Cet appareil est protégé par votre clé d’accès."));
    });
  });
  $("[data-setup-pin]").addEventListener("submit", function (event) {
    event.preventDefault();
    var pin = $("#pin-new").value;
    if (!/^\d{6,}$/.test(pin)) return say(gettext("Le code doit compter au moins 6 chiffres."));
    if (pin !== $("#pin-again").value) return say(gettext("Les deux codes ne sont pas les mêmes."));
    say(gettext("Protection de l’appareil…"));
    begin(vault.setupPin(worker, pin));
  });

  /* -- unlocking ---------------------------------------------------------------- */
  $("[data-unlock-prf]").addEventListener("click", function () {
    vault.unlock(record).then(unlocked, function (error) { say(problem(error)); });
  });
  $("[data-unlock-pin]").addEventListener("submit", function (event) {
    event.preventDefault();
    say(gettext("Déverrouillage…"));
    // The record as kept now: the code may have been changed in another tab.
    store.vaultOf(worker).then(function (kept) {
      record = kept || record;
      return vault.unlock(record, $("#pin-unlock").value);
    }).then(unlocked, function (error) {
      $("#pin-unlock").value = "";
      say(problem(error));
    });
  });
  $("[data-lock]").addEventListener("click", function () {
    lock();
    say(gettext("Appareil verrouillé. Rien n’a été effacé."));
  });

  /* -- people ---------------------------------------------------------------- */
  function renderPeople() {
    return store.people(worker).then(function (people) {
      if (!vault.unlocked()) return [];
      var list = $("[data-people]");
      clear(list);
      var active = people.filter(function (p) { return p.state === "active"; });
      $("[data-people-empty]").hidden = active.length > 0;
      active.forEach(function (p) {
        var li = document.createElement("li");
        var button = document.createElement("button");
        button.type = "button";
        button.className = "link-button";
        button.textContent = p.display_name;
        button.setAttribute("data-person", p.id);
        if (p.id === current) button.setAttribute("aria-current", "true");
        button.addEventListener("click", function () { pick(p.id); });
        li.appendChild(button);
        list.appendChild(li);
      });
      if (current && !active.some(function (p) { return p.id === current; })) {
        current = null;
        sections.person.hidden = true;
        clear($("[data-files]"));
      }
      return people;
    });
  }

  function pick(id) {
    current = id;
    return renderPeople().then(renderPerson).then(function () { $("#person-title").focus(); });
  }

  var until = new Date();
  until.setFullYear(until.getFullYear() + 1);
  $("#np-until").value = until.toISOString().slice(0, 10);

  $("[data-new-person]").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var file = form.scan.files[0];
    var name = form.display_name.value.trim();
    if (!file || !name) return;
    var id = S.uuid();
    var canAct = form.querySelector("input[name=can_act]:checked").value === "1";
    var expires = form.expires_at.value; // a day: the mandate ends at its end
    var mandate = { file_id: null, can_act: canAct, expires_at: expires };
    say(gettext("Enregistrement…"));
    S.compress.prepare(file).then(function (ready) {
      return store.keepPerson(worker, id, { display_name: name, language: form.language.value, mandate: mandate }, false).then(function () {
        return store.keepBlob(worker, id, ready.data, ready.name, ready.type);
      });
    }).then(function (blob) {
      return store.queue(worker, id, "person.create", {
        person_id: id,
        display_name: name,
        language: form.language.value,
        mandate: Object.assign({ paper_blob: blob.sha256 }, mandate),
      }, { blobs: [blob.id], label: name });
    }).then(function () {
      form.reset();
      $("#np-until").value = until.toISOString().slice(0, 10);
      $("[data-new-person-box]").open = false;
      say(gettext("Personne enregistrée sur cet appareil."));
      return pick(id);
    }).then(changed, function (error) { say(problem(error)); });
  });

  /* -- the person picked ------------------------------------------------------- */
  function fileTitle(file) {
    var p = data.procedures.filter(function (x) { return x.id === file.procedure; })[0];
    var label = p ? p.label : file.procedure;
    return file.number ? label + " — " + file.number : label;
  }

  /* The person's files, from what the server sent and what waits here. */
  function view(holdings) {
    var files = {}, order = [];
    function fileOf(id) {
      if (!files[id]) {
        files[id] = { id: id, procedure: "", number: "", state: "sent", values: {}, pieces: {}, messages: {} };
        order.push(id);
      }
      return files[id];
    }
    holdings.records.forEach(function (r) {
      if (r.type === "file") Object.assign(fileOf(r.id), { procedure: r.data.procedure, number: r.data.number, status: r.data.status });
      else if (r.type === "field") fileOf(r.data.file_id).values[r.data.name] = { value: r.data.value, state: "sent" };
      else if (r.type === "attachment" && !r.data.removed_at) fileOf(r.data.file_id).pieces[r.id] = { piece: r.data.piece, name: r.data.filename, state: "sent" };
      else if (r.type === "message") fileOf(r.data.file_id).messages[r.id] = { body: r.data.body, state: "sent" };
    });
    holdings.commands.forEach(function (c) {
      var a = c.command.args;
      if (c.command.op === "file.create") {
        var f = fileOf(a.file_id);
        if (!f.procedure) f.procedure = a.procedure;
        if (c.state !== "sent") f.state = c.state;
      } else if (c.command.op === "file.update") {
        Object.keys(a.fields).forEach(function (k) { fileOf(a.file_id).values[k] = { value: a.fields[k], state: c.state }; });
      } else if (c.command.op === "piece.attach") {
        fileOf(a.file_id).pieces[a.attachment_id] = { piece: a.piece, name: a.filename, state: c.state };
      } else if (c.command.op === "message.send") {
        fileOf(a.file_id).messages[a.message_id] = { body: a.body, state: c.state };
      }
    });
    return order.map(function (id) { return files[id]; });
  }

  function labelled(form, suffix) {
    form.querySelectorAll("[data-id]").forEach(function (el) { el.id = "f-" + el.getAttribute("data-id") + "-" + suffix; });
    form.querySelectorAll("label[data-for]").forEach(function (el) { el.htmlFor = "f-" + el.getAttribute("data-for") + "-" + suffix; });
  }

  function drawFile(file, index, canAct) {
    var node = document.getElementById("file-template").content.firstElementChild.cloneNode(true);
    labelled(node, index);
    node.setAttribute("data-file", file.id);
    $("[data-file-title]", node).textContent = fileTitle(file);
    $("[data-file-state]", node).textContent = STATES[file.state] || "";
    var procedure = data.procedures.filter(function (x) { return x.id === file.procedure; })[0];
    var select = $("select[name=piece]", node);
    (procedure ? procedure.pieces : []).forEach(function (p) {
      var option = document.createElement("option");
      option.value = p.id;
      option.textContent = p.label;
      select.appendChild(option);
    });
    var fieldLabels = {};
    data.fields.forEach(function (f) { fieldLabels[f.name] = f.label; });
    Object.keys(file.values).forEach(function (k) {
      $("[data-values]", node).appendChild(item((fieldLabels[k] || k) + " : " + file.values[k].value + " (" + STATES[file.values[k].state] + ")"));
    });
    Object.keys(file.pieces).forEach(function (k) {
      var p = file.pieces[k];
      var label = procedure && procedure.pieces.filter(function (x) { return x.id === p.piece; })[0];
      $("[data-pieces]", node).appendChild(item((label ? label.label : p.piece) + " : " + p.name + " (" + STATES[p.state] + ")"));
    });
    Object.keys(file.messages).forEach(function (k) {
      $("[data-messages]", node).appendChild(item(file.messages[k].body + " (" + STATES[file.messages[k].state] + ")"));
    });
    // A mandate to view only: what is there is shown, nothing can be done.
    node.querySelectorAll("form").forEach(function (form) { form.hidden = !canAct; });
    wire(node, file);
    return node;
  }

  function wire(node, file) {
    $("[data-field]", node).addEventListener("submit", function (event) {
      event.preventDefault();
      var fields = {};
      fields[event.target.field.value] = event.target.value.value.trim();
      store.queue(worker, current, "file.update", { file_id: file.id, fields: fields }).then(changed);
    });
    $("[data-piece]", node).addEventListener("submit", function (event) {
      event.preventDefault();
      var form = event.target;
      var chosen = form.file.files[0];
      if (!chosen) return;
      var person = current;
      say(gettext("Enregistrement…"));
      S.compress.prepare(chosen).then(function (ready) {
        return store.keepBlob(worker, person, ready.data, ready.name, ready.type);
      }).then(function (blob) {
        return store.queue(worker, person, "piece.attach", {
          file_id: file.id, piece: form.piece.value, blob: blob.sha256, filename: blob.name, attachment_id: S.uuid(),
        }, { blobs: [blob.id] });
      }).then(function () { say(gettext("Pièce gardée sur cet appareil.")); }).then(changed, function (error) { say(problem(error)); });
    });
    $("[data-message]", node).addEventListener("submit", function (event) {
      event.preventDefault();
      var body = event.target.body.value.trim();
      if (!body) return;
      store.queue(worker, current, "message.send", { file_id: file.id, message_id: S.uuid(), body: body, attachments: [] }).then(changed);
    });
  }

  function renderPerson() {
    var person = current;
    if (!person || !vault.unlocked()) return Promise.resolve();
    return Promise.all([store.people(worker), store.holdings(worker, person)]).then(function (found) {
      if (person !== current || !vault.unlocked()) return; // switched or locked meanwhile: draw nothing
      var about = found[0].filter(function (p) { return p.id === person; })[0];
      if (!about) return;
      sections.person.hidden = false;
      $("[data-person-name]").textContent = about.display_name;
      var m = about.mandate || {};
      var date = m.expires_at ? new Date(m.expires_at).toLocaleDateString(html.lang) : "";
      $("[data-person-mandate]").textContent = format(
        m.can_act ? gettext("Mandat : agir pour la personne, jusqu’au %(date)s.") : gettext("Mandat : consulter seulement, jusqu’au %(date)s."),
        { date: date });
      $("[data-new-file]").hidden = !m.can_act;
      var files = view(found[1]);
      var box = $("[data-files]");
      clear(box);
      files.forEach(function (f, i) { box.appendChild(drawFile(f, i, !!m.can_act)); });
      $("[data-files-empty]").hidden = files.length > 0;
    });
  }

  $("[data-new-file]").addEventListener("submit", function (event) {
    event.preventDefault();
    store.queue(worker, current, "file.create", { file_id: S.uuid(), procedure: event.target.procedure.value, grounds: [] }).then(changed);
  });

  /* -- hand-over: what has not left, per person --------------------------------- */
  var handoverDrawn = 0;
  function renderHandover() {
    var drawing = ++handoverDrawn;
    return store.unsent(worker).then(function (rows) {
      var names = vault.unlocked() ? store.people(worker).catch(function () { return []; }) : Promise.resolve([]);
      return names.then(function (people) {
        // A later drawing (after a lock, say) wins: never a name on a locked screen.
        if (drawing !== handoverDrawn) return;
        var open = vault.unlocked();
        var byId = {};
        if (open) people.forEach(function (p) { byId[p.id] = p.display_name; });
        var list = $("[data-handover]");
        clear(list);
        $("[data-handover-empty]").hidden = rows.length > 0;
        rows.forEach(function (row, i) {
          var li = document.createElement("li");
          li.className = "card";
          li.setAttribute("data-handover-person", row.person);
          var title = document.createElement("p");
          var strong = document.createElement("strong");
          strong.textContent = byId[row.person] || format(gettext("Personne n° %(n)s"), { n: i + 1 });
          title.appendChild(strong);
          li.appendChild(title);
          var kinds = document.createElement("ul");
          Object.keys(row.kinds).forEach(function (k) {
            kinds.appendChild(item(format(gettext("%(kind)s : %(n)s"), { kind: KINDS[k] || k, n: row.kinds[k] })));
          });
          li.appendChild(kinds);
          var state = document.createElement("p");
          state.className = "small";
          state.setAttribute("data-handover-state", "");
          if (row.revoked) state.textContent = format(gettext("Non envoyé — mandat retiré : %(n)s"), { n: row.revoked });
          else if (row.refused) state.textContent = format(gettext("Refusé, à revoir : %(n)s"), { n: row.refused });
          else state.textContent = format(gettext("En attente d’envoi : %(n)s"), { n: row.total });
          li.appendChild(state);
          if (row.revoked && open) {
            var discard = document.createElement("button");
            discard.type = "button";
            discard.className = "button button--secondary button--small";
            discard.textContent = gettext("Effacer définitivement");
            discard.addEventListener("click", function () {
              if (!window.confirm(gettext("Ce travail n’a pas été envoyé et ne pourra plus l’être : le mandat a été retiré. L’effacer de cet appareil ?"))) return;
              store.discard(worker, row.person).then(renderHandover);
            });
            li.appendChild(discard);
          } else if (row.refused && open) {
            var retry = document.createElement("button");
            retry.type = "button";
            retry.className = "button button--secondary button--small";
            retry.textContent = gettext("Renvoyer");
            retry.addEventListener("click", function () { retryRefused(row.person); });
            li.appendChild(retry);
          }
          list.appendChild(li);
        });
      });
    });
  }

  function retryRefused(person) {
    return store.mine("outbox", worker).then(function (entries) {
      return Promise.all(entries.filter(function (e) { return e.person === person && e.state === "refused"; }).map(function (e) {
        e.state = "pending";
        e.code = null;
        return store.put("outbox", e);
      }));
    }).then(changed);
  }

  /* -- sync ------------------------------------------------------------------- */
  var soon = null;
  function changed() {
    clearTimeout(soon);
    soon = setTimeout(syncNow, 300);
    return Promise.all([renderPerson(), renderHandover()]);
  }

  function syncNow() {
    if (!vault.unlocked()) return Promise.resolve();
    if (!navigator.onLine) {
      say(gettext("Hors connexion : ce que vous faites est gardé, chiffré, sur cet appareil, et partira au retour du réseau."));
      return Promise.resolve();
    }
    say(gettext("Envoi…"));
    return syncer.sync(worker).then(function (result) {
      if (result.ok) say(gettext("À jour avec Sésame."));
      else if (result.reason === "signed_out") say(gettext("Votre session a expiré. Reconnectez-vous : rien n’est perdu, tout reste chiffré sur cet appareil."));
      else if (result.reason === "locked") say("");
      else say(gettext("Hors connexion : ce que vous faites est gardé, chiffré, sur cet appareil, et partira au retour du réseau."));
      if (!vault.unlocked()) return null;
      html.setAttribute("data-shelter-synced", String(Date.now()));
      return renderPeople().then(renderPerson).then(renderHandover);
    });
  }
  $("[data-sync]").addEventListener("click", syncNow);
  window.addEventListener("online", syncNow);
  window.addEventListener("offline", function () { if (vault.unlocked()) syncNow(); });
  setInterval(function () { if (vault.unlocked() && navigator.onLine) syncNow(); }, 60000);

  /* -- settings ----------------------------------------------------------------- */
  var changing = $("[data-change-pin]");
  // Its own status line: the sync's news on the page's line must not cover what happened here.
  var changeStatus = $("[data-change-pin-status]");
  function tellChange(text) { changeStatus.textContent = text || ""; }
  changing.addEventListener("submit", function (event) {
    event.preventDefault();
    var pin = $("#pin-change-new").value;
    if (!/^\d{6,}$/.test(pin)) return tellChange(gettext("Le code doit compter au moins 6 chiffres."));
    if (pin !== $("#pin-change-again").value) return tellChange(gettext("Les deux codes ne sont pas les mêmes."));
    tellChange(record.method === "prf" ? gettext("Utilisez votre clé d’accès…") : gettext("Protection de l’appareil…"));
    store.vaultOf(worker).then(function (kept) {
      record = kept || record;
      return vault.changePin(record, $("#pin-current").value, pin);
    }).then(function (fresh) {
      return store.keepVault(fresh).then(function () {
        record = fresh;
        changing.reset();
        drawChangePin();
        tellChange(gettext("Le code est changé : l’ancien ne déverrouille plus cet appareil."));
      });
    }, function (error) {
      $("#pin-current").value = "";
      tellChange(error && error.kind === "wrong_secret" ? gettext("Le code actuel n’est pas le bon : rien n’a changé.") : problem(error));
    });
  });
  /* With a passkey, no current code to type: the passkey is asked instead. */
  function drawChangePin() {
    var prfRecord = !!record && record.method === "prf";
    $("[data-current-pin]").hidden = prfRecord;
    $("#pin-current").required = !prfRecord;
    $("[data-change-pin-title]").textContent = prfRecord
      ? gettext("Utiliser un code plutôt que ma clé d’accès")
      : gettext("Changer le code");
  }

  var minutes = $("[data-lock-minutes]");
  minutes.addEventListener("change", function () {
    lockMinutes = parseInt(minutes.value, 10) || data.default_lock_minutes;
    store.put("meta", lockMinutes, "lock-minutes:" + worker).then(activity);
  });

  /* This page holds no personal data: the service worker keeps it, so it opens
   * with no network (its scripts are precached). */
  function keepForOffline() {
    if (!navigator.serviceWorker) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) registration.active.postMessage({ type: "warm", urls: ["/shelter"] });
    });
  }

  /* -- start: always locked ----------------------------------------------------- */
  Promise.all([store.vaultOf(worker), store.get("meta", "lock-minutes:" + worker)]).then(function (found) {
    if (found[1]) {
      lockMinutes = found[1];
      minutes.value = String(found[1]);
    }
    record = found[0];
    if (!record) {
      show("setup");
      $("[data-setup-prf]").hidden = !prfPossible;
      // Where the browser can tell, offer the passkey only if it has PRF.
      if (prfPossible && PublicKeyCredential.getClientCapabilities) {
        PublicKeyCredential.getClientCapabilities().then(function (can) {
          if (can["extension:prf"] === false) $("[data-setup-prf]").hidden = true;
        }, function () { /* unknown: keep the offer; a failure falls back to the PIN */ });
      }
    } else {
      showLocked();
    }
    html.setAttribute("data-shelter-ready", "");
    keepForOffline();
    return renderHandover();
  });
})();
