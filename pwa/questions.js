/* The questions of the way in (server/web/questions.py): an answer goes
 * straight to the page it leads to (its radio's data-next), from the page
 * itself, so the questions work with no network once the service worker has
 * kept their pages. Without this script the form is a plain GET to
 * /files/new/next, which redirects to the same place.
 */
(function () {
  "use strict";
  var gettext = window.Sesame.gettext;
  document.querySelectorAll("form[data-question]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      var chosen = form.querySelector("input[name=answer]:checked");
      event.preventDefault();
      if (chosen) {
        location.href = chosen.getAttribute("data-next");
        return;
      }
      // No answer: the GOV.UK error summary, as the server would show it.
      if (form.querySelector("[data-question-error]")) return form.querySelector("[data-question-error]").focus();
      var box = document.createElement("div");
      box.className = "alert alert--error error-summary";
      box.setAttribute("role", "alert");
      box.setAttribute("tabindex", "-1");
      box.setAttribute("data-question-error", "");
      var title = document.createElement("h2");
      title.className = "h3";
      title.textContent = gettext("Il y a un problème");
      var a = document.createElement("a");
      a.href = "#f-answer";
      a.textContent = gettext("Choisissez une réponse. Si vous ne savez pas, choisissez « Je ne sais pas ».");
      var li = document.createElement("li");
      li.appendChild(a);
      var ul = document.createElement("ul");
      ul.appendChild(li);
      box.appendChild(title);
      box.appendChild(ul);
      form.parentNode.insertBefore(box, form);
      form.querySelector(".field").classList.add("field--error");
      box.focus();
    });
  });
})();
