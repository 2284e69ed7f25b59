/* /verify: check an attestation's QR code on this device (ADR 0014).
 *
 *   "SES1:" + base45( zlib?( COSE_Sign1 [protected, {}, payload, r‖s] ) )
 *
 * base45 → inflate (DecompressionStream) → a small CBOR reader → the
 * signature checked with WebCrypto (ECDSA P-256, SHA-256) over the
 * Sig_structure, against the public keys the page carries (#verify-data), so
 * it works with no network once the page is on the device. Online, the
 * server adds what a signature cannot say: revoked, or replaced by a newer
 * one (/verify/status/<code>). Every text shown is in the page, translated by
 * the server; this script only picks which to show and fills the values.
 * The QR decoder: BarcodeDetector where the browser has it, else the
 * vendored jsQR (pwa/vendor/), loaded only on those browsers.
 */
(function () {
  "use strict";
  var dataElement = document.getElementById("verify-data");
  if (!dataElement) return;
  var DATA = JSON.parse(dataElement.textContent || "{}");
  var subtle = window.crypto && window.crypto.subtle;
  var lang = document.documentElement.lang || "fr";
  var scan = document.querySelector("[data-verify-scan]");
  var output = document.querySelector("[data-verify-output]");
  var template = document.getElementById("verify-result-template");
  var statusLine = document.querySelector("[data-verify-status]");
  var MAX_INFLATED = 4096;

  function Invalid(code) { this.code = code; }

  function message(name) {
    var element = document.querySelector('[data-verify-messages] [data-msg="' + name + '"]');
    return element ? element.textContent : "";
  }
  function say(name) { statusLine.textContent = name ? message(name) : ""; }

  /* -- decoding -------------------------------------------------------------- */
  var ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

  function base45(text) {
    var values = [];
    for (var i = 0; i < text.length; i++) {
      var v = ALPHABET.indexOf(text.charAt(i));
      if (v < 0) throw new Invalid("bad_encoding");
      values.push(v);
    }
    if (values.length % 3 === 1) throw new Invalid("bad_encoding");
    var out = [];
    for (i = 0; i < values.length; i += 3) {
      if (i + 2 < values.length) {
        var n = values[i] + values[i + 1] * 45 + values[i + 2] * 2025;
        if (n > 0xffff) throw new Invalid("bad_encoding");
        out.push(n >> 8, n & 255);
      } else {
        var m = values[i] + values[i + 1] * 45;
        if (m > 0xff) throw new Invalid("bad_encoding");
        out.push(m);
      }
    }
    return new Uint8Array(out);
  }

  /* zlib when the stream says so (0x78), else a bare COSE message; never more
     than a genuine payload could be (a "zip bomb" stops here). */
  function inflate(bytes) {
    if (bytes[0] !== 0x78) return Promise.resolve(bytes);
    var reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate")).getReader();
    var chunks = [];
    var total = 0;
    function next() {
      return reader.read().then(function (step) {
        if (step.done) {
          var out = new Uint8Array(total);
          var at = 0;
          chunks.forEach(function (c) { out.set(c, at); at += c.length; });
          return out;
        }
        total += step.value.length;
        if (total > MAX_INFLATED) {
          reader.cancel();
          throw new Invalid("bad_compression");
        }
        chunks.push(step.value);
        return next();
      });
    }
    return next().catch(function (error) {
      throw error instanceof Invalid ? error : new Invalid("bad_compression");
    });
  }

  /* The CBOR this format uses: integers, byte and text strings, arrays, maps,
     tags, true/false/null; definite lengths only. */
  function cbor(bytes) {
    var pos = 0;
    var text = new TextDecoder("utf-8", { fatal: true });
    function need(n) { if (n < 0 || pos + n > bytes.length) throw new Invalid("bad_cose"); }
    function length(info) {
      if (info < 24) return info;
      var size = { 24: 1, 25: 2, 26: 4, 27: 8 }[info];
      if (!size) throw new Invalid("bad_cose");
      need(size);
      var n = 0;
      for (var i = 0; i < size; i++) n = n * 256 + bytes[pos++];
      if (!Number.isSafeInteger(n)) throw new Invalid("bad_cose");
      return n;
    }
    function item(depth) {
      if (depth > 16) throw new Invalid("bad_cose");
      need(1);
      var first = bytes[pos++];
      var major = first >> 5;
      var info = first & 31;
      if (major === 7) {
        if (info === 20) return false;
        if (info === 21) return true;
        if (info === 22) return null;
        throw new Invalid("bad_cose");
      }
      var n = length(info);
      var i;
      switch (major) {
        case 0: return n;
        case 1: return -1 - n;
        case 2:
          need(n);
          pos += n;
          return bytes.subarray(pos - n, pos);
        case 3:
          need(n);
          pos += n;
          try { return text.decode(bytes.subarray(pos - n, pos)); } catch (e) { throw new Invalid("bad_cose"); }
        case 4:
          need(n);
          var list = [];
          for (i = 0; i < n; i++) list.push(item(depth + 1));
          return list;
        case 5:
          need(n);
          var map = new Map();
          for (i = 0; i < n; i++) {
            var key = item(depth + 1);
            map.set(key, item(depth + 1));
          }
          return map;
        default: // 6: a tag
          return { tag: n, value: item(depth + 1) };
      }
    }
    var result = item(0);
    if (pos !== bytes.length) throw new Invalid("bad_cose");
    return result;
  }

  function head(major, n) {
    if (n < 24) return [(major << 5) | n];
    if (n < 256) return [(major << 5) | 24, n];
    return [(major << 5) | 25, n >> 8, n & 255];
  }

  /* ["Signature1", protected, b"", payload], encoded as the signer did. */
  function sigStructure(protectedBytes, payload) {
    var label = Array.prototype.map.call("Signature1", function (c) { return c.charCodeAt(0); });
    var parts = [[0x84], head(3, label.length), label, head(2, protectedBytes.length), protectedBytes, [0x40],
      head(2, payload.length), payload];
    var size = parts.reduce(function (s, p) { return s + p.length; }, 0);
    var out = new Uint8Array(size);
    var at = 0;
    parts.forEach(function (p) { out.set(p, at); at += p.length; });
    return out;
  }

  function b64url(bytes) {
    return btoa(String.fromCharCode.apply(null, Array.from(bytes))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function findKey(kid) {
    return (DATA.keys || []).filter(function (k) { return k.kid === kid; })[0] || null;
  }

  /* A key this page does not know may be newer than the page: ask once. */
  function refreshKeys() {
    if (!navigator.onLine) return Promise.resolve(false);
    return fetch("/verify/keys.json", { cache: "no-store" }).then(function (response) {
      if (!response.ok) return false;
      return response.json().then(function (jwks) {
        DATA.keys = jwks.keys || DATA.keys;
        return true;
      });
    }).catch(function () { return false; });
  }

  function isInt(v) { return typeof v === "number" && Number.isSafeInteger(v); }

  function readClaims(map) {
    if (!(map instanceof Map)) throw new Invalid("bad_claims");
    var c = {};
    map.forEach(function (value, key) { if (isInt(key)) c[key] = value; });
    var types = { 1: "string", 2: "number", 3: "string", 4: "string", 5: "string", 6: "string", 7: "string", 10: "boolean", 11: "number", 12: "number" };
    Object.keys(types).forEach(function (k) {
      if (typeof c[k] !== types[k]) throw new Invalid("bad_claims");
    });
    if (!Array.isArray(c[9]) || !isInt(c[11]) || !isInt(c[12]) || c[11] > c[12]) throw new Invalid("bad_claims");
    if (c[2] !== 1 && c[2] !== 2) throw new Invalid("bad_claims");
    if (isInt(c[8])) {
      if (c[8] < 1 || c[8] > DATA.procedures.length) throw new Invalid("bad_claims");
      c[8] = DATA.procedures[c[8] - 1];
    } else if (typeof c[8] !== "string") {
      throw new Invalid("bad_claims");
    }
    return c;
  }

  /* The whole check: resolves to {claims, key}, or rejects with Invalid(code). */
  function open(text) {
    text = String(text || "").replace(/[\r\n]+$/, "");
    if (text.indexOf(DATA.prefix) !== 0) return Promise.reject(new Invalid("bad_prefix"));
    var cose, header, kid;
    return Promise.resolve().then(function () {
      return inflate(base45(text.slice(DATA.prefix.length)));
    }).then(function (message) {
      cose = cbor(message);
      if (!cose || cose.tag !== 18 || !Array.isArray(cose.value) || cose.value.length !== 4) throw new Invalid("bad_cose");
      cose = cose.value;
      if (!(cose[0] instanceof Uint8Array) || !(cose[2] instanceof Uint8Array) || !(cose[3] instanceof Uint8Array)) throw new Invalid("bad_cose");
      header = cbor(cose[0]);
      if (!(header instanceof Map)) throw new Invalid("bad_cose");
      if (header.get(1) !== -7) throw new Invalid("unsupported_algorithm");
      if (!(header.get(4) instanceof Uint8Array)) throw new Invalid("bad_cose");
      kid = b64url(header.get(4));
      return findKey(kid) || refreshKeys().then(function () { return findKey(kid); });
    }).then(function (jwk) {
      if (!jwk) throw new Invalid("unknown_key");
      if (cose[3].length !== 64) throw new Invalid("bad_signature");
      return subtle.importKey("jwk", { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y, ext: true },
        { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]).then(function (key) {
        return subtle.verify({ name: "ECDSA", hash: "SHA-256" }, key, cose[3], sigStructure(cose[0], cose[2]));
      }).then(function (good) {
        if (!good) throw new Invalid("bad_signature");
        var claims = readClaims(cbor(cose[2]));
        if (claims[3] !== jwk.prefecture) throw new Invalid("wrong_prefecture");
        return { claims: claims, key: jwk };
      });
    });
  }

  /* -- showing the verdict ----------------------------------------------------- */
  function today() {
    var now = new Date();
    return Math.floor(Date.UTC(now.getFullYear(), now.getMonth(), now.getDate()) / 86400000);
  }
  function formatDay(days) {
    return new Date(days * 86400000).toLocaleDateString(lang, { dateStyle: "long", timeZone: "UTC" });
  }
  function formatIso(iso) {
    var p = iso.split("-").map(Number);
    return formatDay(Math.floor(Date.UTC(p[0], p[1] - 1, p[2]) / 86400000));
  }

  function pick(box, attribute, value) {
    box.querySelectorAll("[" + attribute + "]").forEach(function (el) { el.hidden = el.getAttribute(attribute) !== value; });
  }

  function render(verdict, explain, claims, online) {
    var box = template.content.firstElementChild.cloneNode(true);
    box.setAttribute("data-verify-verdict", verdict);
    pick(box, "data-verdict", verdict);
    pick(box, "data-explain", explain || verdict);
    var details = box.querySelector("[data-details]");
    details.hidden = !claims;
    if (claims) {
      var values = {
        family_name: claims[5], given_names: claims[6], birth_date: formatIso(claims[7]),
        issued: formatDay(claims[11]), valid_until: formatDay(claims[12]),
        prefecture: (DATA.prefectures || {})[claims[3]] || claims[3],
        procedure: (DATA.procedure_labels || {})[claims[8]] || claims[8],
        file_number: claims[4], code: claims[1],
      };
      Object.keys(values).forEach(function (name) {
        var field = box.querySelector('[data-field="' + name + '"]');
        if (field) field.textContent = values[name];
      });
      pick(box, "data-kind", String(claims[2]));
      pick(box, "data-work", claims[10] ? "yes" : "no");
      pick(box, "data-online", online);
    }
    output.replaceChildren(box);
    var heading = box.querySelector(".verify-verdict");
    if (heading) heading.focus();
  }

  function datesVerdict(claims) {
    var day = today();
    if (day > claims[12]) return "expired";
    if (day < claims[11]) return "not_yet_valid";
    return "valid";
  }

  function check(text) {
    say("");
    return open(text).then(function (found) {
      var claims = found.claims;
      var verdict = datesVerdict(claims);
      render(verdict, null, claims, navigator.onLine ? "unknown" : "offline");
      if (!navigator.onLine) return;
      return fetch("/verify/status/" + encodeURIComponent(claims[1]), { cache: "no-store" }).then(function (response) {
        if (!response.ok) throw new Error("status " + response.status);
        return response.json();
      }).then(function (answer) {
        var status = answer.status;
        if (status === "revoked" || status === "expired") verdict = status;
        // Superseded: a newer one exists, this one stays in force to its end date.
        var explain = status === "superseded" && verdict === "valid" ? "superseded" : null;
        render(verdict, explain, claims, status === "unknown" ? "unknown" : "checked");
      }).catch(function () {
        render(verdict, null, claims, "offline");
      });
    }).catch(function (error) {
      var code = error instanceof Invalid ? error.code : "bad_signature";
      if (code === "bad_prefix") render("not_sesame", "not_sesame", null);
      else render("not_genuine", code === "unknown_key" ? "unknown_key" : "not_genuine", null);
    });
  }

  /* -- reading a QR code ---------------------------------------------------------- */
  var jsQRLoading = null;
  function loadJsQR() {
    if (window.jsQR) return Promise.resolve(window.jsQR);
    if (!jsQRLoading) {
      jsQRLoading = new Promise(function (resolve, reject) {
        var script = document.createElement("script");
        script.src = DATA.decoder;
        script.onload = function () { resolve(window.jsQR); };
        script.onerror = function () { jsQRLoading = null; reject(new Error("decoder")); };
        document.head.appendChild(script);
      });
    }
    return jsQRLoading;
  }

  var nativeDetector = null;
  var detectorReady = ("BarcodeDetector" in window
    ? window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") >= 0) nativeDetector = new window.BarcodeDetector({ formats: ["qr_code"] });
    }).catch(function () {})
    : Promise.resolve()
  ).then(function () {
    // Without a native reader, fetch the decoder now (not run) through the
    // service worker, which keeps it: a photo can then be read with no network.
    var worker = navigator.serviceWorker;
    if (nativeDetector || !DATA.decoder || !worker) return;
    var keep = function () { fetch(DATA.decoder).catch(function () {}); };
    if (worker.controller) keep();
    else worker.addEventListener("controllerchange", keep, { once: true });
  });

  var canvas = document.createElement("canvas");
  function pixels(source, width, height) {
    var scale = Math.min(1, 1600 / Math.max(width, height));
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    return context.getImageData(0, 0, canvas.width, canvas.height);
  }

  /* Resolves to the QR text in `source` (an image or the video), or null. */
  function read(source, width, height) {
    return detectorReady.then(function () {
      if (nativeDetector) {
        return nativeDetector.detect(source).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
      }
      return loadJsQR().then(function (jsQR) {
        var image = pixels(source, width, height);
        var found = jsQR(image.data, image.width, image.height, { inversionAttempts: "attemptBoth" });
        return found ? found.data : null;
      });
    });
  }

  var photo = document.querySelector("[data-verify-photo]");
  photo.addEventListener("change", function () {
    var file = photo.files && photo.files[0];
    if (!file) return;
    photo.value = ""; // the same photo can be chosen again (after going online, say)
    say("reading");
    createImageBitmap(file).then(function (bitmap) {
      return read(bitmap, bitmap.width, bitmap.height);
    }).then(function (text) {
      if (text) return check(text);
      say("no_qr");
    }).catch(function (error) {
      say(error && error.message === "decoder" ? "no_decoder" : "no_qr");
    });
  });

  var video = document.querySelector("[data-verify-video]");
  var startButton = document.querySelector("[data-verify-camera]");
  var stopButton = document.querySelector("[data-verify-stop]");
  var stream = null;

  function stopCamera() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    stopButton.hidden = true;
    startButton.hidden = false;
  }

  function scanFrame() {
    if (!stream) return;
    var next = function () { setTimeout(scanFrame, 250); };
    if (video.readyState < 2) return next();
    read(video, video.videoWidth, video.videoHeight).then(function (text) {
      if (!text) return next();
      stopCamera();
      check(text);
    }).catch(function (error) {
      stopCamera();
      say(error && error.message === "decoder" ? "no_decoder" : "no_qr");
    });
  }

  startButton.addEventListener("click", function () {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return say("no_camera");
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false }).then(function (s) {
      stream = s;
      video.srcObject = s;
      video.hidden = false;
      stopButton.hidden = false;
      startButton.hidden = true;
      say("looking");
      return video.play().then(scanFrame);
    }).catch(function () {
      stopCamera();
      say("no_camera");
    });
  });
  stopButton.addEventListener("click", function () { stopCamera(); say(""); });

  if (!subtle || typeof DecompressionStream === "undefined") {
    scan.hidden = false;
    startButton.disabled = true;
    photo.disabled = true;
    say("no_crypto");
    return;
  }
  scan.hidden = false;
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) startButton.hidden = true;

  // For tests and for other pages' scripts: check a text directly.
  window.Sesame = window.Sesame || {};
  window.Sesame.verify = check;
})();
