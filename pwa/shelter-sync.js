/* Shelter mode's sync (docs/adr/0021, docs/sync-protocol.md): DOM-free.
 *
 * sync(worker), while the vault is unlocked (commands and files are
 * decrypted only to leave):
 *  1. push: every pending command of every person, in the order made (one
 *     outbox, one sequence), each carrying "for": the person; a command with
 *     files waits for its uploads (tus, the bytes decrypted in memory only).
 *     Ids were made at queueing: sending again is answered with the first
 *     result. Applied → "sent" until the server's replica holds it (ADR 0008);
 *     refused → "refused" (the worker sees why); "mandate" → the person's
 *     mandate ended: kept as "revoked".
 *  2. people: GET /sync/people; a person the server knew and no longer lists
 *     leaves the device (store.revoke).
 *  3. pull, person by person (GET /sync/pull?for=…); 403 mandate_ended → revoke.
 * Resolves {ok, reason?}; never rejects for a network failure.
 */
(function (self) {
  "use strict";
  var store = self.Sesame.shelterStore;
  var vault = self.Sesame.vault;
  var uploader = self.Sesame.uploader;
  var running = null;
  var following = null;

  function failure(kind, extra) {
    return Object.assign(new Error(kind), { kind: kind }, extra || {});
  }

  function request(url, options) {
    return fetch(url, Object.assign({ credentials: "same-origin", headers: { Accept: "application/json" } }, options))
      .catch(function () { throw failure("network"); })
      .then(function (response) {
        if (response.status === 401) throw failure("signed_out");
        return response;
      });
  }

  /* -- durability: sent entries go once the replica holds them ---------------- */
  function observe(worker, epoch, durable) {
    if (!epoch) return Promise.resolve(false);
    return store.tx(["meta", "outbox", "blobs", "records"], "readwrite", function (meta, outbox, blobs, records) {
      return Promise.all([store.done(meta.get("epoch:" + worker)), store.done(outbox.getAll()), store.done(records.getAll())]).then(function (found) {
        var changed = found[0] !== undefined && found[0] !== epoch;
        meta.put(epoch, "epoch:" + worker);
        found[1].forEach(function (e) {
          if (e.worker !== worker || e.state !== "sent" || !e.ack) return;
          if (changed && e.ack.epoch !== epoch) {
            // Restored from its replica: what it acknowledged may be gone. Again, in order.
            e.state = "pending";
            delete e.ack;
            outbox.put(e);
          } else if (e.ack.epoch === epoch && typeof durable === "number" && e.ack.commit <= durable) {
            outbox.delete(e.key);
            e.blobs.forEach(function (id) { blobs.delete(id); });
          }
        });
        if (changed) {
          found[2].forEach(function (r) { if (r.worker === worker) records.delete(r.key); });
          return store.done(meta.getAllKeys()).then(function (keys) {
            keys.forEach(function (k) { if (String(k).indexOf("cursor:") === 0) meta.delete(k); });
            return true;
          });
        }
        return false;
      });
    });
  }

  function resetUploads(entries) {
    return store.tx("blobs", "readwrite", function (blobs) {
      return Promise.all([].concat.apply([], entries.map(function (e) { return e.blobs; })).map(function (id) {
        return store.done(blobs.get(id)).then(function (row) {
          if (!row || !row.uploaded) return;
          row.uploaded = false;
          row.url = null;
          blobs.put(row);
        });
      }));
    });
  }

  /* -- push ------------------------------------------------------------------- */
  function uploadAll(entry) {
    return store.get("people", entry.person).then(function (person) {
      return store.keyOf(person).then(function (key) {
        return entry.blobs.reduce(function (chain, id) {
          return chain.then(function () {
            return store.get("blobs", id).then(function (row) {
              if (!row || row.uploaded) return null;
              return store.openBlob(row, key).then(function (record) { return uploader.upload(record); });
            });
          });
        }, Promise.resolve());
      });
    });
  }

  function settle(worker, batch, body, known) {
    var byId = {};
    (body.results || []).forEach(function (r) { byId[r.id] = r; });
    return Promise.all(batch.map(function (item) {
      var result = byId[item.command.id];
      if (!result) return null;
      var entry = item.entry;
      if (result.status === "applied") {
        entry.state = "sent";
        entry.code = null;
        entry.ack = { epoch: body.epoch, commit: body.commit };
      } else {
        // "mandate" for a person the server knew: their mandate ended. For one
        // whose person.create did not go through, it is that refusal's echo.
        entry.state = result.code === "mandate" && known[entry.person] ? "revoked" : "refused";
        entry.code = result.code || "refused";
      }
      return store.tx(["outbox", "people"], "readwrite", function (outbox, people) {
        outbox.put(entry);
        if (entry.op === "person.create" && result.status === "applied") {
          return store.done(people.get(entry.person)).then(function (p) {
            if (p) { p.known = true; people.put(p); }
          });
        }
        return null;
      });
    })).then(function () { return observe(worker, body.epoch, body.durable); });
  }

  function push(worker, batch, epoch) {
    var body = { account: worker, commands: batch.map(function (item) { return item.command; }) };
    if (epoch) body.epoch = epoch;
    return request("/sync/push", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
    }).then(function (response) {
      if (response.status === 403) throw failure("other_account");
      if (response.status !== 200 && response.status !== 409) throw failure("network");
      return response.json().then(function (answer) {
        if (answer.error === "epoch_changed") throw failure("epoch", { epoch: answer.epoch });
        return answer;
      });
    });
  }

  function pushAll(worker, rounds) {
    return Promise.all([store.mine("outbox", worker), store.get("meta", "epoch:" + worker)]).then(function (found) {
      var entries = found[0].filter(function (e) { return e.state === "pending"; }).sort(function (a, b) { return a.key - b.key; });
      var epoch = found[1];
      var i = 0;
      function step() {
        if (i >= entries.length) return null;
        var first = entries[i];
        return uploadAll(first).then(function () {
          var batch = [first];
          i++;
          while (i < entries.length && !entries[i].blobs.length && batch.length < 100) batch.push(entries[i++]);
          return Promise.all(batch.map(function (entry) {
            return store.openEntry(entry).then(function (inside) {
              // person.create is the worker's own act (it makes the mandate);
              // everything after it is done for the person, under that mandate.
              var extra = entry.op === "person.create" ? {} : { for: entry.person };
              return { entry: entry, command: Object.assign({}, inside.command, extra) };
            });
          }));
        }).then(function (batch) {
          return Promise.all([push(worker, batch, epoch), store.mine("people", worker)]).then(function (found) {
            var body = found[0];
            var known = {};
            found[1].forEach(function (p) { known[p.id] = p.known; });
            epoch = body.epoch || epoch;
            return settle(worker, batch, body, known);
          });
        }).then(step, function (error) {
          if (error.kind === "refused") {
            // The server refused a file itself (type, size): the worker decides.
            first.state = "refused";
            first.code = error.code || "file_refused";
            return store.put("outbox", first).then(function () { i++; return step(); });
          }
          throw error;
        });
      }
      return step();
    }).catch(function (error) {
      if (error.kind !== "epoch" || (rounds || 0) > 2) throw error;
      return store.mine("outbox", worker).then(function (entries) {
        return resetUploads(entries.filter(function (e) { return e.state === "sent"; }));
      }).then(function () { return observe(worker, error.epoch); })
        .then(function () { return pushAll(worker, (rounds || 0) + 1); });
    });
  }

  /* -- who the worker follows ------------------------------------------------- */
  function refreshPeople(worker) {
    return request("/sync/people").then(function (response) {
      if (!response.ok) throw failure("network");
      return response.json();
    }).then(function (body) {
      var listed = {};
      return (body.people || []).reduce(function (chain, p) {
        listed[p.id] = true;
        return chain.then(function () {
          return store.get("people", p.id).then(function (row) {
            if (row && row.state === "revoked") return null;
            var update = row
              ? store.keyOf(row).then(function (key) { return vault.decryptJSON(key, row.box); })
              : Promise.resolve({ language: "" });
            return update.then(function (about) {
              about.display_name = p.display_name;
              about.mandate = p.mandate;
              return store.keepPerson(worker, p.id, about, true);
            });
          });
        });
      }, Promise.resolve()).then(function () {
        return store.mine("people", worker);
      }).then(function (rows) {
        var gone = rows.filter(function (r) { return r.known && !listed[r.id] && r.state !== "revoked"; });
        return Promise.all(gone.map(function (r) { return store.revoke(worker, r.id); }));
      });
    });
  }

  /* -- pull, person by person ------------------------------------------------- */
  function pullPerson(worker, person) {
    return store.get("meta", "cursor:" + person).then(function (cursor) {
      function page(at) {
        return request("/sync/pull?for=" + encodeURIComponent(person.id) + "&cursor=" + (at || 0)).then(function (response) {
          if (response.status === 403) {
            return response.json().catch(function () { return {}; }).then(function (body) {
              if (body.error === "mandate_ended") return store.revoke(worker, person.id).then(function () { return null; });
              throw failure("other_account");
            });
          }
          if (!response.ok) throw failure("network");
          return response.json().then(function (body) {
            return observe(worker, body.epoch, body.durable).then(function (changed) {
              if (changed) return page(0);
              return store.keyOf(person).then(function (key) {
                return Promise.all(body.records.map(function (r) {
                  return vault.encryptJSON(key, r).then(function (box) {
                    return { key: person.id + "|" + r.type + ":" + r.id, worker: worker, person: person.id, box: box };
                  });
                }));
              }).then(function (rows) {
                return store.tx(["records", "meta"], "readwrite", function (records, meta) {
                  rows.forEach(function (row) { records.put(row); });
                  meta.put(body.cursor, "cursor:" + person.id);
                });
              }).then(function () { return body.more ? page(body.cursor) : null; });
            });
          });
        });
      }
      return page(cursor);
    });
  }

  function pullAll(worker) {
    return store.mine("people", worker).then(function (rows) {
      var active = rows.filter(function (r) { return r.known && r.state === "active"; });
      return active.reduce(function (chain, person) {
        return chain.then(function () { return pullPerson(worker, person); });
      }, Promise.resolve());
    });
  }

  function run(worker) {
    if (!vault.unlocked()) return Promise.resolve({ ok: false, reason: "locked" });
    return pushAll(worker)
      .then(function () { return refreshPeople(worker); })
      .then(function () { return pullAll(worker); })
      .then(function () { return { ok: true }; }, function (error) {
        return { ok: false, reason: error.kind || "network" };
      });
  }

  /* One sync at a time, across this worker's tabs too. Asked while one runs, it
   * answers with a sync that starts after it (the one under way read the outbox
   * before what was just queued); requests made meanwhile share that one. */
  function sync(worker) {
    if (running) {
      if (!following) {
        following = running.then(function () {
          following = null;
          return sync(worker);
        });
      }
      return following;
    }
    var job = function () { return run(worker); };
    var locked = self.navigator && navigator.locks ? navigator.locks.request("sesame-shelter-sync", job) : job();
    running = locked.then(function (result) { running = null; return result; }, function () {
      running = null;
      return { ok: false, reason: "network" };
    });
    return running;
  }

  (self.Sesame = self.Sesame || {}).shelterSync = { sync: sync, observe: observe };
})(self);
