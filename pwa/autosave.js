/* Save a file's fields as the person types.
 *
 * A <form data-autosave="/files/<id>/fields"> sends the fields that changed,
 * 800 ms after the last keystroke, as one file.update command:
 * POST {command_id, at, fields}. The server keeps, per field, the newest value
 * (by `at`), so late or repeated sends never overwrite newer typing.
 * Events on the form: autosave:saved, autosave:failed (detail: {fields}).
 * Without JavaScript the form's own buttons save, as plain HTML.
 */
(function () {
  "use strict";
  var gettext = window.Sesame.gettext;
  var format = window.Sesame.format;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
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
      pending[field.name] = { value: field.value, at: new Date().toISOString() };
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
      fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify({ command_id: uuid(), at: at, fields: fields }),
      })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw body;
            var time = new Date().toLocaleTimeString(document.documentElement.lang, { hour: "2-digit", minute: "2-digit" });
            say(format(gettext("Enregistré à %(time)s."), { time: time }));
            form.dispatchEvent(new CustomEvent("autosave:saved", { detail: { fields: fields } }));
          });
        })
        .catch(function (error) {
          // Keep what was not sent (unless newer typing replaced it) and say so;
          // a refusal is not retried: the message says what to correct.
          names.forEach(function (name) {
            if (!pending[name]) pending[name] = batch[name];
          });
          var refused = error && error.status === "refused";
          var message = refused ? error.message : gettext("Pas encore enregistré : la connexion semble coupée. Ce que vous avez tapé reste sur cette page ; nouvel essai dans quelques secondes.");
          say(message);
          form.dispatchEvent(new CustomEvent("autosave:failed", { detail: { fields: fields } }));
          if (refused) pending = {};
          else setTimeout(send, 10000);
        })
        .then(function () {
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
