/* Registers the offline service worker (/sw.js), empties its cache when nobody is logged in
   (logout, login page), and on quiz pages says that quizzes need a connection while offline. */
(function () {
  "use strict";
  if (!("serviceWorker" in navigator)) return;
  var body = document.body;
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).then(function () {
    if (!body.hasAttribute("data-user")) {
      navigator.serviceWorker.ready.then(function (reg) { if (reg.active) reg.active.postMessage({ type: "clear" }); });
    }
  }).catch(function () {});
  document.querySelectorAll("form[action$='/accounts/logout/']").forEach(function (form) {
    form.addEventListener("submit", function () {
      if (navigator.serviceWorker.controller) navigator.serviceWorker.controller.postMessage({ type: "clear" });
    });
  });
  var note = document.getElementById("online-only-note");
  if (note) {
    var show = function () { note.hidden = navigator.onLine; };
    window.addEventListener("online", show);
    window.addEventListener("offline", show);
    show();
  }
})();
