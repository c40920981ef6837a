// Progressive enhancement only: every form works without this file.
(function () {
  "use strict";

  function fillTimezone() {
    var zone = "";
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (e) {
      zone = "";
    }
    document.querySelectorAll("input[data-browser-timezone]").forEach(function (input) {
      input.value = zone;
    });
  }

  function updateCounter(textarea) {
    var counter = document.querySelector('[data-counter-for="' + textarea.id + '"]');
    if (!counter) return;
    var length = Array.from(textarea.value.trim()).length;
    counter.textContent = length ? length + " / 500" : "";
    counter.classList.toggle("over", length > 500);
  }

  document.addEventListener("DOMContentLoaded", fillTimezone);

  document.addEventListener("input", function (event) {
    if (event.target.matches("textarea[data-counter-for], #message")) updateCounter(event.target);
  });

  // Enter posts, Shift+Enter starts a new line.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.id === "message" && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      target.form.requestSubmit();
    }
  });

  // After a successful post: clear the box, keep the focus there for the next message.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form.id !== "compose" || !event.detail.successful) return;
    if (event.detail.xhr.status >= 400) return;
    form.reset();
    var textarea = form.querySelector("textarea");
    updateCounter(textarea);
    textarea.focus();
  });
})();
