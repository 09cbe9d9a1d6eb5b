// The wave form: while districts and courses are ticked, say how many people the wave will
// enrol ("将为 N 人报名 M 门课程（新增 X 条报名）"), from rollout_admin:wave_preview.
(function () {
  "use strict";
  // The form's Media loads this script in the page head, before the form exists: start once
  // the document is parsed.
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }

  function start() {
  const marker = document.querySelector("[data-wave-preview-url]");
  if (!marker) return;
  const form = marker.closest("form");
  const url = marker.dataset.wavePreviewUrl;
  const out = document.createElement("p");
  out.className = "help-block help-info";
  out.setAttribute("role", "status");
  out.setAttribute("data-wave-preview", "");
  const wrapper = marker.closest(".w-field__wrapper") || marker.parentElement;
  wrapper.after(out);
  let pending = null;

  function ticked(name) {
    return Array.from(form.querySelectorAll(`input[name="${name}"]:checked`), (box) => box.value);
  }

  function update() {
    const query = new URLSearchParams();
    ticked("districts").forEach((id) => query.append("districts", id));
    ticked("courses").forEach((id) => query.append("courses", id));
    if (pending) pending.abort();
    pending = new AbortController();
    fetch(`${url}?${query}`, { credentials: "same-origin", signal: pending.signal })
      .then((response) => (response.ok ? response.json() : null))
      .then((data) => {
        if (!data) return;
        out.textContent = data.text;
        if (data.empty_text) {
          const warn = document.createElement("span");
          warn.textContent = " " + data.empty_text;
          out.appendChild(warn);
        }
      })
      .catch(() => {});
  }

  form.addEventListener("change", (event) => {
    if (event.target.name === "districts" || event.target.name === "courses") update();
  });
  update();
  }
})();
