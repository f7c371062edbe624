// The account page's lifetime sales value over time, drawn with uPlot (about 50 kB: the page's first load
// stays light); the points come from json_script "lifetime-history", at most a chart's width of them
// (downsampled on the server: each time bucket's last value). The full history is the CSV linked beside it.
(function () {
  "use strict";

  const source = document.getElementById("lifetime-history");
  const chart = document.getElementById("lifetime-chart");
  if (!source || !chart || !window.uPlot) return;
  const points = JSON.parse(source.textContent);
  if (!points || !points.length) return;
  const x = points.map((p) => Date.parse(p.at) / 1000);
  const y = points.map((p) => Number(p.value));
  // Carry the current value to today so that the last step is visible.
  x.push(Date.now() / 1000);
  y.push(y[y.length - 1]);
  const amount = new Intl.NumberFormat(document.documentElement.lang || undefined, {maximumFractionDigits: 0});
  const size = () => ({width: Math.max(chart.clientWidth, 200), height: Math.max(chart.clientHeight, 120)});
  const plot = new uPlot({
    ...size(),
    legend: {show: false},
    scales: {y: {range: (self, min, max) => [0, max > 0 ? max * 1.1 : 1]}},
    axes: [
      {stroke: "#495057", grid: {stroke: "#e9ecef"}},
      {
        label: chart.dataset.currency,
        size: 70,
        stroke: "#495057",
        grid: {stroke: "#e9ecef"},
        values: (self, ticks) => ticks.map((value) => amount.format(value)),
      },
    ],
    series: [
      {},
      {
        label: "Lifetime sales value",
        stroke: "#0d6efd",
        width: 2,
        fill: "rgba(13, 110, 253, 0.08)",
        paths: uPlot.paths.stepped({align: 1}),
        value: (self, value) => (value == null ? "" : `${amount.format(value)} ${chart.dataset.currency}`),
      },
    ],
  }, [x, y], chart);
  new ResizeObserver(() => plot.setSize(size())).observe(chart);
})();
