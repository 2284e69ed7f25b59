/* Small progressive enhancements, hung on data- attributes.
 *
 *   data-print            a button that prints the page (hidden without JS)
 *   data-confirm="…"      a form that asks before it submits
 *   data-copy="#id"       a button that copies the value of a field
 *   data-autosubmit       a form that submits when its <select> changes
 *   data-focus            an element (an error summary) focused on load
 *   data-codes-image="…"  a button that saves the page's recovery codes (ol.codes)
 *                         as a PNG picture, titled with the attribute's text
 */
(function () {
  "use strict";
  var gettext = window.Sesame.gettext;

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });

  /* The codes drawn on a canvas: a picture kept in the phone's gallery is easier
     to find again than a note (and never leaves the phone: no upload). */
  document.querySelectorAll("[data-codes-image]").forEach(function (button) {
    var codes = Array.prototype.map.call(document.querySelectorAll("ol.codes code"), function (c) { return c.textContent.trim(); });
    var canvas = document.createElement("canvas");
    if (!codes.length || !canvas.getContext || !canvas.toBlob) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      var title = button.getAttribute("data-codes-image");
      var line = 44;
      canvas.width = 720;
      canvas.height = 120 + codes.length * line;
      var g = canvas.getContext("2d");
      g.fillStyle = "#fff";
      g.fillRect(0, 0, canvas.width, canvas.height);
      g.fillStyle = "#000";
      g.direction = document.documentElement.dir || "ltr";
      g.textAlign = g.direction === "rtl" ? "right" : "left";
      g.font = "bold 26px system-ui, sans-serif";
      g.fillText(title, g.direction === "rtl" ? canvas.width - 30 : 30, 50);
      g.direction = "ltr";
      g.textAlign = "left";
      g.font = "32px ui-monospace, monospace";
      codes.forEach(function (code, i) { g.fillText((i + 1) + ".  " + code, 30, 110 + i * line); });
      canvas.toBlob(function (blob) {
        var a = document.createElement("a");
        a.href = URL.createObjectURL(blob);
        a.download = "sesame-codes-de-secours.png";
        document.body.appendChild(a);
        a.click();
        setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
      }, "image/png");
    });
  });

  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
    });
  });

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var field = document.querySelector(button.getAttribute("data-copy"));
    if (!field || !navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(field.value).then(function () {
        button.textContent = gettext("Copié");
      });
    });
  });

  document.querySelectorAll("form[data-autosubmit]").forEach(function (form) {
    var select = form.querySelector("select");
    var button = form.querySelector("[data-autosubmit-button]");
    if (!select) return;
    if (button) button.classList.add("visually-hidden");
    select.addEventListener("change", function () {
      form.submit();
    });
  });

  var focus = document.querySelector("[data-focus]");
  if (focus) focus.focus();
})();
