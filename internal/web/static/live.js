// Vigie console: live refresh. Pages whose <body> has data-live poll that
// URL every few seconds and, when its "version" changes, show the notice
// offering a reload (never reloading by themselves, so that nothing typed
// in a form is lost). Pages work without this script.
(function () {
  "use strict";
  var url = document.body && document.body.getAttribute("data-live");
  var notice = document.getElementById("live-notice");
  if (!url || !notice || !window.fetch) {
    return;
  }
  var first = null;
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json", "X-Vigie-Background": "1" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (!s) {
          return;
        }
        if (first === null) {
          first = s.version;
        } else if (s.version !== first) {
          notice.hidden = false;
        }
        var els = document.querySelectorAll("[data-live-key]");
        for (var i = 0; i < els.length; i++) {
          var k = els[i].getAttribute("data-live-key");
          if (Object.prototype.hasOwnProperty.call(s, k)) {
            els[i].textContent = String(s[k]);
          }
        }
      })
      .catch(function () {});
  }
  poll();
  window.setInterval(poll, 5000);
})();
