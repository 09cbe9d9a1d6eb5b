// The question editor: an option's 正确 tick and its weight drop-down stay in step
// (quizzes.widgets.CorrectCheckbox; the server applies the same rules on save, with an equal
// share of 100 % for ticked multiple-answer options left without a weight). No inline
// script (CSP); rows added later are handled through event delegation.
(function () {
  "use strict";
  var FULL = "1.00000";
  var NONE = "0.00000";
  function weightOf(tick) {
    return document.getElementById(tick.id.replace(/-correct$/, "-fraction"));
  }
  function tickOf(select) {
    var tick = document.getElementById(select.id.replace(/-fraction$/, "-correct"));
    return tick && tick.hasAttribute("data-correct-tick") ? tick : null;
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.hasAttribute && target.hasAttribute("data-correct-tick")) {
      var weight = weightOf(target);
      if (!weight) {
        return;
      }
      if (!target.checked) {
        weight.value = NONE;
      } else if (target.getAttribute("data-correct-tick") === "single") {
        weight.value = FULL;
      }
      return;
    }
    if (target.tagName === "SELECT" && /-fraction$/.test(target.id || "")) {
      var tick = tickOf(target);
      if (!tick) {
        return;
      }
      var value = parseFloat(target.value || "0");
      tick.checked = tick.getAttribute("data-correct-tick") === "single" ? value >= 1 : value > 0;
    }
  });
})();
