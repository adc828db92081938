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
    var percent = data.series.every(function (s) { return s.unit === "%"; });
    data.series.forEach(function (s, i) {
      // Points too: an hour with calls between two without is a lone value, which no line shows.
      series.push({ label: s.label, stroke: colours[i % colours.length], width: 2,
                    points: { show: true, size: 5 },
                    value: function (u, v) { return v == null ? "-" : v + (s.unit || ""); } });
      columns.push(s.values);
    });
    var scales = { x: { time: true } };
    if (percent) scales.y = { range: [0, 100] };
    var width = Math.max(280, figure.clientWidth - 8);
    var plot = new uPlot({ width: width, height: 180, series: series,
                           axes: [{}, { size: 60 }], scales: scales },
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

// An execution's timeline: each bar's place and length come from its data-offset and data-width
// (percent of the execution's span); the table beside it gives the same figures.
(function () {
  "use strict";
  function place(root) {
    (root || document).querySelectorAll(".timeline-bar[data-offset]").forEach(function (bar) {
      bar.style.left = parseFloat(bar.getAttribute("data-offset")) + "%";
      bar.style.width = parseFloat(bar.getAttribute("data-width")) + "%";
      bar.classList.add("placed");
    });
  }
  document.addEventListener("DOMContentLoaded", function () { place(document); });
  document.addEventListener("htmx:afterSettle", function (event) { place(event.target); });
})();

// The events' live tail: <tbody data-tail="URL"> follows the console's event stream
// (Server-Sent Events, under the session's cookie) and puts each new event on top.
(function () {
  "use strict";
  function cell(row, content) {
    var td = document.createElement("td");
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    row.appendChild(td);
  }
  function code(text) {
    var c = document.createElement("code");
    c.textContent = text;
    return c;
  }
  function details(data) {
    var d = document.createElement("details");
    var s = document.createElement("summary");
    var pre = document.createElement("pre");
    s.textContent = "data";
    pre.textContent = JSON.stringify(data, null, 2);
    d.appendChild(s);
    d.appendChild(pre);
    return d;
  }
  function show(stateBox, kind, text) {
    if (!stateBox) return;
    var span = document.createElement("span");
    span.className = "state state-" + kind;
    span.textContent = text;
    stateBox.replaceChildren(span);
  }
  function follow(body) {
    var limit = parseInt(body.getAttribute("data-tail-limit"), 10) || 200;
    var stateBox = document.querySelector("[data-tail-state]");
    var source = new EventSource(body.getAttribute("data-tail"));
    source.onopen = function () { show(stateBox, "ok", "live"); };
    source.onerror = function () {
      if (source.readyState === EventSource.CLOSED) show(stateBox, "bad", "stopped: reload the page");
      else show(stateBox, "warn", "reconnecting");
    };
    source.onmessage = function (message) {
      var event = JSON.parse(message.data);
      if (document.getElementById(event.id)) return;
      var row = document.createElement("tr");
      row.className = "event fresh";
      row.id = event.id;
      cell(row, new Date(event.timestamp).toISOString().replace("T", " ").slice(0, 19) + " UTC");
      cell(row, code(event.event));
      cell(row, event.integration_id || "-");
      cell(row, details(event.data));
      body.insertBefore(row, body.firstChild);
      while (body.children.length > limit) body.removeChild(body.lastChild);
      var empty = document.querySelector("[data-tail-empty]");
      if (empty) empty.remove();
    };
    window.addEventListener("pagehide", function () { source.close(); });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("tbody[data-tail]").forEach(follow);
  });
})();
