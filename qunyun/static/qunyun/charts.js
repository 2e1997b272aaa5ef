// Draws the overview charts with plotly.js served from the plotly Python package (no CDN).
(function () {
  const source = document.getElementById("chart-data");
  if (!source || typeof Plotly === "undefined") {
    return;
  }
  const data = JSON.parse(source.textContent);
  const palette = { dau: "#2563eb", wau: "#0d9488", mau: "#9333ea", new: "#16a34a", messages: "#ea580c" };
  const font = {
    family: '-apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", sans-serif',
    size: 12,
    color: "#334155",
  };
  const layout = {
    margin: { l: 48, r: 16, t: 8, b: 36 },
    font: font,
    hovermode: "x unified",
    legend: { orientation: "h", y: 1.12, x: 0 },
    xaxis: { type: "date", showgrid: false },
    yaxis: { gridcolor: "#e2e8f0", rangemode: "tozero" },
    paper_bgcolor: "rgba(0,0,0,0)",
    plot_bgcolor: "rgba(0,0,0,0)",
  };
  const config = { responsive: true, displaylogo: false, locale: document.documentElement.lang };

  function line(name, y, color, extra) {
    return Object.assign({ type: "scatter", mode: "lines", name: name, x: data.dates, y: y, line: { color: color, width: 2 } }, extra || {});
  }

  function draw(element) {
    const kind = element.dataset.chart;
    let traces;
    if (kind === "active") {
      traces = [
        line(element.dataset.labelMau, data.mau, palette.mau, { fill: "tozeroy", fillcolor: "rgba(147,51,234,0.06)" }),
        line(element.dataset.labelWau, data.wau, palette.wau),
        line(element.dataset.labelDau, data.dau, palette.dau),
      ];
    } else if (kind === "new") {
      traces = [{ type: "bar", name: element.dataset.label, x: data.dates, y: data.new_members, marker: { color: palette.new } }];
    } else {
      traces = [{ type: "bar", name: element.dataset.label, x: data.dates, y: data.messages, marker: { color: palette.messages } }];
    }
    Plotly.newPlot(element, traces, layout, config).then(() => element.setAttribute("data-rendered", "true"));
  }

  document.querySelectorAll("[data-chart]").forEach(draw);
})();
