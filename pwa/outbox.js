/* The outbox: commands made on this device, kept until the server has them.
 *
 * DOM-free, shared by pages and the service worker (after idb.js and
 * uploader.js). An entry is {key, account, command: {id, client, seq, op, args,
 * at}, blobs: [local blob ids], label, state: "pending" | "refused", reason}.
 *
 * flush() takes entries in order: uploads their files first, pushes them
 * (POST /sync/push), moves what the server applied to the "sent" store, keeps
 * what it refused (state "refused", with the server's reason, and everything
 * typed), and stops at the first network failure, to retry later with capped
 * exponential backoff (2ⁿ s, at most 5 min). Sending the same command twice is
 * harmless: the server answers a known id with its first result.
 *
 * Nothing is forgotten before it is safe (docs/adr/0008): a sent entry keeps
 * its files and its acknowledgement {epoch, commit} until an answer says the
 * server's replica holds that commit (`durable` ≥ commit, same epoch). When the
 * server's epoch changes (it was restored from its replica), the entries it
 * acknowledged under the old epoch are pushed again first, in order, their
 * files uploaded again, and the change feed is read again from the start.
 *
 * Events (listen with Sesame.outbox.on(fn)): {type: "queued" | "sent" |
 * "refused" | "removed" | "progress" | "signed-out" | "other-account" | "offline" | "idle", …}.
 */
