/*
 * Keyboard focus after htmx swaps.
 *
 * A task or notification action replaces its item (hx-swap="outerHTML"), so the button
 * that had focus is gone and the browser drops focus to <body>: a keyboard or screen
 * reader user would start again from the top of the page. Put focus back in the new
 * item instead: on the message that someone else changed the task meanwhile (a 409, which
 * htmx is configured to swap in base.html), else on the first field with an error if the
 * action was refused, else on the item's title (the status message says what happened;
 * role="status" announces it).
 */
(function () {
  "use strict";
  var pending = null;

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    pending = null;
    if (target && target.id && target.contains(document.activeElement)) {
      pending = target.id;
    }
  });

  document.addEventListener("htmx:afterSettle", function () {
    if (!pending) {
      return;
    }
    var item = document.getElementById(pending);
    pending = null;
    if (!item || (document.activeElement && document.activeElement !== document.body)) {
      return;
    }
    var target =
      item.querySelector("[data-focus-first]") ||
      item.querySelector("[aria-invalid='true']") ||
      item.querySelector("[data-focus-after-swap]");
    if (!target) {
      return;
    }
    if (!target.matches("a, button, input, select, textarea") && !target.hasAttribute("tabindex")) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus();
  });
})();
