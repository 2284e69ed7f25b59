/* Small progressive enhancements, hung on data- attributes.
 *
 *   data-print            a button that prints the page (hidden without JS)
 *   data-confirm="…"      a form that asks before it submits
 *   data-copy="#id"       a button that copies the value of a field
 *   data-autosubmit       a form that submits when its <select> changes
 *   data-focus            an element (an error summary) focused on load
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
