// Overdue: keeps the checks table current while the page is open. Every data-refresh-ms it
// asks for the same page (same filter) and swaps in the new #live part; nothing else moves,
// so a half-typed search or an open form is left alone. It pauses while the tab is hidden and
// stops when the session has ended (the answer is then the sign-in page).
"use strict";
(function () {
  var live = document.getElementById("live");
  if (!live || !window.fetch || !window.DOMParser) return;
  var every = parseInt(live.dataset.refreshMs, 10) || 10000;
  var busy = false, stopped = false;
  function refresh() {
    if (busy || stopped || document.hidden) return;
    busy = true;
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (resp) {
        if (resp.redirected) { stopped = true; return null; } // to the sign-in page
        return resp.ok ? resp.text() : null;
      })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("live");
        if (!fresh) return;
        live.innerHTML = fresh.innerHTML;
        live.dataset.refreshed = String(Date.now());
        if (window.overdueLocalTimes) window.overdueLocalTimes(live);
      })
      .catch(function () { /* offline for a moment: the next tick tries again */ })
      .then(function () { busy = false; });
  }
  setInterval(refresh, every);
  document.addEventListener("visibilitychange", refresh);
})();
