// Progressive enhancement only: every page works without this file.
"use strict";

(function () {
  // Copy buttons: shown only when scripts run, they copy the text of the element they name.
  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    var ok = document.execCommand("copy");
    document.body.removeChild(area);
    return ok ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var target = document.getElementById(button.getAttribute("data-copy"));
    if (!target) return;
    button.hidden = false;
    var label = button.firstChild.nodeValue;
    button.addEventListener("click", function () {
      copyText(target.textContent).then(
        function () { button.firstChild.nodeValue = "Copied"; },
        function () { button.firstChild.nodeValue = "Select and copy"; }
      ).then(function () {
        setTimeout(function () { button.firstChild.nodeValue = label; }, 2000);
      });
    });
  });

  // Links to a confirmation page open the same form in a native <dialog> instead.
  document.querySelectorAll("a[data-dialog]").forEach(function (link) {
    var dialog = document.getElementById(link.getAttribute("data-dialog"));
    if (!dialog || typeof dialog.showModal !== "function") return;
    link.addEventListener("click", function (event) {
      event.preventDefault();
      dialog.showModal();
      var field = dialog.querySelector("input[type=text]");
      if (field) field.focus();
    });
  });

  // Typed-name confirmations: the button stays disabled until the exact name is typed.
  // The server checks the name again; this only saves a round trip.
  document.querySelectorAll("form[data-confirm-name]").forEach(function (form) {
    var expected = form.getAttribute("data-confirm-name");
    var field = form.querySelector("input[name=confirm]");
    var button = form.querySelector("[data-confirm-submit]");
    if (!field || !button) return;
    function sync() { button.disabled = field.value !== expected; }
    field.addEventListener("input", sync);
    sync();
  });
})();
