// The review queue's keyboard shortcuts: j / k next and previous, a approve, c the cancel form,
// n the note field. Each key presses the control the page marks with data-shortcut, so a key does
// exactly what its button or link does (and nothing the page does not offer this user). Keys are
// ignored while typing in a field, with a modifier held, and while a decision is on its way, so a
// double press never decides the next order unseen. The page works without this file.
(function () {
  "use strict";

  var ACTIONS = { j: "next", k: "previous", a: "approve", c: "cancel", n: "note" };
  var busy = false;

  function typing(element) {
    if (!element || !element.tagName) { return false; }
    return element.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(element.tagName);
  }

  // The letter pressed, also on keyboards that type another script (Hebrew, Russian): its key's place.
  function letter(event) {
    var key = (event.key || "").toLowerCase();
    if (ACTIONS[key]) { return key; }
    var code = /^Key([A-Z])$/.exec(event.code || "");
    return code && key.length === 1 && !/[a-z]/.test(key) ? code[1].toLowerCase() : "";
  }

  function inWork(event) {
    var target = event.detail && event.detail.elt;
    return target && target.closest && target.closest("#review-work");
  }

  document.addEventListener("htmx:beforeRequest", function (event) { if (inWork(event)) { busy = true; } });
  document.addEventListener("htmx:afterRequest", function () { busy = false; });

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.shiftKey) { return; }
    if (typing(event.target)) { return; }
    var work = document.getElementById("review-work");
    var action = ACTIONS[letter(event)];
    if (!work || !action || busy) { return; }
    var control = work.querySelector('[data-shortcut="' + action + '"]');
    if (!control) { return; }
    event.preventDefault();
    if (action === "cancel") {
      control.open = true;
      var first = control.querySelector("select, input:not([type=hidden]), textarea");
      if (first) { first.focus(); }
    } else if (action === "note") {
      control.focus();
    } else {
      control.click();
    }
  });
})();
