/* Report charts. Each canvas names the json_script element that holds its data (data-report-chart); the same
   numbers are in the table beneath it, so nothing is lost without JavaScript. No inline script anywhere: the
   print button is wired here too. */
(function () {
  "use strict";

  function datasetsFor(spec) {
    return spec.datasets.map(function (set) {
      var line = spec.kind === "line";
      return {
        label: set.label,
        data: set.data,
        backgroundColor: set.color,
        borderColor: set.color,
        borderWidth: line ? 2 : 0,
        pointRadius: line ? 2 : 0,
        spanGaps: true,
        fill: false
      };
    });
  }

  function draw(canvas) {
    if (typeof Chart === "undefined") { return; }
    var source = document.getElementById(canvas.dataset.reportChart);
    if (!source) { return; }
    var spec = JSON.parse(source.textContent);
    var stacked = spec.kind === "stacked";
    var yScale = { beginAtZero: true, stacked: stacked, title: { display: !!spec.y_label, text: spec.y_label } };
    if (spec.y_max !== null && spec.y_max !== undefined) { yScale.max = spec.y_max; }
    var chart = new Chart(canvas, {
      type: spec.kind === "line" ? "line" : "bar",
      data: { labels: spec.labels, datasets: datasetsFor(spec) },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        plugins: { legend: { display: spec.datasets.length > 1, position: "bottom",
                             labels: { boxWidth: 12, font: { size: 11 } } } },
        scales: { x: { stacked: stacked, ticks: { font: { size: 10 } } }, y: yScale }
      }
    });
    canvas.dataset.drawn = "true";
    return chart;
  }

  function init() {
    var charts = [];
    var canvases = document.querySelectorAll("canvas[data-report-chart]");
    for (var i = 0; i < canvases.length; i++) { charts.push(draw(canvases[i])); }
    // Redraw at paper size before printing, and back after.
    window.addEventListener("beforeprint", function () { charts.forEach(function (c) { if (c) { c.resize(); } }); });
    window.addEventListener("afterprint", function () { charts.forEach(function (c) { if (c) { c.resize(); } }); });
    var buttons = document.querySelectorAll("[data-print]");
    for (var j = 0; j < buttons.length; j++) {
      buttons[j].addEventListener("click", function () { window.print(); });
    }
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
