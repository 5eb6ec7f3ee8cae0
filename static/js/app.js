// Behaviour that templates ask for with data attributes, loaded on every page by base.html.
// The Content-Security-Policy runs scripts from our own files only, so no template carries an
// inline script or an on*= handler:
//   <form data-confirm="Delete this issue?">  asks before the form is submitted;
//   <button type="button" data-print>          prints the page.
// The listeners sit on the document, so content swapped in by htmx behaves the same.
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    var message = form.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-print]") : null;
    if (!target) return;
    event.preventDefault();
    window.print();
  });
})();
