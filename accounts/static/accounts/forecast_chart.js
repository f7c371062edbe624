// The forecast by month of expected close; the figures come from json_script "forecast-data".
(function () {
  "use strict";

  const source = document.getElementById("forecast-data");
  const chart = document.getElementById("forecast-chart");
  if (!source || !chart || !window.Plotly) return;
  const data = JSON.parse(source.textContent);
  const trace = (months, key, name, color) => ({
    x: months.map((m) => m.month), y: months.map((m) => Number(m[key])), type: "bar", name, marker: {color},
  });
  const traces = [
    trace(data.current, "total", "Total", "#0d6efd"),
    trace(data.current, "weighted", "Weighted", "#20c997"),
  ];
  if (data.earlier) {
    traces.push(trace(data.earlier, "total", `Total on ${data.earlier_label}`, "#9ec5fe"));
    traces.push(trace(data.earlier, "weighted", `Weighted on ${data.earlier_label}`, "#a6e9d5"));
  }
  Plotly.newPlot(chart, traces, {
    barmode: "group",
    margin: {t: 10, r: 10, b: 50, l: 80},
    xaxis: {type: "date", tickformat: "%b %Y", dtick: "M1"},
    yaxis: {title: {text: chart.dataset.currency}, rangemode: "tozero"},
    legend: {orientation: "h"},
  }, {displayModeBar: false, responsive: true});
})();
