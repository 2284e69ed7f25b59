/* Web Push on the account page (ADR 0024): turn notifications on or off for
 * this browser.
 *
 * On: ask the permission, subscribe with the server's VAPID public key
 * (<script id="push-data">), then post the subscription through the plain form
 * <form data-push-form> (the route /account/push keeps it as a command).
 * Off: unsubscribe this browser, then post the remove form of its row.
 * The state line says only what is true of this browser: on once the server
 * lists its subscription, never before.
 */
(function () {
  "use strict";
  var S = window.Sesame || {};
  var gettext = S.gettext || function (s) { return s; };
  var box = document.querySelector("[data-push]");
  var dataEl = document.getElementById("push-data");
  var form = document.querySelector("[data-push-form]");
  if (!box || !dataEl || !form) return;
  var data = JSON.parse(dataEl.textContent || "{}");
  var state = box.querySelector("[data-push-state]");
  var on = box.querySelector("[data-push-on]");
  var off = box.querySelector("[data-push-off]");

  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    var unsupported = document.querySelector("[data-push-unsupported]");
    if (unsupported) unsupported.hidden = false;
    return;
  }
  box.hidden = false;

  function key(base64url) {
    var padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = atob(padded);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function show(subscription) {
    var known = subscription && data.endpoints && data.endpoints[subscription.endpoint];
    on.hidden = !!known;
    off.hidden = !known;
    if (known) state.textContent = gettext("Cet appareil reçoit les notifications de Sésame.");
    else if (Notification.permission === "denied") {
      state.textContent = gettext("Les notifications sont bloquées pour Sésame dans les réglages de ce navigateur. Autorisez-les dans les réglages du site, puis revenez ici.");
    } else state.textContent = gettext("Cet appareil ne reçoit pas de notifications.");
  }

  function registration() {
    return navigator.serviceWorker.ready;
  }

  registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(show, function () { show(null); });

  on.addEventListener("click", function () {
    on.disabled = true;
    state.textContent = gettext("Activation…");
    Notification.requestPermission().then(function (permission) {
      if (permission !== "granted") {
        show(null);
        on.disabled = false;
        return null;
      }
      return registration().then(function (reg) {
        return reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key(data.key) });
      }).then(function (subscription) {
        var json = subscription.toJSON();
        form.elements.endpoint.value = json.endpoint;
        form.elements.p256dh.value = json.keys.p256dh;
        form.elements.auth.value = json.keys.auth;
        form.submit();
      });
    }).catch(function () {
      on.disabled = false;
      state.textContent = gettext("Ce navigateur n’a pas pu s’abonner aux notifications (son service de notification est injoignable). Réessayez plus tard, ou recevez les nouvelles par courriel ou SMS.");
    });
  });

  off.addEventListener("click", function () {
    off.disabled = true;
    registration().then(function (reg) { return reg.pushManager.getSubscription(); }).then(function (subscription) {
      var id = subscription && data.endpoints[subscription.endpoint];
      return (subscription ? subscription.unsubscribe() : Promise.resolve(true)).then(function () {
        var remove = id && document.querySelector('[data-push-remove="' + id + '"]');
        if (remove) remove.submit();
        else show(null);
      });
    }).catch(function () {
      off.disabled = false;
      state.textContent = gettext("La désactivation n’a pas abouti. Réessayez.");
    });
  });
})();
