/* The outbox: commands made on this device, kept until the server has them.
 *
 * DOM-free, shared by pages and the service worker (after idb.js and
 * uploader.js). An entry is {key, account, command: {id, client, seq, op, args,
 * at}, blobs: [local blob ids], label, state: "pending" | "refused", reason}.
 *
 * flush() takes entries in order: uploads their files first, pushes them
 * (POST /sync/push), removes what the server applied, keeps what it refused
 * (state "refused", with the server's reason, and everything typed), and stops
 * at the first network failure, to retry later with capped exponential backoff
 * (2ⁿ s, at most 5 min). Sending the same command twice is harmless: the server
 * answers a known id with its first result.
 *
 * Events (listen with Sesame.outbox.on(fn)): {type: "queued" | "sent" |
 * "refused" | "progress" | "signed-out" | "other-account" | "offline" | "idle", …}.
 */
(function (self) {
  "use strict";
  var idb = self.Sesame.idb;
  var uploader = self.Sesame.uploader;
  var listeners = [];
  var failures = 0;
  var running = null;

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
    });
  }

  function push(account, entries) {
    return fetch("/sync/push", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ account: account, commands: entries.map(function (e) { return e.command; }) }),
    }).then(function (response) {
      if (response.status === 401) throw Object.assign(new Error("signed_out"), { kind: "signed_out" });
      if (response.status === 403) throw Object.assign(new Error("other_account"), { kind: "other_account" });
      if (response.status !== 200 && response.status !== 409) throw Object.assign(new Error("server"), { kind: "network" });
      return response.json();
    }, function () {
      throw Object.assign(new Error("network"), { kind: "network" });
    });
  }

  function settle(entries, results) {
    var byId = {};
    results.forEach(function (r) { byId[r.id] = r; });
    return Promise.all(entries.map(function (entry) {
      var result = byId[entry.command.id];
      if (!result) return null;
      if (result.status === "applied") {
        return remove(entry).then(function () { emit({ type: "sent", entry: entry, result: result }); });
      }
      entry.state = "refused";
      entry.reason = { code: result.code, field: result.field, message: result.message };
      return idb.put("outbox", entry).then(function () { emit({ type: "refused", entry: entry, result: result }); });
    }));
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

  function run(account) {
    return list().then(function (entries) {
      var pending = entries.filter(function (e) { return e.state === "pending" && e.account === account; });
      var i = 0;
      function step() {
        if (i >= pending.length) return null;
        var batch = [];
        // Commands without files go together; one with files waits for its uploads.
        var first = pending[i];
        return (first.blobs.length ? uploadAll(first) : Promise.resolve()).then(function () {
          batch.push(first);
          i++;
          while (i < pending.length && !pending[i].blobs.length && batch.length < 50) batch.push(pending[i++]);
          return push(account, batch);
        }).then(function (body) {
          return settle(batch, body.results || []);
        }).then(step, function (error) {
          if (error.kind === "refused") {
            // The server refused a file itself (type, size): the entry needs the person.
            first.state = "refused";
            first.reason = { code: error.code, message: error.message };
            return idb.put("outbox", first).then(function () {
              emit({ type: "refused", entry: first });
              i++;
              return step();
            });
          }
          throw error;
        });
      }
      return step();
    });
  }

  /* Send what can be sent. Resolves {ok, retryIn?, reason?}; never rejects. */
  function flush(account) {
    if (running) return running;
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
    flush: flush,
    on: function (fn) { listeners.push(fn); },
    retry: function (entry) {
      entry.state = "pending";
      entry.reason = null;
      return idb.put("outbox", entry);
    },
  };
})(self);
