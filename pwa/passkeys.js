/* Passkey ceremonies for the pages that carry their options.
 *
 * The page holds <script type="application/json" id="webauthn-options">
 * {mode: "create" | "get", flow, publicKey} and a <form data-passkey-form>
 * with hidden inputs "flow" and "credential". A click on [data-passkey-start]
 * runs the ceremony; its result goes into "credential" and the form is posted
 * as plain HTML: the server answers with a page, as for any form.
 * On the sign-in page, autofill (conditional mediation) is started at load
 * where the browser supports it.
 */
(function () {
  "use strict";
  var gettext = window.Sesame.gettext;
  var optionsElement = document.getElementById("webauthn-options");
  var form = document.querySelector("form[data-passkey-form]");
  if (!optionsElement || !form) return;
  var ceremony = JSON.parse(optionsElement.textContent);
  var button = form.querySelector("[data-passkey-start]");
  var status = document.getElementById("passkey-status");
  var pending = null; // AbortController of a running autofill request
  var autofill = Promise.resolve(); // settles when that request has ended

  function say(message, kind) {
    status.hidden = false;
    // An error interrupts the screen reader; progress is announced politely.
    status.setAttribute("role", kind === "error" ? "alert" : "status");
    status.className = "alert" + (kind ? " alert--" + kind : "");
    status.textContent = message;
  }

  if (!window.PublicKeyCredential || !navigator.credentials) {
    document.getElementById("passkey-unsupported").hidden = false;
    return;
  }
  button.hidden = false;

  /* base64url <-> ArrayBuffer, for browsers without parse…FromJSON / toJSON. */
  function toBuffer(value) {
    var base64 = value.replace(/-/g, "+").replace(/_/g, "/");
    var binary = atob(base64 + "===".slice((base64.length + 3) % 4));
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    return bytes.buffer;
  }
  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) binary += String.fromCharCode(bytes[i]);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function descriptors(list) {
    return (list || []).map(function (d) {
      return Object.assign({}, d, { id: toBuffer(d.id) });
    });
  }
  function creationOptions(json) {
    // Ask for the PRF extension (hmac-secret) at creation: an authenticator
    // that has it can then give shelter mode its encryption key (ADR 0021).
    // An authenticator without it ignores the request.
    json = Object.assign({}, json, { extensions: Object.assign({}, json.extensions, { prf: {} }) });
    if (PublicKeyCredential.parseCreationOptionsFromJSON) {
      return PublicKeyCredential.parseCreationOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: toBuffer(json.challenge),
      user: Object.assign({}, json.user, { id: toBuffer(json.user.id) }),
      excludeCredentials: descriptors(json.excludeCredentials),
    });
  }
  function requestOptions(json) {
    if (PublicKeyCredential.parseRequestOptionsFromJSON) {
      return PublicKeyCredential.parseRequestOptionsFromJSON(json);
    }
    return Object.assign({}, json, {
      challenge: toBuffer(json.challenge),
      allowCredentials: descriptors(json.allowCredentials),
    });
  }
  function credentialJSON(credential) {
    if (typeof credential.toJSON === "function") return credential.toJSON();
    var r = credential.response;
    var response = { clientDataJSON: toBase64url(r.clientDataJSON) };
    if (r.attestationObject) {
      response.attestationObject = toBase64url(r.attestationObject);
      response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      response.authenticatorData = toBase64url(r.authenticatorData);
      response.signature = toBase64url(r.signature);
      if (r.userHandle) response.userHandle = toBase64url(r.userHandle);
    }
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      response: response,
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
    };
  }

  function explain(error) {
    var name = error && error.name;
    if (name === "AbortError") return null; // we cancelled autofill ourselves
    // The browser says NotAllowedError both for "cancelled" and, when signing in,
    // for "no passkey for this site here": each ceremony says what fits it.
    if (name === "NotAllowedError" && ceremony.mode === "create") {
      return gettext("La clé d’accès n’a pas été créée : l’opération a été annulée, ou le téléphone n’a pas été déverrouillé. Une clé d’accès a besoin du verrouillage de l’écran (code, schéma, empreinte ou visage) : s’il n’est pas activé, activez-le dans les réglages du téléphone, puis réessayez.");
    }
    if (name === "NotAllowedError") {
      return gettext("Vous n’êtes pas connecté : vous avez annulé, ou ce téléphone n’a pas de clé d’accès pour Sésame (nouveau téléphone, autre navigateur). Réessayez, ou utilisez un code de secours ; si vous n’avez jamais eu de compte, créez-en un.");
    }
    if (name === "InvalidStateError") {
      return gettext("Une clé d’accès de ce compte existe déjà sur cet appareil. Utilisez-la pour vous connecter, ou choisissez un autre appareil.");
    }
    if (name === "SecurityError") {
      return gettext("Votre navigateur refuse les clés d’accès sur cette adresse. Ouvrez Sésame depuis son adresse officielle.");
    }
    if (name === "NotSupportedError") {
      return gettext("Cet appareil ne peut pas créer ce type de clé d’accès. Essayez avec un autre appareil ou un navigateur à jour.");
    }
    return gettext("La clé d’accès n’a pas fonctionné. Réessayez ; si le problème continue, utilisez un code de secours.");
  }

  function submit(credential) {
    form.elements.credential.value = JSON.stringify(credentialJSON(credential));
    say(gettext("Vérification…"));
    form.submit();
  }

  function run(mediation) {
    var call;
    if (ceremony.mode === "create") {
      call = navigator.credentials.create({ publicKey: creationOptions(ceremony.publicKey) });
    } else {
      var request = { publicKey: requestOptions(ceremony.publicKey) };
      if (mediation === "conditional") {
        pending = new AbortController();
        request.mediation = "conditional";
        request.signal = pending.signal;
      }
      call = navigator.credentials.get(request);
    }
    return call.then(
      function (credential) {
        if (credential) submit(credential);
      },
      function (error) {
        var message = explain(error);
        if (message) say(message, "error");
        if (ceremony.mode === "get" && mediation !== "conditional") startAutofill();
      }
    );
  }

  function startAutofill() {
    if (ceremony.mode !== "get" || !PublicKeyCredential.isConditionalMediationAvailable) return;
    PublicKeyCredential.isConditionalMediationAvailable().then(function (available) {
      if (!available) return;
      var field = form.querySelector("[data-passkey-autofill]");
      if (field) field.hidden = false;
      autofill = run("conditional");
    });
  }

  form.addEventListener("submit", function (event) {
    if (form.elements.credential.value) return;
    event.preventDefault();
    if (pending) {
      pending.abort();
      pending = null;
    }
    status.hidden = true;
    // One WebAuthn request at a time: wait for the aborted autofill to end.
    autofill.then(function () {
      run("modal");
    });
  });

  startAutofill();
})();
