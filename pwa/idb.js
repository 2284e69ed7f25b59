/* IndexedDB, small and promise-based; shared by pages and the service worker.
 *
 * One database, "sesame", with five stores:
 *   outbox   commands waiting to be sent, in order (key: auto-increment)
 *   sent     commands the server applied, kept (with their files) until the
 *            server says they are in its replica (same key as in the outbox)
 *   blobs    files waiting to be uploaded, bodies as ArrayBuffer (Safari
 *            cannot store Blobs in IndexedDB)
 *   records  what the server last said (change feed), key "type:id"
 *   meta     small values: client id, sequence, cursor, account
 * Never await a fetch() inside a transaction: a transaction closes as soon as
 * it has nothing to do, so callers read, then fetch, then write.
 */
(function (self) {
  "use strict";

  /* One IndexedDB database, opened once: open(), done(request), tx(stores,
     mode, fn) and the small helpers over them. `upgrade(db)` makes its stores.
     Shelter mode's encrypted database (shelter-store.js) is made the same way. */
  function database(name, version, upgrade) {
    var opening = null;

    function open() {
      if (opening) return opening;
      opening = new Promise(function (resolve, reject) {
        var request = indexedDB.open(name, version);
        request.onupgradeneeded = function () { upgrade(request.result); };
        request.onsuccess = function () {
          request.result.onversionchange = function () {
            request.result.close();
            opening = null;
          };
          resolve(request.result);
        };
        request.onerror = function () {
          opening = null;
          reject(request.error);
        };
      });
      return opening;
    }

    /* Run fn(store…) in one transaction; resolves when it commits. */
    function tx(stores, mode, fn) {
      return open().then(function (db) {
        return new Promise(function (resolve, reject) {
          var t = db.transaction(stores, mode);
          var result;
          t.oncomplete = function () { resolve(result); };
          t.onerror = function () { reject(t.error); };
          t.onabort = function () { reject(t.error || new DOMException("aborted", "AbortError")); };
          var handles = [].concat(stores).map(function (s) { return t.objectStore(s); });
          Promise.resolve(fn.apply(null, handles)).then(function (value) { result = value; }, function (e) {
            try { t.abort(); } catch (ignored) { /* already finished */ }
            reject(e);
          });
        });
      });
    }

    return {
      open: open,
      done: done,
      tx: tx,
      get: function (store, key) {
        return tx(store, "readonly", function (s) { return done(s.get(key)); });
      },
      put: function (store, value, key) {
        return tx(store, "readwrite", function (s) { return done(key === undefined ? s.put(value) : s.put(value, key)); });
      },
      del: function (store, key) {
        return tx(store, "readwrite", function (s) { return done(s.delete(key)); });
      },
      all: function (store) {
        return tx(store, "readonly", function (s) { return done(s.getAll()); });
      },
      clear: function (store) {
        return tx(store, "readwrite", function (s) { return done(s.clear()); });
      },
    };
  }

  function done(request) {
    return new Promise(function (resolve, reject) {
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  var idb = database("sesame", 2, function (db) {
    if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", { keyPath: "key", autoIncrement: true });
    if (!db.objectStoreNames.contains("blobs")) db.createObjectStore("blobs", { keyPath: "id" });
    if (!db.objectStoreNames.contains("records")) db.createObjectStore("records", { keyPath: "key" });
    if (!db.objectStoreNames.contains("meta")) db.createObjectStore("meta");
    if (!db.objectStoreNames.contains("sent")) db.createObjectStore("sent", { keyPath: "key" });
  });
  idb.database = database;

  (self.Sesame = self.Sesame || {}).idb = idb;
})(self);
