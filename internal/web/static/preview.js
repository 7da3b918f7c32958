// Overdue: previews the next run times while a schedule or time zone is typed, by asking the
// server (which evaluates schedules exactly as it will after saving) for the preview fragment.
// Without it, the form's Preview button shows the same on a page of its own.
"use strict";
(function () {
  var box = document.getElementById("preview");
  var sched = document.getElementById("schedule");
  var tz = document.getElementById("tz");
  if (!box || !sched || !tz || !window.fetch) return;
  var timer = null, asked = 0;
  function ask() {
    var n = ++asked;
    var url = box.dataset.previewUrl + "?schedule=" + encodeURIComponent(sched.value) +
      "&tz=" + encodeURIComponent(tz.value);
    fetch(url, { credentials: "same-origin" })
      .then(function (resp) { return resp.ok ? resp.text() : null; })
      .then(function (html) {
        if (html === null || n !== asked) return; // an older answer after a newer question
        box.innerHTML = html;
        if (window.overdueLocalTimes) window.overdueLocalTimes(box);
      })
      .catch(function () {});
  }
  function later() {
    clearTimeout(timer);
    timer = setTimeout(ask, 250);
  }
  sched.addEventListener("input", later);
  tz.addEventListener("input", later);
})();
