/* The page side of offline work: service worker, outbox status, sync.
 *
 *  - registers /sw.js and offers "update available" when a new version waits;
 *  - says when the page comes from the device's cache, and since when;
 *  - keeps the header's outbox indicator current and sends the outbox at
 *    every start, when the network returns, when the tab comes back, and with
 *    backoff after a failure (Background Sync too, where the browser has it);
 *  - pulls what changed (GET /sync/pull) and asks the service worker to
 *    refresh the pages that changed; while sent commands are not yet in the
 *    server's replica, pulls again (3 s, doubling to 1 min) to learn when they
 *    are; after a restore (a new epoch) sends again what the server lacks and
 *    reads the feed from the start (docs/adr/0008);
 *  - asks for persistent storage once something waits on the device.
 * Re-dispatches outbox events on document as CustomEvents "outbox:<type>".
 */
(function () {
  "use strict";
  var S = window.Sesame;
  var gettext = S.gettext;
  var format = S.format;
  var html = document.documentElement;
  var account = html.getAttribute("data-account") || "";
  var worker = "serviceWorker" in navigator ? navigator.serviceWorker : null;

  function banner(id, text, action) {
    var box = document.getElementById(id);
    if (!box) return;
    box.hidden = !text;
    box.querySelector("[data-text]").textContent = text || "";
    var button = box.querySelector("button");
    if (button) {
      button.hidden = !action;
      button.onclick = action || null;
    }
  }

  function tell(message) {
    if (worker && worker.controller) worker.controller.postMessage(message);
  }

  /* -- the service worker and its updates ---------------------------------- */
  var updating = false;
  if (worker) {
    worker.register("/sw.js", { scope: "/" }).then(function (registration) {
      function offer(waiting) {
        banner("update-banner", gettext("Une nouvelle version de Sésame est prête."), function () {
          updating = true;
          waiting.postMessage({ type: "skip-waiting" });
        });
      }
      if (registration.waiting && worker.controller) offer(registration.waiting);
      registration.addEventListener("updatefound", function () {
        var installing = registration.installing;
        installing.addEventListener("statechange", function () {
          if (installing.state === "installed" && worker.controller) offer(installing);
        });
      });
      S.registration = registration;
    });
    worker.addEventListener("controllerchange", function () {
      if (updating) location.reload();
    });
  }

  /* -- pages from the cache -------------------------------------------------- */
  function offlineNotice() {
    var served = html.getAttribute("data-served");
    var rendered = html.getAttribute("data-rendered-at");
    if (served === "network" && navigator.onLine) return banner("offline-banner", "");
    var when = rendered ? new Date(rendered).toLocaleString(html.lang, { dateStyle: "medium", timeStyle: "short" }) : "";
    var text = served === "network"
      ? gettext("Vous êtes hors connexion. Ce que vous faites est gardé sur cet appareil et partira au retour du réseau.")
      : format(gettext("Hors connexion : cette page a été enregistrée le %(date)s. Ce que vous faites est gardé sur cet appareil et partira au retour du réseau."), { date: when });
    banner("offline-banner", text);
  }
  offlineNotice();
  window.addEventListener("online", offlineNotice);
  window.addEventListener("offline", offlineNotice);

  if (!account || !S.outbox) return;

  /* -- the outbox ----------------------------------------------------------- */
  var indicator = document.querySelector("[data-outbox-indicator]");
  var idb = S.idb;
  var outbox = S.outbox;

  function refreshIndicator() {
    return outbox.list().then(function (entries) {
      var mine = entries.filter(function (e) { return e.account === account; });
      var refused = mine.filter(function (e) { return e.state === "refused"; }).length;
      var waiting = mine.length - refused;
      if (!indicator) return mine;
      indicator.hidden = !mine.length;
      indicator.classList.toggle("outbox-link--attention", refused > 0);
      indicator.textContent = refused
        ? format(gettext("%(n)s à revoir"), { n: refused })
        : format(gettext("%(n)s en attente d’envoi"), { n: waiting });
      return mine;
    });
  }

  outbox.on(function (event) {
    document.dispatchEvent(new CustomEvent("outbox:" + event.type, { detail: event }));
    if (event.type !== "progress") refreshIndicator();
  });

  var timer = null;
  function flush() {
    clearTimeout(timer);
    return outbox.flush(account).then(function (result) {
      if (result.ok) {
        banner("signin-banner", "");
        return pull().then(function () { return result; });
      }
      if (result.reason === "signed_out") {
        banner("signin-banner", gettext("Votre session a expiré. Reconnectez-vous : ce qui attend d’être envoyé est gardé sur cet appareil, et partira ensuite."));
      } else if (result.reason === "other_account") {
        banner("signin-banner", gettext("Des éléments ont été préparés sur cet appareil avec un autre compte. Ils partiront quand vous vous reconnecterez ici avec ce compte."));
      } else if (result.retryIn) {
        timer = setTimeout(flush, result.retryIn * 1000);
      }
      return result;
    });
  }
  S.flush = flush;

  document.addEventListener("outbox:queued", function () {
    if (navigator.storage && navigator.storage.persist) navigator.storage.persist();
    if (S.registration && S.registration.sync) S.registration.sync.register("outbox").catch(function () {});
  });
  window.addEventListener("online", flush);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") flush();
  });

  /* -- pull: what changed on the server ------------------------------------- */
  var watching = null;
  var watchDelay = 3;
  /* While something sent is not yet safe on the server, ask again later (a
   * flush, then a pull: what was acknowledged before a restore goes again). */
  function watch() {
    return outbox.unsafe(account).then(function (entries) {
      clearTimeout(watching);
      if (!entries.length) {
        watchDelay = 3;
        return;
      }
      watching = setTimeout(flush, watchDelay * 1000);
      watchDelay = Math.min(60, watchDelay * 2);
    });
  }

  function pull(resets) {
    return idb.get("meta", "cursor:" + account).then(function (cursor) {
      var changedFiles = {};
      var decisionPages = []; // a decision is read offline too: its page is kept
      var any = false;
      function page(at) {
        return fetch("/sync/pull?cursor=" + (at || 0), { credentials: "same-origin", headers: { Accept: "application/json" } })
          .then(function (response) {
            if (!response.ok) throw new Error("pull");
            return response.json();
          })
          .then(function (body) {
            return outbox.observe(account, body.epoch, body.durable).then(function (changed) {
              if (changed) throw Object.assign(new Error("epoch"), { kind: "epoch" });
              return idb.tx(["records", "meta"], "readwrite", function (records, meta) {
                body.records.forEach(function (r) {
                  records.put({ key: r.type + ":" + r.id, type: r.type, id: r.id, version: r.version, data: r.data, account: account });
                  any = true;
                  var file = r.type === "file" ? r.id : r.data.file_id;
                  if (file) changedFiles[file] = true;
                  if (r.type === "decision") decisionPages.push("/files/" + file + "/decisions/" + r.id);
                });
                meta.put(body.cursor, "cursor:" + account);
              });
            }).then(function () {
              return body.more ? page(body.cursor) : null;
            });
          });
      }
      return page(cursor).then(function () {
        if (!any || !cursor) return; // the first pull fills the store; pages are fresh already
        var urls = ["/dashboard", "/timeline"];
        Object.keys(changedFiles).forEach(function (id) {
          urls.push("/files/" + id, "/files/" + id + "/messages", "/files/" + id + "/checklist");
        });
        tell({ type: "refresh", urls: urls.concat(decisionPages) });
      });
    }).then(watch, function (error) {
      // Restored: send again what it lacks, then read everything from the start.
      if (error.kind === "epoch" && (resets || 0) < 3) {
        return outbox.flush(account).then(function () { return pull((resets || 0) + 1); }).then(function () {
          tell({ type: "refresh", urls: ["/dashboard", "/timeline"] });
        });
      }
      /* offline: the next flush pulls */
    });
  }
  /* -- one device, several people: pages of someone else are not shown;
     pages kept in another language are fetched again ------------------------- */
  var warm = document.getElementById("sesame-warm");
  var fresh = document.getElementById("sesame-refresh");
  Promise.all([idb.get("meta", "account"), idb.get("meta", "lang")]).then(function (previous) {
    if ((previous[0] && previous[0] !== account) || (previous[1] && previous[1] !== html.lang)) tell({ type: "forget-pages" });
    return Promise.all([idb.put("meta", account, "account"), idb.put("meta", html.lang, "lang")]);
  }).then(function () {
    if (warm) tell({ type: "warm", urls: JSON.parse(warm.textContent) });
    // The attestation pages are fetched again each time (a renewal changes them),
    // so the copy shown at a counter with no network is the latest one seen.
    if (fresh && navigator.onLine) tell({ type: "refresh", urls: JSON.parse(fresh.textContent) });
  });

  /* Signing out of a phone shared with family: this browser stops receiving this
   * account's notifications. The form names its subscription (the server ends it
   * for this account) and the browser unsubscribes. Never holds the sign-out up. */
  function forgetPush(form) {
    if (!navigator.serviceWorker) return Promise.resolve();
    var found = navigator.serviceWorker.getRegistration().then(function (registration) {
      return registration && registration.pushManager ? registration.pushManager.getSubscription() : null;
    }).then(function (subscription) {
      if (!subscription) return null;
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "push_endpoint";
      input.value = subscription.endpoint;
      form.appendChild(input);
      return subscription.unsubscribe();
    }).catch(function () { /* the sign-out goes on: the server ends it at its next 404/410 */ });
    return Promise.race([found, new Promise(function (resolve) { setTimeout(resolve, 3000); })]);
  }

  document.querySelectorAll('form[action="/signout"]').forEach(function (form) {
    form.addEventListener("submit", function (event) {
      refreshIndicator().then(function (mine) {
        var waiting = mine.filter(function (e) { return e.state === "pending"; }).length;
        if (waiting && !window.confirm(format(gettext("Éléments pas encore envoyés : %(n)s. Ils resteront sur cet appareil et partiront quand vous vous reconnecterez. Se déconnecter ?"), { n: waiting }))) return;
        tell({ type: "forget-pages" });
        return forgetPush(form).then(function () { form.submit(); });
      });
      event.preventDefault();
    });
  });

  refreshIndicator();
  flush();
})();
