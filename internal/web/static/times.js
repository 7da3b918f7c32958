// Overdue: shows each <time>'s exact instant in the viewer's own zone on hover (the server
// writes UTC). Only adds: without it the titles say UTC.
"use strict";
(function () {
  function localTimes(root) {
    root.querySelectorAll("time[datetime]").forEach(function (el) {
      if (el.dataset.local) return;
      var d = new Date(el.getAttribute("datetime"));
      if (isNaN(d)) return;
      var local = d.toLocaleString(undefined, {
        year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit",
        second: "2-digit", timeZoneName: "short"
      });
      el.title = local + (el.title ? " · " + el.title : "");
      el.dataset.local = "1";
    });
  }
  window.overdueLocalTimes = localTimes;
  localTimes(document);
})();
