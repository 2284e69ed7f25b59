/* The attestation card: full screen at a counter, and a warning when the copy
 * kept on this phone may be out of date (ADR 0015).
 *
 * Full screen: the link goes to the card's anchor; CSS (:target) then shows it
 * large even with no script or no Fullscreen API; here the card also asks
 * the browser for the whole screen, and leaving full screen leaves the anchor.
 * Out of date: the page says when it was fetched and until when the
 * attestation is valid; past that date, or after `stale_days` days without a
 * fresh copy, the warning says so. */
(function () {
  "use strict";
  var S = window.Sesame || {};
  var gettext = S.gettext || function (s) { return s; };
  var format = S.format || function (s, values) {
    return s.replace(/%\((\w+)\)s/g, function (_, k) { return values[k]; });
  };
  var DAY = 86400000;

  function warn() {
    var box = document.querySelector("[data-attestation-warning]");
    if (!box) return;
    var texts = [];
    var now = Date.now();
    document.querySelectorAll("script.attestation-data").forEach(function (node) {
      var data = JSON.parse(node.textContent);
      var fetched = new Date(data.fetched).getTime();
      var until = data.valid_until ? new Date(data.valid_until + "T23:59:59").getTime() : null;
      if (data.in_force && until && now > until) {
        texts.push(gettext("La date de validité de cette attestation est passée. Connectez-vous à Internet pour afficher celle qui la remplace."));
      } else if (now - fetched > data.stale_days * DAY) {
        texts.push(format(gettext("Cette copie a été enregistrée il y a %(days)s jours : l’attestation a peut-être changé depuis. Connectez-vous à Internet pour la mettre à jour."), { days: Math.floor((now - fetched) / DAY) }));
      }
    });
    var unique = texts.filter(function (t, i) { return texts.indexOf(t) === i; });
    box.textContent = "";
    unique.forEach(function (t) {
      var p = document.createElement("p");
      p.textContent = t;
      box.appendChild(p);
    });
    box.hidden = !unique.length;
  }

  function leave() {
    if (location.hash) history.replaceState(null, "", location.pathname + location.search);
    document.querySelectorAll(".attestation--full").forEach(function (card) { card.classList.remove("attestation--full"); });
  }

  document.querySelectorAll("a[data-fullscreen]").forEach(function (link) {
    link.addEventListener("click", function (event) {
      var card = document.getElementById(link.getAttribute("href").slice(1));
      if (!card) return;
      event.preventDefault();
      card.classList.add("attestation--full");
      history.replaceState(null, "", "#" + card.id);
      if (card.requestFullscreen) card.requestFullscreen().catch(function () {});
      card.focus({ preventScroll: true });
    });
  });
  document.querySelectorAll(".attestation-close").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      if (document.fullscreenElement && document.exitFullscreen) document.exitFullscreen().catch(function () {});
      leave();
    });
  });
  document.addEventListener("fullscreenchange", function () {
    if (!document.fullscreenElement) leave();
  });

  warn();
})();
