/* Quiz page: autosave each answer (fetch + CSRF), "flag for review" toggles, the submit
   dialog listing unanswered and flagged questions, and a countdown driven by the server's
   deadline with warnings at 5 and 1 minutes. The page works without this file: 交卷 opens
   the summary page and the flag buttons post the form. */
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  if (!form) return;
  var url = form.getAttribute("data-autosave-url");
  var status = document.getElementById("quiz-save-status");
  var csrf = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  var timers = {};
  var submitting = false;

  function text(el, name, fallback) {
    return (el && el.getAttribute(name)) || fallback;
  }

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

  function isAnswered(box) {
    var a = answerOf(box);
    if ("choices" in a) return a.choices.length > 0;
    if ("pairs" in a) return Object.keys(a.pairs).length > 0;
    if ("text" in a) return a.text.trim() !== "";
    return a.choice != null || a.value != null;
  }

  // Autosave: the answers of one question at a time, in order. A save waits for the one
  // before it, so that a burst of changes never races on the server and the last one wins.
  var queue = Promise.resolve();
  function save(box) {
    var position = parseInt(box.getAttribute("data-position"), 10);
    queue = queue.then(function () {
      return fetch(url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ position: position, answer: answerOf(box) })
      }).then(function (r) { return r.json(); }).then(function (data) {
        if (status) status.textContent = data.saved ? text(status, "data-saved", "已自动保存") + " " + data.saved_at : (data.error || "");
      }).catch(function () {
        if (status) status.textContent = text(status, "data-failed", "自动保存失败，交卷时会一并提交答案。");
      });
    });
    return queue;
  }

  form.addEventListener("input", function (event) {
    var box = event.target.closest(".question");
    if (!box) return;
    var key = box.getAttribute("data-position");
    clearTimeout(timers[key]);
    timers[key] = setTimeout(function () { save(box); }, event.target.type === "text" || event.target.tagName === "TEXTAREA" ? 800 : 100);
  });
  form.addEventListener("submit", function () { submitting = true; });

  // Flag for review.
  form.addEventListener("click", function (event) {
    var button = event.target.closest(".flag-toggle");
    if (!button) return;
    event.preventDefault();
    var flagged = button.getAttribute("aria-pressed") !== "true";
    var body = new URLSearchParams({ flagged: flagged ? "1" : "0" });
    fetch(button.getAttribute("formaction"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf },
      body: body
    }).then(function (r) { return r.json(); }).then(function (data) {
      if (data.flagged === null || data.flagged === undefined) return;
      button.setAttribute("aria-pressed", data.flagged ? "true" : "false");
      button.value = data.flagged ? "0" : "1";
      var box = button.closest(".question");
      if (data.flagged) box.setAttribute("data-flagged", "true"); else box.removeAttribute("data-flagged");
    });
  });

  // Submit: a dialog lists unanswered and flagged questions with links to them.
  var dialog = document.getElementById("submit-dialog");
  var submitButton = document.getElementById("quiz-submit");
  function fillList(container, boxes) {
    var list = container.querySelector("ul");
    var template = list.getAttribute("data-template");
    list.textContent = "";
    boxes.forEach(function (box) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "#" + box.id;
      a.textContent = template.replace("{n}", box.getAttribute("data-number"));
      li.appendChild(a);
      list.appendChild(li);
    });
    container.hidden = boxes.length === 0;
  }
  if (dialog && submitButton && typeof dialog.showModal === "function") {
    submitButton.addEventListener("click", function (event) {
      event.preventDefault();
      var boxes = Array.prototype.slice.call(form.querySelectorAll(".question[data-number]"));
      var unanswered = boxes.filter(function (b) { return !isAnswered(b); });
      var flagged = boxes.filter(function (b) { return b.hasAttribute("data-flagged"); });
      var count = dialog.querySelector("[data-submit-count]");
      count.textContent = count.getAttribute("data-template")
        .replace("{answered}", boxes.length - unanswered.length).replace("{total}", boxes.length);
      fillList(dialog.querySelector("[data-submit-unanswered]"), unanswered);
      fillList(dialog.querySelector("[data-submit-flagged]"), flagged);
      dialog.querySelector("[data-submit-all-done]").hidden = unanswered.length + flagged.length > 0;
      dialog.showModal();
    });
    dialog.addEventListener("click", function (event) {
      var link = event.target.closest("a[href^='#']");
      if (!link) return;
      event.preventDefault();
      dialog.close();
      var box = document.getElementById(link.getAttribute("href").slice(1));
      if (box) {
        box.scrollIntoView({ block: "start" });
        var first = box.querySelector("input, select, textarea");
        if (first) first.focus({ preventScroll: true });
        history.replaceState(null, "", "#" + box.id);
      }
    });
    document.getElementById("submit-dialog-back").addEventListener("click", function () { dialog.close(); });
    document.getElementById("submit-dialog-confirm").addEventListener("click", function () {
      submitting = true;
      queue.then(function () { form.submit(); });  // after the last autosave
    });
  }

  var timer = document.querySelector(".timer[data-seconds-left]");
  if (timer) {
    var value = document.getElementById("quiz-timer-value");
    var warning = document.getElementById("quiz-timer-warning");
    var warned = {};
    var end = Date.now() + parseInt(timer.getAttribute("data-seconds-left"), 10) * 1000;
    var warn = function (left) {
      if (!warning) return;
      // The smallest threshold reached, once: a page opened with 40 s left says "1 minute".
      var due = [60, 300].filter(function (t) { return left <= t; })[0];
      if (!due || warned[due]) return;
      warned[due] = warned[300] = true;
      warning.textContent = warning.getAttribute("data-warn-" + due);
      timer.classList.add(due === 60 ? "timer-urgent" : "timer-soon");
    };
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      var m = Math.floor(left / 60), s = left % 60;
      value.textContent = m + ":" + (s < 10 ? "0" : "") + s;
      warn(left);
      if (left <= 0) {
        if (!submitting) { submitting = true; form.submit(); }
        return;
      }
      setTimeout(tick, 1000);
    };
    tick();
  }
})();
