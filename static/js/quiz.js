/* Quiz page: autosave each answer (fetch + CSRF) and a countdown driven by the server's
   deadline. The page works without this file: the submit button posts every answer. */
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  if (!form) return;
  var url = form.getAttribute("data-autosave-url");
  var status = document.getElementById("quiz-save-status");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var timers = {};
  var submitting = false;

  function answerOf(box) {
    var name = "q" + box.getAttribute("data-position");
    var type = box.getAttribute("data-qtype");
    if (type === "multiresponse") {
      var ids = [];
      box.querySelectorAll("input[name='" + name + "']:checked").forEach(function (el) { ids.push(el.value); });
      return { choices: ids };
    }
    if (type === "multichoice" || type === "truefalse") {
      var el = box.querySelector("input[name='" + name + "']:checked");
      var key = type === "multichoice" ? "choice" : "value";
      var out = {}; out[key] = el ? el.value : null; return out;
    }
    if (type === "matching") {
      var pairs = {};
      box.querySelectorAll("select").forEach(function (sel) {
        if (sel.value) pairs[sel.name.slice(name.length + 1)] = sel.value;
      });
      return { pairs: pairs };
    }
    var input = box.querySelector("[name='" + name + "']");
    return { text: input ? input.value : "" };
  }

  function save(box) {
    var position = parseInt(box.getAttribute("data-position"), 10);
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify({ position: position, answer: answerOf(box) })
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (status) status.textContent = data.saved ? "已自动保存 " + data.saved_at : (data.error || "");
    }).catch(function () {
      if (status) status.textContent = "自动保存失败，交卷时会一并提交答案。";
    });
  }

  form.addEventListener("input", function (event) {
    var box = event.target.closest(".question");
    if (!box) return;
    var key = box.getAttribute("data-position");
    clearTimeout(timers[key]);
    timers[key] = setTimeout(function () { save(box); }, event.target.type === "text" || event.target.tagName === "TEXTAREA" ? 800 : 100);
  });
  form.addEventListener("submit", function () { submitting = true; });

  var timer = document.querySelector(".timer[data-seconds-left]");
  if (timer) {
    var value = document.getElementById("quiz-timer-value");
    var end = Date.now() + parseInt(timer.getAttribute("data-seconds-left"), 10) * 1000;
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      value.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      if (left === 60) timer.setAttribute("aria-live", "assertive");
      if (left <= 0) {
        if (!submitting) { submitting = true; form.submit(); }
        return;
      }
      setTimeout(tick, 1000);
    };
    tick();
  }
})();