(function (self) {
  "use strict";
  var idb = self.Sesame.idb;
  var uploader = self.Sesame.uploader;
  var listeners = [];
  var failures = 0;
  var running = null;
  var following = null;

  self.Sesame.uuid = function () {
    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = uploader.hex(b.buffer);
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  };

  function emit(event) {
    listeners.forEach(function (fn) {
      try { fn(event); } catch (e) { /* a listener's bug must not stop the outbox */ }
    });
  }

  /* This device's client id and the next sequence number, kept in "meta". */
  function nextSeq() {
    return idb.tx("meta", "readwrite", function (meta) {
      return Promise.all([idb.done(meta.get("client")), idb.done(meta.get("seq"))]).then(function (values) {
        var client = values[0] || "device-" + self.Sesame.uuid();
        var seq = (values[1] || 0) + 1;
        meta.put(client, "client");
        meta.put(seq, "seq");
        return { client: client, seq: seq };
      });
    });
  }

  function add(account, op, args, extra) {
    extra = extra || {};
    return nextSeq().then(function (ids) {
      var entry = {
        account: account,
        command: { id: extra.id || self.Sesame.uuid(), client: ids.client, seq: ids.seq, op: op, args: args, at: new Date().toISOString() },
        blobs: extra.blobs || [],
        label: extra.label || op,
        page: extra.page || null,
        state: "pending",
        reason: null,
      };
      return idb.put("outbox", entry).then(function (key) {
        entry.key = key;
        emit({ type: "queued", entry: entry });
        return entry;
      });
    });
  }

  function list() {
    return idb.all("outbox");
  }

  function remove(entry) {
    return idb.tx(["outbox", "blobs"], "readwrite", function (outbox, blobs) {
      outbox.delete(entry.key);
      entry.blobs.forEach(function (id) { blobs.delete(id); });
    }).then(function () { emit({ type: "removed", entry: entry }); });
  }

  function push(account, entries, epoch) {
    var body = { account: account, commands: entries.map(function (e) { return e.command; }) };
    if (epoch) body.epoch = epoch;
    return fetch("/sync/push", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      if (response.status === 401) throw Object.assign(new Error("signed_out"), { kind: "signed_out" });
      if (response.status === 403) throw Object.assign(new Error("other_account"), { kind: "other_account" });
      if (response.status !== 200 && response.status !== 409) throw Object.assign(new Error("server"), { kind: "network" });
      return response.json().then(function (answer) {
        if (answer.error === "epoch_changed") throw Object.assign(new Error("epoch"), { kind: "epoch", epoch: answer.epoch });
        return answer;
      });
    }, function () {
      throw Object.assign(new Error("network"), { kind: "network" });
    });
  }

  /* Applied: from the outbox to "sent" (files kept), with the commit that holds it. */
  function settle(entries, body) {
    var byId = {};
    (body.results || []).forEach(function (r) { byId[r.id] = r; });
    return Promise.all(entries.map(function (entry) {
      var result = byId[entry.command.id];
      if (!result) return null;
      if (result.status === "applied") {
        entry.state = "sent";
        entry.ack = { epoch: body.epoch, commit: body.commit };
        return idb.tx(["outbox", "sent"], "readwrite", function (outbox, sent) {
          outbox.delete(entry.key);
          sent.put(entry);
        }).then(function () { return dropMoot(entry); })
          .then(function () { emit({ type: "sent", entry: entry, result: result }); });
      }
      entry.state = "refused";
      entry.reason = { code: result.code, field: result.field, message: result.message };
      delete entry.ack;
      return idb.tx(["outbox", "sent"], "readwrite", function (outbox, sent) {
        sent.delete(entry.key);
        outbox.put(entry);
      }).then(function () { emit({ type: "refused", entry: entry, result: result }); });
    })).then(function () { return observe(ownerOf(entries), body.epoch, body.durable); });
  }

  /* Does `done` (just applied) make the refused `old` pointless? The same file
   * sent after all, the same fields saved again, the same piece given again. */
  function answers(done, old) {
    var a = done.args || {}, b = old.args || {};
    if (!a.file_id || a.file_id !== b.file_id) return false;
    if (done.op === "file.submit" || done.op === "file.withdraw") return old.op === "file.submit";
    if (done.op === "file.update" && old.op === "file.update") {
      return Object.keys(b.fields || {}).every(function (k) { return Object.prototype.hasOwnProperty.call(a.fields || {}, k); });
    }
    if (done.op === "file.set_grounds") return old.op === "file.set_grounds";
    if (done.op === "piece.attach" && old.op === "piece.attach") return a.piece === b.piece;
    return false;
  }

  /* A refused entry that a later success makes moot leaves "à revoir" by itself
   * (with its files: what it carried was given again). */
  function dropMoot(entry) {
    return idb.all("outbox").then(function (all) {
      var moot = all.filter(function (o) {
        // Only what came before: a later entry refused in the same batch is not answered by this one.
        return o.state === "refused" && o.account === entry.account && o.key < entry.key && answers(entry.command, o.command);
      });
      return Promise.all(moot.map(remove));
    });
  }

  function ownerOf(entries) {
    return entries.length ? entries[0].account : null;
  }

  /* What an answer says of the server: its epoch and its durable mark. A new
   * epoch (a restore) resets the change feed; entries the replica holds are
   * dropped with their files. Resolves true when the epoch changed. */
  function observe(who, epoch, durable) {
    if (!who || !epoch) return Promise.resolve(false);
    return idb.tx(["meta", "sent", "records", "blobs"], "readwrite", function (meta, sent, records, blobs) {
      return idb.done(meta.get("epoch:" + who)).then(function (known) {
        var changed = known !== undefined && known !== epoch;
        meta.put(epoch, "epoch:" + who);
        var reads = [idb.done(sent.getAll())];
        if (changed) {
          // What was pulled may be gone or renumbered: read the feed again from 0.
          meta.delete("cursor:" + who);
          reads.push(idb.done(records.getAll()));
        }
        return Promise.all(reads).then(function (found) {
          (found[1] || []).forEach(function (r) { if (r.account === who) records.delete(r.key); });
          found[0].forEach(function (entry) {
            if (entry.account !== who || !entry.ack || entry.ack.epoch !== epoch) return;
            if (typeof durable === "number" && entry.ack.commit <= durable) {
              sent.delete(entry.key);
              entry.blobs.forEach(function (id) { blobs.delete(id); });
            }
          });
          return changed;
        });
      });
    });
  }

  /* Entries acknowledged under another epoch: the restored server may lack them. */
  function stale(who, epoch) {
    return idb.all("sent").then(function (entries) {
      return entries.filter(function (e) { return e.account === who && e.ack && e.ack.epoch !== epoch; })
        .sort(function (a, b) { return a.key - b.key; });
    });
  }

  /* Their files go up again: the restored server may have lost the grant (once
   * per epoch: a send cut midway resumes the upload, it does not start it over). */
  function again(entries, epoch) {
    var ids = [];
    entries.forEach(function (e) { ids = ids.concat(e.blobs); });
    if (!ids.length) return Promise.resolve();
    return idb.tx("blobs", "readwrite", function (store) {
      return Promise.all(ids.map(function (id) { return idb.done(store.get(id)); })).then(function (records) {
        records.forEach(function (record) {
          if (!record || record.sentAgainIn === epoch) return;
          record.uploaded = false;
          record.url = null;
          record.sentAgainIn = epoch;
          store.put(record);
        });
      });
    });
  }

  function uploadAll(entry) {
    return idb.tx("blobs", "readonly", function (store) {
      return Promise.all(entry.blobs.map(function (id) { return idb.done(store.get(id)); }));
    }).then(function (records) {
      return records.reduce(function (chain, record) {
        return chain.then(function () {
          if (!record) return null;
          return uploader.upload(record, function (done, total) {
            emit({ type: "progress", entry: entry, blob: record.id, name: record.name, done: done, total: total });
          });
        });
      }, Promise.resolve());
    });
  }

  /* Push `entries` in order (commands without files together); resolves when
   * every one is settled. Refused files mark their entry refused and go on. */
  function send(who, entries, epoch) {
    var i = 0;
    function step() {
      if (i >= entries.length) return null;
      var batch = [];
      // Commands without files go together; one with files waits for its uploads.
      var first = entries[i];
      return (first.blobs.length ? uploadAll(first) : Promise.resolve()).then(function () {
        batch.push(first);
        i++;
        while (i < entries.length && !entries[i].blobs.length && batch.length < 100) batch.push(entries[i++]);
        return push(who, batch, epoch);
      }).then(function (body) {
        epoch = body.epoch || epoch;
        return settle(batch, body);
      }).then(step, function (error) {
        if (error.kind === "refused") {
          // The server refused a file itself (type, size): the entry needs the person.
          first.state = "refused";
          first.reason = { code: error.code, message: error.message };
          delete first.ack;
          return idb.tx(["outbox", "sent"], "readwrite", function (outbox, sent) {
            sent.delete(first.key);
            outbox.put(first);
          }).then(function () {
            emit({ type: "refused", entry: first });
            i++;
            return step();
          });
        }
        throw error;
      });
    }
    return step();
  }

  function run(who, rounds) {
    return idb.get("meta", "epoch:" + who).then(function (epoch) {
      // First what the server acknowledged under an older epoch, then what waits.
      return (epoch ? stale(who, epoch) : Promise.resolve([])).then(function (old) {
        return again(old, epoch).then(function () { return send(who, old, epoch); });
      }).then(list).then(function (entries) {
        var pending = entries.filter(function (e) { return e.state === "pending" && e.account === who; });
        return send(who, pending, epoch);
      });
    }).catch(function (error) {
      if (error.kind !== "epoch" || (rounds || 0) > 3) throw error;
      // Restored meanwhile: learn the new epoch, then start again with what it lacks.
      return observe(who, error.epoch).then(function () { return run(who, (rounds || 0) + 1); });
    });
  }

  /* Send what can be sent. Resolves {ok, retryIn?, reason?}; never rejects.
   * Asked while a run is under way, it answers with a run that starts after it:
   * the one under way may have read the outbox, or the server's epoch, before
   * what the caller knows (a restore just learned would otherwise wait for the
   * next page). Requests made meanwhile share that one follow-up run. */
  function flush(account) {
    if (running) {
      if (!following) {
        following = running.then(function () {
          following = null;
          return flush(account);
        });
      }
      return following;
    }
    var job = function () {
      return run(account).then(function () {
        failures = 0;
        emit({ type: "idle" });
        return { ok: true };
      }, function (error) {
        if (error.kind === "signed_out") {
          emit({ type: "signed-out" });
          return { ok: false, reason: "signed_out" };
        }
        if (error.kind === "other_account") {
          emit({ type: "other-account" });
          return { ok: false, reason: "other_account" };
        }
        failures++;
        var retryIn = Math.min(300, Math.pow(2, failures));
        emit({ type: "offline", retryIn: retryIn });
        return { ok: false, reason: "offline", retryIn: retryIn };
      });
    };
    var locked = self.navigator && navigator.locks
      ? navigator.locks.request("sesame-outbox", job)
      : job();
    running = locked.then(function (result) {
      running = null;
      return result;
    });
    return running;
  }

  self.Sesame.outbox = {
    add: add,
    list: list,
    remove: remove,
    observe: observe,
    /* Entries sent but not yet known to be in the server's replica. */
    unsafe: function (who) {
      return idb.all("sent").then(function (entries) { return entries.filter(function (e) { return e.account === who; }); });
    },
    flush: flush,
    on: function (fn) { listeners.push(fn); },
    retry: function (entry) {
      entry.state = "pending";
      entry.reason = null;
      return idb.put("outbox", entry);
    },
  };
})(self);
