// The trainer's check-in screen: fetches a fresh QR code (its token rotates every 30 s) when
// the current one is about to change, and the number and names of the people checked in.
(function () {
  "use strict";
  var box = document.querySelector("[data-checkin-json]");
  if (!box) return;
  var url = box.getAttribute("data-checkin-json");
  var qr = box.querySelector("[data-checkin-qr]");
  var link = box.querySelector("[data-checkin-link]");
  var present = document.querySelector("[data-checkin-present]");
  var names = document.querySelector("[data-checkin-names]");
  function showNames(list) {
    if (!names || !list) return;
    names.textContent = "";
    list.forEach(function (name) {
      var item = document.createElement("li");
      item.textContent = name;  // text, never markup
      names.appendChild(item);
    });
  }
  function refresh() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (code) {
        qr.innerHTML = code.svg;
        link.href = code.url;
        link.textContent = code.url;
        if (present) present.textContent = code.present;
        showNames(code.names);
        // The names come live: at least every 5 s, and a fresh code when it changes.
        window.setTimeout(refresh, Math.min(Math.max(code.seconds, 1), 5) * 1000 + 200);
      })
      .catch(function () { window.setTimeout(refresh, 5000); });
  }
  var first = parseInt(box.getAttribute("data-checkin-seconds"), 10) || 30;
  window.setTimeout(refresh, Math.min(first, 5) * 1000 + 200);
})();
