/* Shelter mode's keys (docs/adr/0021): nothing of a person rests in clear.
 *
 *   key-encryption key (KEK)  from the worker's passkey (WebAuthn PRF, HKDF-SHA256)
 *                             or from a PIN (PBKDF2-SHA256, PIN_ITERATIONS)
 *     └ device key            random AES-GCM 256, one per worker on this device,
 *                             kept only wrapped by the KEK
 *         └ person key        random AES-GCM 256, one per person followed, kept
 *                             wrapped by the device key beside the person's record
 *             └ the person's records, commands, files: AES-GCM, a fresh 96-bit IV each
 * Unwrapped keys are non-extractable and live in this page's memory only;
 * lock() forgets them. DOM-free; uses the "vault" store of shelter-store.js.
 */
(function (self) {
  "use strict";
  var subtle = self.crypto.subtle;
  var PIN_ITERATIONS = 600000; // OWASP 2023 for PBKDF2-HMAC-SHA256; the bench measures its cost
  var enc = new TextEncoder();
  var dec = new TextDecoder();
  var state = { worker: null, device: null, people: {} };

  function random(n) {
    return self.crypto.getRandomValues(new Uint8Array(n));
  }
  function b64(bytes) {
    var s = "";
    var view = new Uint8Array(bytes);
    for (var i = 0; i < view.length; i++) s += String.fromCharCode(view[i]);
    return btoa(s);
  }
  function unb64(text) {
    var s = atob(text);
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  function fail(kind) {
    return Object.assign(new Error(kind), { kind: kind });
  }

  /* -- key-encryption keys --------------------------------------------------- */
  function kekFromPin(pin, salt, iterations) {
    return subtle.importKey("raw", enc.encode(pin), "PBKDF2", false, ["deriveKey"]).then(function (base) {
      return subtle.deriveKey(
        { name: "PBKDF2", hash: "SHA-256", salt: salt, iterations: iterations },
        base, { name: "AES-GCM", length: 256 }, false, ["wrapKey", "unwrapKey"]);
    });
  }
  function kekFromSecret(secret, salt, worker) {
    return subtle.importKey("raw", secret, "HKDF", false, ["deriveKey"]).then(function (base) {
      return subtle.deriveKey(
        { name: "HKDF", hash: "SHA-256", salt: salt, info: enc.encode("sesame-shelter-kek:" + worker) },
        base, { name: "AES-GCM", length: 256 }, false, ["wrapKey", "unwrapKey"]);
    });
  }

  /* The passkey's PRF output for `salt` (a user-verified assertion, checked by
   * nobody but this page: what matters is the secret only the authenticator
   * can compute). Resolves {secret, credentialId}; rejects kind "no_prf". */
  function prf(salt, credentialId) {
    if (!self.PublicKeyCredential || !navigator.credentials) return Promise.reject(fail("no_prf"));
    var options = {
      challenge: random(32),
      userVerification: "required",
      timeout: 120000,
      extensions: { prf: { eval: { first: salt } } },
    };
    if (credentialId) options.allowCredentials = [{ type: "public-key", id: unb64(credentialId) }];
    return navigator.credentials.get({ publicKey: options }).then(function (credential) {
      var results = credential.getClientExtensionResults().prf;
      if (!results || !results.results || !results.results.first) throw fail("no_prf");
      return { secret: results.results.first, credentialId: b64(credential.rawId) };
    });
  }

  function deviceKeyFrom(record, kek) {
    return subtle.unwrapKey("raw", unb64(record.wrapped), kek, { name: "AES-GCM", iv: unb64(record.iv) },
      { name: "AES-GCM", length: 256 }, false, ["wrapKey", "unwrapKey"]).catch(function () {
      throw fail("wrong_secret"); // AES-GCM's tag: a wrong PIN or passkey cannot unwrap
    });
  }

  /* A new device key wrapped by `kek`; resolves the vault record to keep, unlocked. */
  function seal(worker, method, kek, extra) {
    return subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["wrapKey", "unwrapKey"]).then(function (key) {
      var iv = random(12);
      return subtle.wrapKey("raw", key, kek, { name: "AES-GCM", iv: iv }).then(function (wrapped) {
        var record = Object.assign({ worker: worker, method: method, iv: b64(iv), wrapped: b64(wrapped), created: new Date().toISOString() }, extra);
        // Unlocked from now on, with the non-extractable copy (no second prompt).
        return deviceKeyFrom(record, kek).then(function (device) {
          state = { worker: worker, device: device, people: {} };
          return record;
        });
      });
    });
  }

  function setupPin(worker, pin) {
    var salt = random(16);
    return kekFromPin(pin, salt, PIN_ITERATIONS).then(function (kek) {
      return seal(worker, "pin", kek, { salt: b64(salt), iterations: PIN_ITERATIONS });
    });
  }

  function setupPrf(worker) {
    var salt = random(32);
    return prf(salt).then(function (found) {
      return kekFromSecret(found.secret, salt, worker).then(function (kek) {
        return seal(worker, "prf", kek, { salt: b64(salt), credentialId: found.credentialId });
      });
    });
  }

  /* The key-encryption key of a kept record: from the PIN, or the passkey's PRF. */
  function kekOf(record, pin) {
    return record.method === "pin"
      ? kekFromPin(pin || "", unb64(record.salt), record.iterations)
      : prf(unb64(record.salt), record.credentialId).then(function (found) {
        return kekFromSecret(found.secret, unb64(record.salt), record.worker);
      });
  }

  /* Unlock with the kept record: PIN or passkey. Resolves once keys are in memory. */
  function unlock(record, pin) {
    return kekOf(record, pin).then(function (k) { return deviceKeyFrom(record, k); }).then(function (device) {
      state = { worker: record.worker, device: device, people: {} };
    });
  }

  /* A new PIN (or a PIN instead of the passkey): the same device key, wrapped
   * again under a key from the new PIN, with a new salt. The person keys and
   * everything they encrypt stay as they are: nothing to re-encrypt, nothing to
   * lose if the page dies midway (the old record stays until the new one is
   * kept). The current secret is asked again, even unlocked: a device left open
   * must not let someone else take it over. The device key is extractable only
   * inside this function, to be wrapped. Resolves the record to keep. */
  function changePin(record, pin, newPin) {
    return kekOf(record, pin).then(function (old) {
      return subtle.unwrapKey("raw", unb64(record.wrapped), old, { name: "AES-GCM", iv: unb64(record.iv) },
        { name: "AES-GCM", length: 256 }, true, ["wrapKey", "unwrapKey"]).catch(function () {
        throw fail("wrong_secret");
      });
    }).then(function (device) {
      var salt = random(16);
      var iv = random(12);
      return kekFromPin(newPin, salt, PIN_ITERATIONS).then(function (kek) {
        return subtle.wrapKey("raw", device, kek, { name: "AES-GCM", iv: iv }).then(function (wrapped) {
          var fresh = {
            worker: record.worker, method: "pin", iv: b64(iv), wrapped: b64(wrapped),
            created: record.created, changed: new Date().toISOString(), salt: b64(salt), iterations: PIN_ITERATIONS,
          };
          return deviceKeyFrom(fresh, kek).then(function (key) {
            state = { worker: record.worker, device: key, people: state.people };
            return fresh;
          });
        });
      });
    });
  }

  function lock() {
    state = { worker: null, device: null, people: {} };
  }

  function unlocked() {
    return !!state.device;
  }

  function need() {
    if (!state.device) throw fail("locked");
  }

  /* -- person keys ----------------------------------------------------------- */
  function newPersonKey(person) {
    need();
    return subtle.generateKey({ name: "AES-GCM", length: 256 }, true, ["encrypt", "decrypt"]).then(function (key) {
      var iv = random(12);
      return subtle.wrapKey("raw", key, state.device, { name: "AES-GCM", iv: iv }).then(function (wrapped) {
        var kept = { iv: b64(iv), wrapped: b64(wrapped) };
        return personKey(person, kept).then(function () { return kept; });
      });
    });
  }

  /* The person's key (unwrapped once, then from memory while unlocked). */
  function personKey(person, kept) {
    need();
    if (state.people[person]) return Promise.resolve(state.people[person]);
    return subtle.unwrapKey("raw", unb64(kept.wrapped), state.device, { name: "AES-GCM", iv: unb64(kept.iv) },
      { name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]).then(function (key) {
      if (state.device) state.people[person] = key;
      return key;
    });
  }

  /* -- boxes: {iv, data} with data the AES-GCM ciphertext ------------------- */
  function encryptBytes(key, bytes) {
    var iv = random(12);
    return subtle.encrypt({ name: "AES-GCM", iv: iv }, key, bytes).then(function (data) {
      return { iv: iv, data: data };
    });
  }
  function decryptBytes(key, box) {
    return subtle.decrypt({ name: "AES-GCM", iv: box.iv }, key, box.data);
  }
  function encryptJSON(key, value) {
    return encryptBytes(key, enc.encode(JSON.stringify(value)));
  }
  function decryptJSON(key, box) {
    return decryptBytes(key, box).then(function (bytes) { return JSON.parse(dec.decode(bytes)); });
  }

  (self.Sesame = self.Sesame || {}).vault = {
    PIN_ITERATIONS: PIN_ITERATIONS,
    setupPin: setupPin,
    setupPrf: setupPrf,
    unlock: unlock,
    changePin: changePin,
    lock: lock,
    unlocked: unlocked,
    worker: function () { return state.worker; },
    newPersonKey: newPersonKey,
    personKey: personKey,
    forget: function (person) { delete state.people[person]; },
    encryptBytes: encryptBytes,
    decryptBytes: decryptBytes,
    encryptJSON: encryptJSON,
    decryptJSON: decryptJSON,
  };
})(self);
