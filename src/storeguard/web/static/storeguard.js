// storeguard admin pages: the little behaviour htmx does not give. No inline script anywhere
// (the Content-Security-Policy forbids it); every page works without this file.
(function () {
  "use strict";

  // After a form comes back with marked fields, put the cursor in the first one.
  function focusFirstInvalid(root) {
    var field = (root || document).querySelector('[aria-invalid="true"]');
    if (field) { field.focus(); }
  }

  document.addEventListener("DOMContentLoaded", function () { focusFirstInvalid(document); });
  document.addEventListener("htmx:afterSettle", function (event) { focusFirstInvalid(event.target); });

  // A request htmx could not make at all (the server is down): say so instead of doing nothing.
  document.addEventListener("htmx:sendError", function () {
    window.alert(document.documentElement.getAttribute("data-offline"));
  });
})();
