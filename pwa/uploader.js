/* Resumable uploads (tus 1.0 core + creation + checksum); DOM-free.
 *
 * A queued file lives in IndexedDB ("blobs": {id, sha256, name, type, size,
 * data: ArrayBuffer, url}). upload() creates it on the server once (POST), then
 * sends chunks (PATCH at the server's offset, each with its SHA-256); after a
 * drop it asks where to resume (HEAD), so at most one chunk is sent twice.
 * Chunks start at 256 KB and grow on a good connection, shrink on a slow one.
 */
(function (self) {
  "use strict";
  var idb = self.Sesame.idb;
  var TUS = { "Tus-Resumable": "1.0.0" };
  var MIN = 64 * 1024;
  var MAX = 4 * 1024 * 1024;

  function b64(buffer) {
    var bytes = new Uint8Array(buffer);
    var s = "";
    for (var i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]);
    return btoa(s);
  }
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

  function create(record) {
    var metadata = "filename " + b64text(record.name || "file") + ",sha256 " + b64text(record.sha256);
    return send("/uploads", {
      method: "POST",
      headers: Object.assign({ "Upload-Length": String(record.size), "Upload-Metadata": metadata }, TUS),
    }).then(function (response) {
      if (response.status === 201) {
        record.url = response.headers.get("Location");
        return idb.put("blobs", record).then(function () { return 0; });
      }
      return json(response).then(function (body) {
        throw failure(response.status === 401 ? "signed_out" : "refused", response, body);
      });
    });
  }

  function offset(record) {
    return send(record.url, { method: "HEAD", headers: TUS }).then(function (response) {
      if (response.status === 404) {
        record.url = null; // expired or unknown: start again
        return create(record);
      }
      if (response.status === 401) throw failure("signed_out", response);
      if (response.headers.get("Sesame-Blob")) return -1; // already complete
      return parseInt(response.headers.get("Upload-Offset") || "0", 10);
    });
  }

  /* Upload one queued file; resolves with its SHA-256 once the server has it whole. */
  function upload(record, onProgress) {
    if (record.uploaded) return Promise.resolve(record.sha256);
    var size = record.chunk || 256 * 1024;
    var start = record.url ? offset(record) : create(record);

    function next(at) {
      if (at === -1 || at >= record.size) return finish();
      var chunk = record.data.slice(at, Math.min(at + size, record.size));
      var began = Date.now();
      return sha256(chunk).then(function (digest) {
        return send(record.url, {
          method: "PATCH",
          headers: Object.assign({
            "Content-Type": "application/offset+octet-stream",
            "Upload-Offset": String(at),
            "Upload-Checksum": "sha256 " + b64(digest),
          }, TUS),
          body: chunk,
        });
      }).then(function (response) {
        Sesame.uploader.sent += chunk.byteLength;
        if (response.status === 204) {
          var seconds = (Date.now() - began) / 1000;
          if (seconds < 1 && size < MAX) size *= 2;
          else if (seconds > 4 && size > MIN) size = Math.max(MIN, size / 2);
          record.chunk = size;
          var now = parseInt(response.headers.get("Upload-Offset"), 10);
          if (onProgress) onProgress(now, record.size);
          if (response.headers.get("Sesame-Blob")) return finish();
          return next(now);
        }
        if (response.status === 409 || response.status === 460) return offset(record).then(next);
        return json(response).then(function (body) {
          throw failure(response.status === 401 ? "signed_out" : "refused", response, body);
        });
      });
    }

    function finish() {
      // The bytes stay until the command that uses them is in the server's
      // replica (outbox.js drops both): a restore may need them again.
      record.uploaded = true;
      return idb.put("blobs", record).then(function () {
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
