// The question editor: offer only the chosen 题库's categories in 分类 (options carry
// data-bank, see quizzes.widgets.CategorySelect). No inline script (CSP).
(function () {
  "use strict";
  function sync(bank, category) {
    var chosen = bank.value;
    Array.prototype.forEach.call(category.options, function (option) {
      var owner = option.getAttribute("data-bank");
      var hide = owner !== null && chosen !== "" && owner !== chosen;
      option.hidden = hide;
      option.disabled = hide;
      if (hide && option.selected) {
        category.value = "";
      }
    });
  }
  function setup() {
    var bank = document.getElementById("id_bank");
    var category = document.getElementById("id_category");
    if (!bank || !category) {
      return;
    }
    sync(bank, category);
    bank.addEventListener("change", function () {
      sync(bank, category);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
