/* The task list of a file the server has not answered for (the "tasks" editor
 * shell the service worker gives for /files/<id> when no copy of the page is
 * kept: a file made on this device, offline). Each section's state is worked
 * out from what the device knows — what the server last said (records) and
 * what waits in the outbox, refused commands left out — the way
 * server/domain/tasks.py does it from the server's data. A section is at best
 * "filled on this device", never "done": only the server checks the values,
 * and it does when the file reaches it. Sending is not offered here.
 */
(function () {
  "use strict";
  var S = window.Sesame;
  var data = document.getElementById("task-outline");
  if (!data || !S || !S.fileState) return;
  var parsed = JSON.parse(data.textContent);
  var outline = parsed.outline;
  var words = parsed.words;
  var fileId = location.pathname.split("/")[2];
  var base = "/files/" + fileId;

  function filled(value) {
    return typeof value === "string" ? value.trim() !== "" : !!value;
  }

  /* What the device knows of the file: the server's records, then what waits. */
  function known(s) {
    var file = null;
    var fields = {};
    var attached = {}; // attachment id → piece
    s.records.forEach(function (r) {
      if (r.type === "file" && r.id === fileId) file = { grounds: r.data.grounds || [], status: r.data.status, server: true };
      if (r.type === "field" && r.data.file_id === fileId) fields[r.data.name] = r.data.value;
      if (r.type === "attachment" && r.data.file_id === fileId && !r.data.removed_at) attached[r.id] = r.data.piece;
    });
    s.entries.forEach(function (e) {
      if (e.state === "refused") return;
      var a = e.command.args;
      var op = e.command.op;
      if (op === "file.create" && !file) file = { grounds: a.grounds || [], status: "draft", server: false };
      if (op === "file.set_grounds" && file) file.grounds = a.grounds || [];
      if (op === "file.update") Object.keys(a.fields || {}).forEach(function (k) { fields[k] = a.fields[k]; });
      if (op === "piece.attach") attached[a.attachment_id] = a.piece;
      if (op === "piece.remove") delete attached[a.attachment_id];
      if (op === "piece.replace" && a.attachment_id in attached) {
        attached[a.new_attachment_id] = attached[a.attachment_id];
        delete attached[a.attachment_id];
      }
    });
    var pieces = {};
    Object.keys(attached).forEach(function (id) { pieces[attached[id]] = true; });
    return file && { file: file, fields: fields, pieces: pieces };
  }

  /* Catalogue.checklist: the procedure's pieces, then (once a ground is chosen)
     the common ones and each ground's; a piece in the group of the first source
     that asks for it, required when any source requires it. */
  function groups(grounds) {
    var sources = [outline.procedure].concat(grounds.length ? ["common"].concat(grounds) : []);
    var first = {};
    var optional = {};
    var order = [];
    sources.forEach(function (source) {
      (outline.pieces[source] || []).forEach(function (ref) {
        if (!(ref.piece in first)) {
          first[ref.piece] = source;
          optional[ref.piece] = true;
          order.push(ref.piece);
        }
        optional[ref.piece] = optional[ref.piece] && ref.optional;
      });
    });
    var out = [];
    var at = {};
    order.forEach(function (piece) {
      var source = first[piece];
      if (!(source in at)) {
        at[source] = out.length;
        out.push({ source: source, pieces: [] });
      }
      out[at[source]].pieces.push({ piece: piece, required: !optional[piece] });
    });
    return out;
  }

  function sections(k) {
    var list = outline.steps.map(function (section) {
      var step = section.id;
      var names = section.fields;
      var missing = names.filter(function (f) { return f.required && !filled(k.fields[f.name]); });
      var hrefs = missing.map(function (f) { return base + "/" + step + "#f-" + f.name; });
      if (step === "situation" && outline.needs_ground && !k.file.grounds.length) hrefs.unshift(base + "/grounds");
      return {
        id: step,
        given: names.some(function (f) { return filled(k.fields[f.name]); }) || (step === "situation" && k.file.grounds.length > 0),
        missing: hrefs,
        href: hrefs[0] || base + "/" + step,
      };
    });
    groups(k.file.grounds).forEach(function (g) {
      var missing = g.pieces.filter(function (p) { return p.required && !k.pieces[p.piece]; });
      list.push({
        id: "pieces:" + g.source,
        given: g.pieces.some(function (p) { return k.pieces[p.piece]; }),
        missing: missing.map(function (p) { return base + "/checklist#piece-" + p.piece; }),
        href: base + "/checklist#piece-" + (missing.length ? missing[0] : g.pieces[0]).piece,
      });
    });
    return list;
  }

  function show(k) {
    var list = document.querySelector("[data-task-shell] .task-list");
    var declaration = list.querySelector("[data-task='declaration']");
    var firstMissing = null;
    sections(k).forEach(function (t) {
      var item = list.querySelector("[data-task='" + CSS.escape(t.id) + "']");
      if (!item) return;
      var state = !t.missing.length ? "filled" : t.given ? "in_progress" : "todo";
      var badge = item.querySelector(".task-list__status");
      badge.textContent = words[state];
      badge.setAttribute("data-state", state);
      badge.classList.toggle("badge--missing", state !== "filled");
      badge.hidden = false;
      item.querySelector("a").href = t.href;
      item.hidden = false;
      // The checklist's order: the chosen grounds' pieces in the order they were chosen.
      if (t.id.indexOf("pieces:") === 0) list.insertBefore(item, declaration);
      firstMissing = firstMissing || t.missing[0] || null;
    });
    if (!k.file.server) document.querySelector("[data-not-on-server]").hidden = false;
    if (k.file.status !== "draft") {
      var done = declaration.querySelector(".task-list__status");
      done.textContent = words.sent;
      done.setAttribute("data-state", "done");
      done.classList.remove("badge--missing");
      declaration.querySelector("[data-declaration-hint]").hidden = true;
    }
    var button = document.querySelector("[data-first-missing]");
    if (firstMissing) {
      button.href = firstMissing;
      button.hidden = false;
    } else if (k.file.status === "draft") {
      document.querySelector("[data-all-filled]").hidden = false;
    }
  }

  S.fileState(fileId).then(function (s) {
    var k = known(s);
    if (k) show(k);
  });
})();
