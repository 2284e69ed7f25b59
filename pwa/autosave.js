/* Save a file's fields as the person types.
 *
 * In a <form data-autosave="/files/<id>/fields">, the fields that changed are
 * saved 800 ms after the last keystroke, as one file.update command. With the
 * outbox (a signed-in applicant), the command is queued on the device first,
 * so it survives a closed tab or a lost connection, then sent; otherwise it is
 * posted as JSON {command_id, at, fields}. The server keeps, per field, the
 * newest value (by `at`), so late or repeated sends never overwrite newer typing.
 * Events on the form: autosave:saved, autosave:failed (detail: {fields}).
 * Without JavaScript the form's own buttons save, as plain HTML.
 */
(function () {
  "use strict";
  var S = window.Sesame;
  var gettext = S.gettext;
  var format = S.format;
  var html = document.documentElement;
  var account = html.getAttribute("data-account");
  var fileId = html.getAttribute("data-file-id") || location.pathname.split("/")[2];

  function uuid() {
    if (S.uuid) return S.uuid();
    return crypto.randomUUID();
  }

  function time() {
    return new Date().toLocaleTimeString(html.lang, { hour: "2-digit", minute: "2-digit" });
  }

  /* Queue and send through the outbox: resolves "sent", "kept" or a refusal message. */
  function viaOutbox(fields, label) {
    return S.outbox.add(account, "file.update", { file_id: fileId, fields: fields }, { label: label, page: location.pathname })
      .then(function (entry) {
        return S.flush().then(S.outbox.list).then(function (all) {
          var mine = all.filter(function (e) { return e.key === entry.key; })[0];
          if (!mine) return "sent";
          // Refused while online: said next to the form (the value is still in it), not kept "à revoir".
          if (mine.state === "refused") {
            return S.outbox.remove(mine).then(function () {
              throw { status: "refused", message: mine.reason && mine.reason.message };
            });
          }
          return "kept";
        });
      });
  }

  function viaFetch(url, fields, at) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify({ command_id: uuid(), at: at, fields: fields }),
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw body;
        return "sent";
      });
    });
  }

  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    var url = form.getAttribute("data-autosave");
    var status = form.querySelector("[data-autosave-status]");
    var pending = {}; // name -> {value, at}
    var timer = null;
    var sending = false;

    function say(text) {
      if (status) status.textContent = text;
    }

    function remember(event) {
      var field = event.target;
      if (!field.name || field.type === "hidden" || field.type === "file" || field.type === "submit") return;
      // A box of a date: the whole date is saved, as one text (forms.js, Sesame.dates).
      var date = S.dates && S.dates.of(field);
      if (date) pending[date] = { value: S.dates.compose(form, date), at: new Date().toISOString() };
      else pending[field.name] = { value: field.value, at: new Date().toISOString() };
      clearTimeout(timer);
      timer = setTimeout(send, 800);
    }

    function send() {
      var names = Object.keys(pending);
      if (!names.length || sending) return;
      var batch = pending;
      pending = {};
      var fields = {};
      var at = "";
      names.forEach(function (name) {
        fields[name] = batch[name].value;
        if (batch[name].at > at) at = batch[name].at;
      });
      sending = true;
      var saving = S.outbox && account ? viaOutbox(fields, form.getAttribute("data-label") || "") : viaFetch(url, fields, at);
      saving.then(function (how) {
        say(how === "sent"
          ? format(gettext("Enregistré à %(time)s."), { time: time() })
          : format(gettext("Gardé sur cet appareil à %(time)s ; partira au retour du réseau."), { time: time() }));
        form.dispatchEvent(new CustomEvent("autosave:saved", { detail: { fields: fields } }));
      }).catch(function (error) {
        // Keep what was not sent (unless newer typing replaced it) and say so;
        // a refusal is not retried: the message says what to correct.
        var refused = error && error.status === "refused";
        names.forEach(function (name) {
          if (!pending[name] && !refused) pending[name] = batch[name];
        });
        say(refused ? error.message : error && error.name === "QuotaExceededError"
          ? gettext("Plus assez de place sur cet appareil. Libérez de la place, ou enregistrez vos éléments non envoyés dans un fichier (page « En attente d’envoi »).")
          : gettext("Pas encore enregistré : la connexion semble coupée. Ce que vous avez tapé reste sur cette page ; nouvel essai dans quelques secondes."));
        form.dispatchEvent(new CustomEvent("autosave:failed", { detail: { fields: fields } }));
        if (!refused) setTimeout(send, 10000);
      }).then(function () {
        sending = false;
        if (Object.keys(pending).length) {
          clearTimeout(timer);
          timer = setTimeout(send, 800);
        }
      });
    }

    form.addEventListener("input", remember);
    form.addEventListener("change", remember);
    form.addEventListener("submit", function () {
      clearTimeout(timer);
      pending = {}; // the form itself carries every value
    });
    window.addEventListener("beforeunload", function (event) {
      if (Object.keys(pending).length) {
        send();
        event.preventDefault();
        event.returnValue = "";
      }
    });
  });
})();
