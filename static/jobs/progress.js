// Polls a file job's progress endpoint and reloads the page when the job has finished.
(function () {
  "use strict";
  var box = document.querySelector("[data-job-progress]");
  if (!box) return;
  var url = box.getAttribute("data-job-progress");
  var bar = box.querySelector("[data-job-bar]");
  var step = box.querySelector("[data-job-step]");
  var count = box.querySelector("[data-job-count]");
  function poll() {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) { return response.json(); })
      .then(function (job) {
        if (job.state !== "pending" && job.state !== "running") {
          window.location.reload();
          return;
        }
        bar.value = job.percent;
        bar.textContent = job.percent + "%";
        step.textContent = job.step || job.state_label;
        count.textContent = job.total ? job.progress + " / " + job.total : "";
        window.setTimeout(poll, 1500);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  window.setTimeout(poll, 1000);
})();
