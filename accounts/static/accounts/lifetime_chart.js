// The account page's lifetime sales value over time; the points come from json_script "lifetime-history",
// at most a chart's width of them (downsampled on the server: each time bucket's last value). The full
// history is the CSV linked beside the chart.
(function () {
  "use strict";

  const source = document.getElementById("lifetime-history");
  const chart = document.getElementById("lifetime-chart");
  if (!source || !chart || !window.Plotly) return;
  const points = JSON.parse(source.textContent);
  if (!points || !points.length) return;
  const x = points.map((p) => p.at);
  const y = points.map((p) => Number(p.value));
  // Carry the current value to today so that the last step is visible.
  x.push(new Date().toISOString());
  y.push(y[y.length - 1]);
  Plotly.newPlot(chart, [{x, y, type: "scatter", mode: "lines", line: {shape: "hv"}, name: "Lifetime sales value"}], {
    margin: {t: 10, r: 10, b: 40, l: 70},
    yaxis: {title: {text: chart.dataset.currency}, rangemode: "tozero"},
    showlegend: false,
  }, {displayModeBar: false, responsive: true});
})();
