// Progressive enhancements only: every page works without this file.
(function () {
  "use strict";

  // A form that is being submitted cannot be submitted again by a second click (the server also
  // refuses duplicates; this just spares the user the wait).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || event.defaultPrevented) return;
    if (form.dataset.submitting === "1") {
      event.preventDefault();
      return;
    }
    form.dataset.submitting = "1";
    window.setTimeout(function () { form.dataset.submitting = ""; }, 5000);
  });
})();
