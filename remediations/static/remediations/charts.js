/* Small charts on the remediation and driver pages. The numbers are also in a table beneath each chart,
   so nothing is lost without JavaScript. Data comes from a json_script element named by data-chart. */
(function () {
  "use strict";
  var BEFORE = "#b0bec5", AFTER = "#2e7d32", BARS = "#1565c0";

  function draw(canvas) {
    if (typeof Chart === "undefined") { return; }
    var source = document.getElementById(canvas.dataset.chart);
    if (!source) { return; }
    var data = JSON.parse(source.textContent);
    var datasets;
    if (canvas.dataset.kind === "effectiveness") {
      var n = data.counts.length;
      datasets = [
        { type: "bar", label: "New escalations", data: data.counts, order: 2,
          backgroundColor: data.before.map(function (b) { return b ? BEFORE : AFTER; }) },
        { type: "line", label: "Weekly rate before", order: 1, borderColor: "#546e7a", borderDash: [6, 4],
          pointRadius: 0, borderWidth: 2, data: data.before.map(function (b) { return b ? data.before_rate : null; }) },
        { type: "line", label: "Weekly rate after", order: 1, borderColor: "#1b5e20", borderDash: [6, 4],
          pointRadius: 0, borderWidth: 2, data: data.before.map(function (b) { return b ? null : data.after_rate; }) }
      ];
      if (!n) { return; }
    } else {
      datasets = [{ type: "bar", label: "New escalations", data: data.counts, backgroundColor: BARS }];
    }
    new Chart(canvas, {
      data: { labels: data.labels, datasets: datasets },
      options: {
        responsive: true, maintainAspectRatio: false, animation: false,
        plugins: { legend: { display: canvas.dataset.kind === "effectiveness", position: "bottom",
                             labels: { boxWidth: 12, font: { size: 11 } } } },
        scales: { y: { beginAtZero: true, suggestedMax: Math.max.apply(null, data.counts) + 1, ticks: { precision: 0 } },
                  x: { ticks: { font: { size: 10 } } } }
      }
    });
  }

  function init() {
    var canvases = document.querySelectorAll("canvas[data-chart]");
    for (var i = 0; i < canvases.length; i++) { draw(canvases[i]); }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
