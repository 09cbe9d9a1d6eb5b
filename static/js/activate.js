// The QR code of an activation slip opens /accounts/activate/?u=<username>#<code>: the code
// travels in the fragment, which browsers never send to the server (no code in access logs).
// Fill it into the form and drop it from the address bar and the history.
(function () {
  var form = document.querySelector("form[data-activate]");
  var code = window.location.hash.replace(/^#/, "");
  if (!form || !code) return;
  var field = form.querySelector("input[name=code]");
  if (field && !field.value && /^[A-Za-z0-9-]{4,20}$/.test(code)) field.value = code;
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
})();
