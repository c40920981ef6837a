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

  // A message can reach the page twice (the author's POST answer and the live event, or a
  // catch-up after a reconnect): keep the first copy of each id.
  function removeDuplicateMessages() {
    var seen = {};
    document.querySelectorAll("#messages > li.message").forEach(function (item) {
      if (seen[item.id]) item.remove();
      seen[item.id] = true;
    });
  }

  function newestMessageId() {
    var newest = 0;
    document.querySelectorAll("#messages > li.message").forEach(function (item) {
      newest = Math.max(newest, parseInt(item.id.replace("message-", ""), 10) || 0);
    });
    return newest;
  }

  // Each time the live stream (re)opens, fetch what was posted while it was closed.
  function catchUp(list) {
    htmx.ajax("GET", "/api/messages?after=" + newestMessageId(), {
      target: list,
      swap: "afterbegin",
    });
  }

  document.addEventListener("DOMContentLoaded", fillTimezone);

  // Typing again puts an earlier refusal out of date: hide it.
  document.addEventListener("input", function (event) {
    if (!event.target.matches("#message")) return;
    updateCounter(event.target);
    var error = document.getElementById("compose-error");
    if (error) error.hidden = true;
  });

  // Enter posts, Shift+Enter starts a new line.
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (target.id === "message" && event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      target.form.requestSubmit();
    }
  });

  // After a successful post: clear the box and the error, keep the focus for the next one.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (form.id !== "compose" || !event.detail.successful) return;
    if (event.detail.xhr.status >= 400) return;
    form.reset();
    var error = document.getElementById("compose-error");
    if (error) error.hidden = true;
    var textarea = form.querySelector("textarea");
    updateCounter(textarea);
    textarea.focus();
  });

  // A live "delete" removes the message; a live message already on the page is skipped.
  document.addEventListener("htmx:sseBeforeMessage", function (event) {
    var message = event.detail;
    if (message.type === "delete") {
      event.preventDefault();
      var gone = document.getElementById("message-" + message.data.trim());
      if (gone) gone.remove();
      return;
    }
    if (document.getElementById("message-" + message.lastEventId)) event.preventDefault();
  });

  // Typing counts as using the site: renew the session at most every few minutes, so it
  // does not run out under someone writing a long message.
  var lastKeepAlive = Date.now();
  document.addEventListener("input", function () {
    if (Date.now() - lastKeepAlive < 4 * 60 * 1000) return;
    lastKeepAlive = Date.now();
    fetch("/api/session", { credentials: "same-origin" });
  });

  // Settings: offer this browser's zone.
  function offerBrowserTimezone() {
    var button = document.querySelector("[data-use-browser-timezone]");
    if (!button) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!zone) return;
    button.querySelector("[data-browser-timezone-name]").textContent = zone;
    button.hidden = false;
    button.addEventListener("click", function () {
      var input = document.getElementById("timezone");
      input.value = zone;
      input.focus();
    });
  }
  document.addEventListener("DOMContentLoaded", offerBrowserTimezone);

  document.addEventListener("htmx:sseOpen", function (event) {
    if (event.detail.elt.id === "messages") catchUp(event.detail.elt);
  });

  // A search's URL (pushed to the history, so it can be shared) names only the filters in
  // use: /msgs?q=deploy rather than /msgs?q=deploy&author=&from=&to=.
  document.addEventListener("htmx:configRequest", function (event) {
    var data = event.detail.formData;
    if (event.detail.elt.id !== "search" || !data) return;
    Array.from(data.keys()).forEach(function (name) {
      if (!String(data.get(name)).trim()) data.delete(name);
    });
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (event.detail.target && event.detail.target.id === "messages") removeDuplicateMessages();
  });
  document.addEventListener("htmx:sseMessage", removeDuplicateMessages);
})();
