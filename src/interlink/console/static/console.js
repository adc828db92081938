// Draws the charts of a page: each <figure class="chart" data-chart="ID"> reads the JSON data
// block <script type="application/json" id="ID"> ({"x": [unix seconds], "series": [{"label",
// "values", "unit"}]}). Without JavaScript the figure's table shows the same numbers.
(function () {
  "use strict";
  var colours = ["#2456c8", "#c62828", "#17803d", "#9a6700"];

  function draw(figure) {
    var block = document.getElementById(figure.getAttribute("data-chart"));
    if (!block || typeof uPlot === "undefined" || figure.querySelector(".uplot")) return;
    var data = JSON.parse(block.textContent);
    var series = [{}];
    var columns = [data.x];
    data.series.forEach(function (s, i) {
      series.push({ label: s.label, stroke: colours[i % colours.length], width: 2,
                    value: function (u, v) { return v == null ? "-" : v + (s.unit || ""); } });
      columns.push(s.values);
    });
    var width = Math.max(280, figure.clientWidth - 8);
    var plot = new uPlot({ width: width, height: 180, series: series,
                           axes: [{}, { size: 60 }], scales: { x: { time: true } } },
                         columns, figure.querySelector(".chart-area"));
    figure.classList.add("drawn");
    window.addEventListener("resize", function () {
      plot.setSize({ width: Math.max(280, figure.clientWidth - 8), height: 180 });
    });
  }

  function drawAll(root) {
    (root || document).querySelectorAll("figure.chart").forEach(draw);
  }

  document.addEventListener("DOMContentLoaded", function () { drawAll(document); });
  document.addEventListener("htmx:afterSettle", function (event) { drawAll(event.target); });
})();
