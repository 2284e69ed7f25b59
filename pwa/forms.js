/* Forms become commands; pages show what still waits on the device.
 *
 * A <form data-op="file.update" data-next="/files/…/identity"> is not posted:
 * its values become a command in the outbox (with a new id), which is sent at
 * once. Sent: go to data-next, as the server would have redirected. Refused:
 * stay, say why (the command waits under "needs attention" with what was
 * typed). No network: go on all the same; the next page comes from the
 * device, with what waits shown on top of it. Files chosen in a form are
 * prepared on the phone (photos resized; blurry or dark ones questioned) and
 * queued for a resumable upload.
 *
 * On file pages (<html data-file-id>) pending changes are laid over the
 * server's values; on an editor shell (<html data-shell>, a file made on this
 * device) the whole page is filled from what the device knows.
 */
(function () {
  "use strict";
  var S = window.Sesame;
  var html = document.documentElement;

  /* A date typed in three boxes (<fieldset data-date="name">: name-day,
     name-month, name-year, name-approx) is one text, as the server keeps it
     (server/domain/partial_dates.py: "2019-03-14", "2019-03", "2019", "2019~"). */
  S.dates = {
    compose: function (form, name) {
      function box(part) {
        var el = form.elements[name + "-" + part];
        return el ? (el.value || "").replace(/[\s\-~]/g, "") : "";
      }
      function pad(v) { return /^\d$/.test(v) ? "0" + v : v; }
      var parts = [box("year"), pad(box("month")), pad(box("day"))];
      if (!parts.join("")) return "";
      while (parts.length && !parts[parts.length - 1]) parts.pop();
      var approx = form.elements[name + "-approx"];
      return parts.join("-") + (approx && approx.checked ? "~" : "");
    },
    fill: function (form, name, value) {
      var approx = /~$/.test(value || "");
      var parts = (value || "").replace(/~$/, "").split("-");
      function unpad(v) { return /^\d{1,2}$/.test(v || "") ? String(parseInt(v, 10)) : v || ""; }
      var boxes = { year: parts[0] || "", month: unpad(parts[1]), day: unpad(parts.slice(2).join("-")) };
      var changed = false;
      Object.keys(boxes).forEach(function (part) {
        var el = form.elements[name + "-" + part];
        if (el && el.value !== boxes[part]) {
          el.value = boxes[part];
          changed = true;
        }
      });
      var box = form.elements[name + "-approx"];
      if (box && box.checked !== approx) {
        box.checked = approx;
        changed = true;
      }
      return changed;
    },
    /* The date a box belongs to, or null. */
    of: function (el) {
      var set = el.closest && el.closest("[data-date]");
      return set ? set.getAttribute("data-date") : null;
    },
  };

  var account = html.getAttribute("data-account");
  if (!account || !S.outbox) return;
  var gettext = S.gettext;
  var format = S.format;
  var idb = S.idb;
  var outbox = S.outbox;
  var shell = html.hasAttribute("data-shell");
  var fileId = html.getAttribute("data-file-id") || (shell ? location.pathname.split("/")[2] : null);

  function mb(bytes) {
    return format(gettext("%(n)s Mo"), { n: S.number(bytes / 1048576, bytes < 1048576 ? 2 : 1) });
  }

  function say(form, text, kind) {
    var box = form.querySelector("[data-form-status]");
    if (!box) {
      box = document.createElement("div");
      box.setAttribute("data-form-status", "");
      form.insertBefore(box, form.firstChild);
    }
    box.className = "alert" + (kind ? " alert--" + kind : "");
    box.setAttribute("role", kind === "error" ? "alert" : "status");
    box.textContent = text;
    return box;
  }

  /* The GOV.UK error summary: at the top, focused, each refusal a link to its field. */
  function summary(form, refused) {
    form.querySelectorAll("[data-form-summary], [data-js-error]").forEach(function (el) { el.remove(); });
    form.querySelectorAll(".field--error[data-js-marked]").forEach(function (el) {
      el.classList.remove("field--error");
      el.removeAttribute("data-js-marked");
    });
    var box = document.createElement("div");
    box.className = "alert alert--error error-summary";
    box.setAttribute("role", "alert");
    box.setAttribute("tabindex", "-1");
    box.setAttribute("data-form-summary", "");
    var title = document.createElement("h2");
    title.className = "h3";
    title.textContent = gettext("Il y a un problème");
    box.appendChild(title);
    var list = document.createElement("ul");
    refused.forEach(function (e) {
      var reason = e.reason || {};
      // With several files chosen, the person must know which one was refused.
      var text = (refused.length > 1 || e.blobs.length ? e.label + gettext(" : ") : "") + (reason.message || gettext("Refusé par le serveur."));
      var li = document.createElement("li");
      var input = reason.field && form.querySelector("#f-" + CSS.escape(reason.field));
      if (input) {
        var a = document.createElement("a");
        a.href = "#f-" + reason.field;
        a.textContent = text;
        li.appendChild(a);
        var wrap = input.closest(".field");
        if (wrap && !wrap.classList.contains("field--error")) {
          wrap.classList.add("field--error");
          wrap.setAttribute("data-js-marked", "");
          var p = document.createElement("p");
          p.className = "error-text";
          p.setAttribute("data-js-error", "");
          p.id = "f-" + reason.field + "-jserror";
          p.textContent = reason.message || "";
          wrap.insertBefore(p, input);
          input.setAttribute("aria-invalid", "true");
          input.setAttribute("aria-describedby", ((input.getAttribute("aria-describedby") || "") + " " + p.id).trim());
        }
      } else {
        li.textContent = text;
      }
      list.appendChild(li);
    });
    box.appendChild(list);
    var old = form.querySelector("[data-form-status]");
    if (old) old.remove();
    form.insertBefore(box, form.firstChild);
    box.focus();
  }

  /* -- what a form asks, as commands ---------------------------------------- */
  function values(form) {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === "submit" || el.type === "file" || el.name === "command_id") return;
      if ((el.type === "checkbox" || el.type === "radio") && !el.checked) return;
      var date = S.dates.of(el);
      if (date) {
        if (!el.matches(":disabled")) out[date] = S.dates.compose(form, date);
        return;
      }
      if (el.type === "checkbox") (out[el.name] = out[el.name] || []).push(el.value);
      else out[el.name] = el.value;
    });
    return out;
  }

  function chosenFiles(form) {
    var files = [];
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) { files.push(f); });
    });
    return files;
  }

  /* Prepare and keep each chosen file; ask about blurry or dark photos. */
  function keepFiles(form, files) {
    var limit = parseInt(form.getAttribute("data-max-bytes") || "0", 10);
    var report = [];
    return files.reduce(function (chain, file) {
      return chain.then(function (kept) {
        return S.compress.prepare(file).then(function (p) {
          if (limit && p.data.byteLength > limit) {
            throw Object.assign(new Error("size"), { user: format(gettext("%(name)s dépasse %(size)s : réduisez-le ou envoyez chaque page séparément."), { name: file.name, size: mb(limit) }) });
          }
          if (!p.blurry && !p.dark) return p;
          return ask(form, format(
            p.blurry
              ? gettext("La photo « %(name)s » semble floue : la préfecture pourrait la refuser.")
              : gettext("La photo « %(name)s » semble trop sombre : la préfecture pourrait la refuser."),
            { name: "\u2068" + file.name + "\u2069" }
          )).then(function (keepIt) {
            if (keepIt) return p;
            throw Object.assign(new Error("retake"), { user: gettext("Reprenez la photo, puis ajoutez-la de nouveau."), retake: true });
          });
        }).then(function (p) {
          report.push(p.after < p.before
            ? format(gettext("%(name)s : %(before)s → %(after)s"), { name: p.name, before: mb(p.before), after: mb(p.after) })
            : format(gettext("%(name)s : %(size)s"), { name: p.name, size: mb(p.after) }));
          say(form, report.join(" · "));
          return S.uploader.keep(p.data, p.name, p.type).then(function (record) {
            kept.push(record);
            return kept;
          });
        });
      });
    }, Promise.resolve([]));
  }

  /* A question inside the page, in the page's language (a native confirm()
     would answer OK/Cancel in the browser's): resolves true to keep the photo. */
  function ask(form, text) {
    return new Promise(function (resolve) {
      var box = document.createElement("div");
      box.className = "alert alert--warning";
      box.setAttribute("role", "alertdialog");
      box.setAttribute("aria-live", "assertive");
      var p = document.createElement("p");
      p.id = "ask-" + Date.now();
      p.textContent = text;
      box.setAttribute("aria-labelledby", p.id);
      box.appendChild(p);
      var actions = document.createElement("div");
      actions.className = "actions";
      [[gettext("Reprendre la photo"), false, "button button--small"], [gettext("Garder cette photo"), true, "button button--small button--secondary"]].forEach(function (choice) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = choice[2];
        b.textContent = choice[0];
        b.setAttribute("data-photo-choice", choice[1] ? "keep" : "retake");
        b.addEventListener("click", function () {
          box.remove();
          if (!choice[1]) {
            // Open the camera or the gallery again, from this tap.
            var input = form.querySelector("input[type=file]");
            if (input) {
              input.value = "";
              input.click();
            }
          }
          resolve(choice[1]);
        });
        actions.appendChild(b);
      });
      box.appendChild(actions);
      form.insertBefore(box, form.firstChild);
      actions.firstChild.focus();
    });
  }

  function commands(form, submitter) {
    var op = form.getAttribute("data-op");
    var v = values(form);
    var file = v.file_id || fileId;
    var next = form.getAttribute("data-next") || location.pathname;
    var label = form.getAttribute("data-label") || op;
    var one = function (args, extra) {
      return Promise.resolve({ list: [Object.assign({ op: op, args: args, label: label }, extra || {})], next: next });
    };
    if (op === "file.update") {
      var fields = {};
      Object.keys(v).forEach(function (k) { if (k !== "file_id" && k !== "then") fields[k] = v[k]; });
      if (submitter && submitter.value === "stay") next = location.pathname;
      return one({ file_id: file, fields: fields });
    }
    if (op === "account.update" || op === "notify.preferences") {
      delete v.then;
      return one(v);
    }
    if (op === "file.create") {
      var id = S.uuid(); // a cached form carries an old id: every new file gets its own
      return Promise.resolve({
        list: [{ op: op, label: label, args: { file_id: id, procedure: v.procedure, grounds: v.grounds ? [].concat(v.grounds) : [], title: v.title || null } }],
        // The file's task list; offline, the worker answers with its task-list shell.
        next: "/files/" + id,
      });
    }
    if (op === "file.set_grounds") return one({ file_id: file, grounds: v.grounds || [], title: v.title || null });
    if (op === "file.submit") return one({ file_id: file });
    if (op === "file.withdraw") return one({ file_id: file, reason: v.reason || "" });
    if (op === "piece.remove") return one({ file_id: file, attachment_id: form.getAttribute("data-attachment") });
    if (op === "appointment.book" || op === "appointment.move") {
      // The slot is "desk|start"; each booking gets its own id (a cached form carries an old one).
      var slot = (v.slot || "").split("|");
      var booking = { desk_id: slot[0] || "", starts_at: slot[1] || "" };
      if (op === "appointment.move") {
        booking.appointment_id = v.appointment_id_current;
        booking.new_appointment_id = S.uuid();
      } else {
        booking.appointment_id = S.uuid();
        booking.file_id = file;
      }
      return one(booking);
    }
    if (op === "appointment.cancel") return one({ appointment_id: v.appointment_id });
    var files = chosenFiles(form);
    if (op === "message.send") {
      return keepFiles(form, files).then(function (kept) {
        return {
          list: [{
            op: op,
            label: label,
            blobs: kept.map(function (k) { return k.id; }),
            args: {
              file_id: file,
              message_id: S.uuid(),
              body: v.body || "",
              attachments: kept.map(function (k) { return { blob: k.sha256, filename: k.name }; }),
            },
          }],
          next: next,
        };
      });
    }
    if (!files.length) return Promise.reject(Object.assign(new Error("none"), { user: gettext("Choisissez au moins un fichier, ou prenez une photo.") }));
    return keepFiles(form, files).then(function (kept) {
      return {
        next: next,
        list: kept.map(function (k) {
          var args = op === "piece.replace"
            ? { file_id: file, attachment_id: form.getAttribute("data-attachment"), new_attachment_id: S.uuid(), blob: k.sha256, filename: k.name }
            : { file_id: file, piece: form.getAttribute("data-piece"), attachment_id: S.uuid(), blob: k.sha256, filename: k.name };
          return { op: op, label: label + " — " + k.name, args: args, blobs: [k.id] };
        }),
      };
    });
  }

  /* Go where the server would have redirected. When only the #fragment differs
     (a second upload on the same checklist), the browser would just scroll:
     reload, so what was just sent is listed. */
  function go(next, reached) {
    var target = new URL(next, location.href);
    // A confirmation (?done=…) only for what the server has: a page kept on the
    // device would otherwise say "sent" for what still waits here.
    if (!reached) target.searchParams.delete("done");
    if (target.pathname + target.search === location.pathname + location.search) {
      if (target.hash !== location.hash) history.replaceState(null, "", target.href);
      location.reload();
    } else {
      location.href = target.href;
    }
  }

  /* -- submit: queue, send, then go on ---------------------------------------- */
  var progress = {};
  document.addEventListener("outbox:progress", function (event) {
    var d = event.detail;
    var bar = progress[d.blob];
    if (bar) {
      bar.max = d.total;
      bar.value = d.done;
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.hasAttribute("data-op")) return;
    event.preventDefault();
    if (form.getAttribute("aria-busy") === "true") return;
    form.setAttribute("aria-busy", "true");
    var replacing = new URLSearchParams(location.search).get("outbox");
    commands(form, event.submitter).then(function (built) {
      return built.list.reduce(function (chain, c) {
        return chain.then(function (entries) {
          return outbox.add(account, c.op, c.args, { blobs: c.blobs, label: c.label, page: location.pathname }).then(function (entry) {
            entries.push(entry);
            return entries;
          });
        });
      }, Promise.resolve([])).then(function (entries) {
        // What was corrected replaces what had been refused.
        if (replacing) return idb.del("outbox", parseInt(replacing, 10)).then(function () { return entries; });
        return entries;
      }).then(function (entries) {
        var status = say(form, gettext("Envoi…"));
        entries.forEach(function (e) {
          e.blobs.forEach(function (id) {
            var bar = document.createElement("progress");
            bar.setAttribute("aria-label", e.label);
            status.appendChild(bar);
            progress[id] = bar;
          });
        });
        var keys = entries.map(function (e) { return e.key; });
        function settled(all) {
          return !all.some(function (e) { return keys.indexOf(e.key) !== -1 && e.state === "pending"; });
        }
        // A send already under way may have started before these were queued: once more then.
        return S.flush().then(function (result) {
          return outbox.list().then(function (all) {
            return result && result.ok && !settled(all) ? S.flush() : null;
          });
        }).then(function () {
          return outbox.list();
        }).then(function (all) {
          var mine = all.filter(function (e) { return keys.indexOf(e.key) !== -1; });
          var refused = mine.filter(function (e) { return e.state === "refused"; });
          if (refused.length) {
            form.removeAttribute("aria-busy");
            status.remove();
            restoreLine(form);
            // Online, a refusal belongs on the form (what was typed is still in
            // it), not in the outbox: the entries leave, the summary names each.
            return Promise.all(refused.map(function (e) { return outbox.remove(e); })).then(function () {
              summary(form, refused);
            });
          }
          if (mine.length) say(form, gettext("Pas de connexion : c’est gardé sur cet appareil et partira au retour du réseau."));
          // Not yet on the server: where the form says to wait (never its confirmation page).
          go(mine.length ? form.getAttribute("data-next-offline") || built.next : built.next, !mine.length);
        });
      });
    }).catch(function (error) {
      form.removeAttribute("aria-busy");
      restoreLine(form);
      say(form, error.user || (error.name === "QuotaExceededError"
        ? gettext("Plus assez de place sur cet appareil. Libérez de la place, ou enregistrez vos éléments non envoyés dans un fichier (page « En attente d’envoi »).")
        : gettext("Cela n’a pas pu être enregistré sur cet appareil. Réessayez.")), "error");
    });
  });

  /* -- what waits, laid over the page --------------------------------------- */
  function entriesFor(id) {
    return outbox.list().then(function (all) {
      return all.filter(function (e) { return e.account === account && (!id || e.command.args.file_id === id); });
    });
  }

  function state(id) {
    return Promise.all([idb.all("records"), entriesFor(id)]).then(function (both) {
      var records = both[0].filter(function (r) { return r.account === account; });
      var entries = both[1];
      var file = null;
      var fields = {};
      records.forEach(function (r) {
        if (r.type === "file" && r.id === id) file = r.data;
        if (r.type === "field" && r.data.file_id === id) fields[r.data.name] = r.data.value;
      });
      entries.forEach(function (e) {
        var a = e.command.args;
        if (e.command.op === "file.create" && !file) file = { procedure: a.procedure, grounds: a.grounds, title: a.title, status: "draft", number: null };
        if (e.command.op === "file.set_grounds" && file) file.grounds = a.grounds;
        if (e.command.op === "file.update") Object.keys(a.fields).forEach(function (k) { fields[k] = a.fields[k]; });
      });
      return { file: file, fields: fields, entries: entries, records: records };
    });
  }

  // The task list of a file made here (pwa/tasks.js) reads the same.
  S.fileState = state;

  /* What waits, one line each; what was refused, one line to /outbox (the details live there). */
  function listPending(entries) {
    var panel = document.querySelector("[data-pending]");
    if (!panel || !entries.length) return;
    var list = panel.querySelector("ul");
    var refused = entries.filter(function (e) { return e.state === "refused"; }).length;
    entries.forEach(function (e) {
      if (e.state === "refused") return;
      var li = document.createElement("li");
      li.textContent = e.label + " — " + gettext("en attente d’envoi");
      list.appendChild(li);
    });
    if (refused) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/outbox";
      a.textContent = format(gettext("Refusé par le serveur, à revoir : %(n)s"), { n: S.number(refused) });
      li.appendChild(a);
      list.appendChild(li);
    }
    panel.hidden = false;
  }

  function fill(form, fields, mark) {
    Object.keys(fields).forEach(function (name) {
      var el = form.elements[name];
      var date = form.querySelector("[data-date='" + CSS.escape(name) + "']");
      if (!el && date) {
        if (S.dates.fill(form, name, fields[name]) && mark) date.classList.add("pending-value");
        return;
      }
      if (!el || el.type === "file" || el.type === "hidden") return;
      if (el.value !== fields[name]) {
        el.value = fields[name];
        if (mark) el.classList.add("pending-value");
      }
    });
  }

  function overlay() {
    if (!fileId) {
      // The dashboard: files started on this device, not yet on the server.
      var box = document.querySelector("[data-pending-files]");
      if (!box) return;
      entriesFor(null).then(function (entries) {
        // Only what still waits: a refused start is on /outbox, not a phantom file here.
        entries.filter(function (e) { return e.command.op === "file.create" && e.state === "pending"; }).forEach(function (e) {
          var li = document.createElement("li");
          li.className = "card file-card";
          var a = document.createElement("a");
          a.href = "/files/" + e.command.args.file_id; // its task list (pwa/tasks.js)
          a.textContent = e.label;
          var note = document.createElement("p");
          note.className = "small";
          note.textContent = gettext("Commencé sur cet appareil, en attente d’envoi");
          li.appendChild(a);
          li.appendChild(note);
          box.appendChild(li);
          box.hidden = false;
        });
      });
      return;
    }
    state(fileId).then(function (s) {
      listPending(s.entries);
      pendingPieces(s.entries);
      var form = document.querySelector("form[data-op='file.update']");
      if (shell) {
        if (!s.file) return;
        document.querySelectorAll("[data-file-number]").forEach(function (el) {
          el.textContent = s.file.number ? format(gettext("Dossier n° %(number)s"), { number: s.file.number }) : gettext("Nouveau dossier, pas encore envoyé");
        });
        document.querySelectorAll("a[data-step-link]").forEach(function (a) {
          a.href = "/files/" + fileId + "/" + a.getAttribute("data-step-link");
        });
        document.querySelectorAll("form[data-op]").forEach(function (f) {
          var next = f.getAttribute("data-next-step");
          if (next) f.setAttribute("data-next", "/files/" + fileId + "/" + next);
        });
        filterChecklist(s);
        if (form) fill(form, s.fields, false);
      } else if (form) {
        var pending = {};
        s.entries.forEach(function (e) {
          if (e.command.op === "file.update") Object.assign(pending, e.command.args.fields);
        });
        fill(form, pending, true);
      }
    });
  }

  function filterChecklist(s) {
    var map = document.getElementById("checklist-map");
    if (!map) return;
    var m = JSON.parse(map.textContent);
    var wanted = {};
    m.procedure.concat(s.file.grounds && s.file.grounds.length ? m.common : []).forEach(function (p) { wanted[p] = true; });
    (s.file.grounds || []).forEach(function (g) { (m.grounds[g] || []).forEach(function (p) { wanted[p] = true; }); });
    document.querySelectorAll("[data-piece-card]").forEach(function (card) {
      card.hidden = !wanted[card.getAttribute("data-piece-card")];
    });
  }

  /* Files chosen on this device that still wait: under their piece, and on its status line. */
  function pendingPieces(entries) {
    var counts = {};
    entries.forEach(function (e) {
      if (e.command.op !== "piece.attach" || e.state !== "pending") return;
      var piece = e.command.args.piece;
      var list = document.querySelector("[data-piece-card='" + CSS.escape(piece) + "'] [data-local-files]");
      if (!list) return;
      var li = document.createElement("li");
      var name = document.createElement("bdi");
      name.textContent = e.command.args.filename;
      li.appendChild(name);
      li.appendChild(document.createTextNode(" — " + gettext("en attente d’envoi")));
      list.appendChild(li);
      list.hidden = false;
      counts[piece] = (counts[piece] || 0) + 1;
    });
    Object.keys(counts).forEach(function (piece) {
      var line = document.querySelector("[data-piece-card='" + CSS.escape(piece) + "'] [data-piece-state]");
      if (line) line.textContent = format(gettext("gardé sur cet appareil, à envoyer : %(n)s"), { n: S.number(counts[piece]) });
    });
  }

  /* -- the documents page: choosing a file sends it (no second button) ------ */
  function stateLine(form) {
    var card = form.closest("[data-piece-card]");
    return card && card.querySelector("[data-piece-state]");
  }

  /* Not sent after all (refused, or not kept): the line says again what is true. */
  function restoreLine(form) {
    var line = stateLine(form);
    if (line && line.hasAttribute("data-was")) {
      line.textContent = line.getAttribute("data-was");
      line.removeAttribute("data-was");
    }
  }

  document.querySelectorAll("form.pick-form[data-op]").forEach(function (form) {
    var input = form.querySelector("input[type=file]");
    if (!input || !form.requestSubmit) return; // without it, the form's own button stays
    form.setAttribute("data-instant", "");
    input.addEventListener("change", function () {
      if (!input.files || !input.files.length || form.getAttribute("aria-busy") === "true") return;
      var line = stateLine(form);
      if (line) {
        if (!line.hasAttribute("data-was")) line.setAttribute("data-was", line.textContent);
        line.textContent = gettext("envoi en cours…");
      }
      form.requestSubmit();
    });
  });

  /* The piece just changed is shown open, also on the device's copy of the page. */
  var opened = new URLSearchParams(location.search).get("open") || (location.hash.indexOf("#piece-") === 0 ? location.hash.slice(7) : "");
  if (opened) {
    var piece = document.querySelector("[data-piece-card='" + CSS.escape(opened) + "'] > details");
    if (piece) piece.open = true;
  }

  /* A refused entry, opened again for correction: its values refill the form. */
  var again = new URLSearchParams(location.search).get("outbox");
  if (again) {
    idb.get("outbox", parseInt(again, 10)).then(function (entry) {
      var form = entry && document.querySelector("form[data-op='" + entry.command.op + "']");
      if (!form) return;
      var a = entry.command.args;
      fill(form, a.fields || a, true);
      if (entry.reason) say(form, entry.reason.message || "", "error");
    });
  }

  /* A page kept on the device is not a fresh answer: its confirmation may be old. */
  if (html.getAttribute("data-served") !== "network") {
    document.querySelectorAll("[data-done]").forEach(function (el) { el.remove(); });
  }

  overlay();
})();
