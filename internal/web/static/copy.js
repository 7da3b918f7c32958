// Overdue: the Copy buttons next to ping URLs and examples. They are hidden in the HTML and
// shown only here, so that a page without scripts has no button that does nothing.
"use strict";
(function () {
  if (!navigator.clipboard) return;
  document.querySelectorAll("button[data-copy]").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () {
      var src = document.getElementById(btn.dataset.copy);
      if (!src) return;
      navigator.clipboard.writeText(src.textContent).then(function () {
        btn.textContent = "Copied";
        setTimeout(function () { btn.textContent = "Copy"; }, 1500);
      }, function () {
        btn.textContent = "Select and copy";
      });
    });
  });
})();
