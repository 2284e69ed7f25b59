/* Strings for the scripts, in the page's language.
 *
 * The server puts the JS catalogue (domain "js" of i18n/) in the page as
 * <script type="application/json" id="sesame-strings">; French is the source
 * language, so a missing entry shows the French text. Babel extracts the
 * calls to gettext("…") from these files (i18n/babel-js.cfg).
 */
(function () {
  "use strict";
  var strings = {};
  var element = document.getElementById("sesame-strings");
  if (element) {
    try {
      strings = JSON.parse(element.textContent || "{}");
    } catch (e) {
      strings = {};
    }
  }
  var Sesame = (window.Sesame = window.Sesame || {});
  Sesame.gettext = function (message) {
    return Object.prototype.hasOwnProperty.call(strings, message) ? strings[message] : message;
  };
  /* A number as the page's language writes it (2,5 in French, 2.5 in English). */
  Sesame.number = function (value, digits) {
    return Number(value).toLocaleString(document.documentElement.lang || undefined, { maximumFractionDigits: digits || 0 });
  };
  /* "Il reste %(n)s" → with {n: 3}. */
  Sesame.format = function (message, values) {
    return message.replace(/%\((\w+)\)s/g, function (all, name) {
      return values && name in values ? String(values[name]) : all;
    });
  };
})();
