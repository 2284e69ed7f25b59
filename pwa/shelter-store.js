/* Shelter mode's storage: one IndexedDB database, "sesame-shelter", where
 * every value about a person is an AES-GCM box under that person's key
 * (vault.js, docs/adr/0021). What stays in clear: random ids, the worker's
 * account id, each command's kind (op) and state, upload progress — enough to
 * count what waits while the device is locked, nothing about who.
 *
 *   vault    {worker, method, salt, iv, wrapped, …}          key: worker
 *   people   {id, worker, key, box, known, state}            key: person id
 *   outbox   {key, worker, person, op, state, box, blobs, code, ack}  auto-increment
 *   blobs    {id, worker, person, box, meta, url, uploaded}  key: id
 *   records  {key: "person|type:id", worker, person, box}    pulled from the server
 *   meta     client id, sequence, epoch, cursors, settings
 * An outbox entry's state: pending (waits), sent (applied, kept until the
 * server's replica holds it, ADR 0008), refused (the server said no: the
 * worker decides), revoked (the person's mandate ended before it left: kept,
 * encrypted, until the worker discards it).
 */
(function (self) {
  "use strict";
  var vault = self.Sesame.vault;
  // outbox.js defines it on applicants' pages; shelter pages do not load it.
  if (!self.Sesame.uuid) self.Sesame.uuid = function () { return self.crypto.randomUUID(); };
  var NAME = "sesame-shelter";
  var base = self.Sesame.idb.database(NAME, 1, function (db) {
    db.createObjectStore("vault", { keyPath: "worker" });
    db.createObjectStore("people", { keyPath: "id" });
    db.createObjectStore("outbox", { keyPath: "key", autoIncrement: true });
    db.createObjectStore("blobs", { keyPath: "id" });
    db.createObjectStore("records", { keyPath: "key" });
    db.createObjectStore("meta");
  });
  // fn(stores…) inside one transaction (base.tx); never await a fetch or crypto in it.
  var open = base.open, done = base.done, tx = base.tx, get = base.get, put = base.put, all = base.all;

  function mine(store, worker) {
    return all(store).then(function (rows) { return rows.filter(function (r) { return r.worker === worker; }); });
  }

  /* -- the vault record ------------------------------------------------------ */
  function vaultOf(worker) { return get("vault", worker); }
  function keepVault(record) { return put("vault", record); }

  /* -- people ---------------------------------------------------------------- */
  function keyOf(person) {
    return vault.personKey(person.id, person.key);
  }

  /* The people of this worker, decrypted (needs the vault unlocked). */
  function people(worker) {
    return mine("people", worker).then(function (rows) {
      return Promise.all(rows.map(function (row) {
        return keyOf(row).then(function (key) { return vault.decryptJSON(key, row.box); }).then(function (about) {
          return Object.assign({ id: row.id, state: row.state, known: row.known }, about);
        });
      }));
    }).then(function (list) {
      return list.sort(function (a, b) { return a.display_name.localeCompare(b.display_name); });
    });
  }

  /* Keep (or update) a person: `about` = {display_name, language, mandate}. */
  function keepPerson(worker, id, about, known) {
    return get("people", id).then(function (row) {
      var made = row ? Promise.resolve(row.key) : vault.newPersonKey(id);
      return made.then(function (kept) {
        return vault.personKey(id, kept).then(function (key) { return vault.encryptJSON(key, about); }).then(function (box) {
          return put("people", {
            id: id,
            worker: worker,
            key: kept,
            box: box,
            known: !!(known || (row && row.known)),
            state: row ? row.state : "active",
          });
        });
      });
    });
  }

  /* -- files waiting to be uploaded ------------------------------------------- */
  function keepBlob(worker, person, data, name, type) {
    return Promise.all([get("people", person), self.Sesame.uploader.sha256(data)]).then(function (found) {
      var sha256 = self.Sesame.uploader.hex(found[1]);
      return keyOf(found[0]).then(function (key) {
        var id = self.Sesame.uuid();
        var about = { name: name, type: type, size: data.byteLength, sha256: sha256 };
        return Promise.all([vault.encryptBytes(key, data), vault.encryptJSON(key, about)]).then(function (boxes) {
          return put("blobs", { id: id, worker: worker, person: person, box: boxes[0], meta: boxes[1], url: null, uploaded: false })
            .then(function () { return { id: id, sha256: sha256, name: name, type: type, size: data.byteLength }; });
        });
      });
    });
  }

  /* A decrypted copy for the uploader; its progress is saved without the bytes. */
  function openBlob(row, key) {
    return Promise.all([vault.decryptBytes(key, row.box), vault.decryptJSON(key, row.meta)]).then(function (found) {
      return Object.assign({}, found[1], {
        id: row.id,
        data: found[0],
        url: row.url,
        uploaded: row.uploaded,
        chunk: row.chunk,
        save: function (record) {
          return tx("blobs", "readwrite", function (store) {
            return done(store.get(row.id)).then(function (kept) {
              if (!kept) return;
              kept.url = record.url;
              kept.uploaded = record.uploaded;
              kept.chunk = record.chunk;
              store.put(kept);
            });
          });
        },
      });
    });
  }

  /* -- the outbox ------------------------------------------------------------- */
  function nextSeq() {
    return tx("meta", "readwrite", function (meta) {
      return Promise.all([done(meta.get("client")), done(meta.get("seq"))]).then(function (v) {
        var client = v[0] || "shelter-" + self.Sesame.uuid();
        var seq = (v[1] || 0) + 1;
        meta.put(client, "client");
        meta.put(seq, "seq");
        return { client: client, seq: seq };
      });
    });
  }

  /* Queue a command made for `person`; its id is made here, once, so sending it
   * again (a cut connection) is answered with its first result. */
  function queue(worker, person, op, args, extra) {
    extra = extra || {};
    return Promise.all([get("people", person), nextSeq()]).then(function (found) {
      var command = {
        id: extra.id || self.Sesame.uuid(),
        client: found[1].client,
        seq: found[1].seq,
        op: op,
        args: args,
        at: new Date().toISOString(),
      };
      return keyOf(found[0]).then(function (key) {
        return vault.encryptJSON(key, { command: command, label: extra.label || "" });
      }).then(function (box) {
        var entry = { worker: worker, person: person, op: op, state: "pending", box: box, blobs: extra.blobs || [], code: null };
        return put("outbox", entry).then(function (key) {
          entry.key = key;
          return command;
        });
      });
    });
  }

  function openEntry(entry) {
    return get("people", entry.person).then(function (person) {
      return keyOf(person).then(function (key) { return vault.decryptJSON(key, entry.box); });
    });
  }

  /* Everything of `person` this device holds: pulled records and commands not
   * yet in the server's replica, decrypted, in the order made. */
  function holdings(worker, person) {
    return Promise.all([mine("records", worker), mine("outbox", worker), get("people", person)]).then(function (found) {
      var row = found[2];
      if (!row) return { records: [], commands: [] };
      return keyOf(row).then(function (key) {
        var records = found[0].filter(function (r) { return r.person === person; });
        var entries = found[1].filter(function (e) { return e.person === person; }).sort(function (a, b) { return a.key - b.key; });
        return Promise.all([
          Promise.all(records.map(function (r) { return vault.decryptJSON(key, r.box); })),
          Promise.all(entries.map(function (e) {
            return vault.decryptJSON(key, e.box).then(function (inside) {
              return { state: e.state, code: e.code, command: inside.command, label: inside.label };
            });
          })),
        ]).then(function (open) { return { records: open[0], commands: open[1] }; });
      });
    });
  }

  /* What has not left yet, per person: counts by kind; no name (the caller adds
   * them while unlocked). Works locked. */
  function unsent(worker) {
    return Promise.all([mine("outbox", worker), mine("people", worker)]).then(function (found) {
      var byPerson = {};
      found[1].forEach(function (p) { byPerson[p.id] = { person: p.id, state: p.state, kinds: {}, total: 0, refused: 0, revoked: 0 }; });
      found[0].forEach(function (e) {
        if (e.state === "sent") return;
        var row = byPerson[e.person] || (byPerson[e.person] = { person: e.person, state: "unknown", kinds: {}, total: 0, refused: 0, revoked: 0 });
        row.kinds[e.op] = (row.kinds[e.op] || 0) + 1;
        row.total++;
        if (e.state === "refused") row.refused++;
        if (e.state === "revoked") row.revoked++;
      });
      return Object.keys(byPerson).map(function (k) { return byPerson[k]; }).filter(function (r) { return r.total; });
    });
  }

  /* -- a mandate ended: the person's data leaves this device ------------------ */
  /* Records, sent commands and their files go, and with no unsent work the
   * person's key too (what was encrypted under it is unreadable forever).
   * Unsent work is never dropped silently: it stays, encrypted, marked
   * "revoked", until the worker discards it (discard()). */
  function revoke(worker, person) {
    return tx(["people", "outbox", "blobs", "records", "meta"], "readwrite", function (people, outbox, blobs, records, meta) {
      return Promise.all([done(outbox.getAll()), done(records.getAll()), done(people.get(person))]).then(function (found) {
        var kept = 0;
        found[1].forEach(function (r) { if (r.person === person) records.delete(r.key); });
        meta.delete("cursor:" + person);
        found[0].forEach(function (e) {
          if (e.person !== person) return;
          if (e.state === "sent") {
            outbox.delete(e.key);
            e.blobs.forEach(function (id) { blobs.delete(id); });
          } else {
            kept++;
            e.state = "revoked";
            outbox.put(e);
          }
        });
        if (!found[2]) return;
        if (kept) {
          found[2].state = "revoked";
          people.put(found[2]);
        } else {
          people.delete(person);
        }
      });
    }).then(function () { vault.forget(person); });
  }

  /* The worker's explicit choice: this revoked person's unsent work goes. */
  function discard(worker, person) {
    return tx(["people", "outbox", "blobs"], "readwrite", function (people, outbox, blobs) {
      return done(outbox.getAll()).then(function (entries) {
        entries.forEach(function (e) {
          if (e.person !== person || e.worker !== worker) return;
          outbox.delete(e.key);
          e.blobs.forEach(function (id) { blobs.delete(id); });
        });
        people.delete(person);
      });
    }).then(function () { vault.forget(person); });
  }

  (self.Sesame = self.Sesame || {}).shelterStore = {
    open: open,
    tx: tx,
    done: done,
    get: get,
    put: put,
    all: all,
    mine: mine,
    vaultOf: vaultOf,
    keepVault: keepVault,
    people: people,
    keepPerson: keepPerson,
    keyOf: keyOf,
    keepBlob: keepBlob,
    openBlob: openBlob,
    queue: queue,
    openEntry: openEntry,
    holdings: holdings,
    unsent: unsent,
    revoke: revoke,
    discard: discard,
  };
})(self);
