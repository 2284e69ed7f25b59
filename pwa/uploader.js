/* Resumable uploads (tus 1.0 core + creation); DOM-free.
 *
 * A queued file lives in IndexedDB ("blobs": {id, sha256, name, type, size,
 * data: ArrayBuffer, url}). upload() creates it on the server once (POST, with
 * the file's SHA-256 in the metadata), then sends chunks (PATCH at the server's
 * offset); after a drop it asks where to resume (HEAD). The server keeps what
 * arrived of a cut chunk, so a drop costs the bytes in flight, not the chunk:
 * chunks carry no checksum of their own (a partial chunk could not be checked),
 * the server checks the whole file against its SHA-256 (ADR 0009).
 * The phone drops its copy only when the server names the stored blob with the
 * very hash computed here (Sesame-Blob). Chunks start at 256 KB and grow on a
 * good connection, shrink on a slow one.
 */
(function (self) {
  "use strict";
  var idb = self.Sesame.idb;
  var TUS = { "Tus-Resumable": "1.0.0" };
  var MIN = 64 * 1024;
  var MAX = 4 * 1024 * 1024;

  function b64text(text) {
    return btoa(unescape(encodeURIComponent(text)));
  }
  function hex(buffer) {
    return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
  }
  function sha256(buffer) {
    return crypto.subtle.digest("SHA-256", buffer);
  }

  function failure(kind, response, body) {
    var error = new Error(kind);
    error.kind = kind; // network | signed_out | refused | gone
    error.status = response ? response.status : 0;
    error.code = body && body.code;
    error.message = (body && body.message) || kind;
    return error;
  }

  function send(url, options) {
    return fetch(url, Object.assign({ credentials: "same-origin" }, options)).catch(function () {
      throw failure("network");
    });
  }

  function json(response) {
    return response.json().catch(function () { return {}; });
  }

  /* Where the upload's state (url, done) is written: "blobs", unless the record
   * brings its own save (shelter mode keeps its bytes encrypted elsewhere and
   * hands the uploader a decrypted copy that must never be stored as is). */
  function persist(record) {
    return record.save ? record.save(record) : idb.put("blobs", record);
  }

  function create(record) {
    var metadata = "filename " + b64text(record.name || "file") + ",sha256 " + b64text(record.sha256);
    return send("/uploads", {
      method: "POST",
      headers: Object.assign({ "Upload-Length": String(record.size), "Upload-Metadata": metadata }, TUS),
    }).then(function (response) {
      if (response.status === 201) {
        record.url = response.headers.get("Location");
        return persist(record).then(function () { return 0; });
      }
      if (response.status >= 500) throw failure("network", response);
      return json(response).then(function (body) {
        throw failure(response.status === 401 ? "signed_out" : "refused", response, body);
      });
    });
  }

  /* The blob the server says it stored: -1 when it is this very file; an error otherwise. */
  function stored(record, response) {
    if (response.headers.get("Sesame-Blob") === record.sha256) return -1;
    // Every byte is there but this file's blob is not named (yet): keep the
    // copy and ask again later, as after a network failure.
    throw failure("network", response);
  }

  function offset(record) {
    return send(record.url, { method: "HEAD", headers: TUS }).then(function (response) {
      if (response.status === 404 || response.status === 410) {
        record.url = null; // expired, unknown or refused as a whole: start again
        return create(record);
      }
      if (response.status === 401) throw failure("signed_out", response);
      if (response.status !== 200) throw failure("network", response);
      var at = parseInt(response.headers.get("Upload-Offset") || "0", 10);
      if (response.headers.get("Sesame-Blob") || at >= record.size) return stored(record, response);
      return at;
    });
  }

  /* Upload one queued file; resolves with its SHA-256 once the server has it whole. */
  function upload(record, onProgress) {
    if (record.uploaded) return Promise.resolve(record.sha256);
    var size = record.chunk || 256 * 1024;
    var start = record.url ? offset(record) : create(record);

    function next(at) {
      if (at === -1) return finish();
      var chunk = record.data.slice(at, Math.min(at + size, record.size));
      var began = Date.now();
      return send(record.url, {
        method: "PATCH",
        headers: Object.assign({
          "Content-Type": "application/offset+octet-stream",
          "Upload-Offset": String(at),
        }, TUS),
        body: chunk,
      }).then(function (response) {
        Sesame.uploader.sent += chunk.byteLength;
        if (response.status === 204) {
          var seconds = (Date.now() - began) / 1000;
          if (seconds < 1 && size < MAX) size *= 2;
          else if (seconds > 4 && size > MIN) size = Math.max(MIN, size / 2);
          record.chunk = size;
          var now = parseInt(response.headers.get("Upload-Offset"), 10);
          if (onProgress) onProgress(now, record.size);
          if (response.headers.get("Sesame-Blob") || now >= record.size) return next(stored(record, response));
          return next(now);
        }
        if (response.status === 409) return offset(record).then(next);
        if (response.status === 460 || response.status === 410) {
          // The server refused the whole file as damaged (or gave it up): send it again, twice at most.
          record.retries = (record.retries || 0) + 1;
          if (record.retries > 2) return json(response).then(function (body) { throw failure("refused", response, body); });
          return offset(record).then(next);
        }
        if (response.status === 401) throw failure("signed_out", response);
        if (response.status >= 500) throw failure("network", response); // 507: the server is full for now
        return json(response).then(function (body) {
          throw failure("refused", response, body);
        });
      });
    }

    function finish() {
      // The bytes stay until the command that uses them is in the server's
      // replica (outbox.js drops both): a restore may need them again.
      record.uploaded = true;
      return persist(record).then(function () {
        if (onProgress) onProgress(record.size, record.size);
        return record.sha256;
      });
    }

    return start.then(next);
  }

  /* Keep a file for later upload; returns its record (with SHA-256). */
  function keep(data, name, type) {
    return sha256(data).then(function (digest) {
      var record = {
        id: self.Sesame.uuid(),
        sha256: hex(digest),
        name: name,
        type: type,
        size: data.byteLength,
        data: data,
        url: null,
        uploaded: false,
      };
      return idb.put("blobs", record).then(function () { return record; });
    });
  }

  self.Sesame.uploader = { upload: upload, keep: keep, sent: 0, sha256: sha256, hex: hex };
})(self);
