// Draws the overview charts with plotly.js served from the plotly Python package (no CDN).
// Data comes from <script type="application/json" id="chart-data"> (json_script), labels
// from the chart's data-label-* attributes: both are in the page's language already.
// No inline scripts anywhere (CSP); after htmx swaps the sections in, they are redrawn.
(function () {
  const FONT_FAMILY =
    '-apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans SC", sans-serif';
  const COLORS = {
    dau: "#2563eb",
    wau: "#0d9488",
    mau: "#9333ea",
    new: "#16a34a",
    messages: "#ea580c",
    joined: "#16a34a",
    left: "#dc2626",
    net: "#1e293b",
    rate: "#2563eb",
    perMember: "#ea580c",
    returning: "#2563eb",
    resurrecting: "#f59e0b",
    dormant: "#dc2626",
    answered: "#99f6e4",
    within24h: "#2dd4bf",
    within1h: "#0f766e",
  };
  const SEGMENT_COLORS = {
    new: "#22c55e",
    active: "#2563eb",
    core: "#7c3aed",
    casual: "#0ea5e9",
    at_risk: "#f59e0b",
    silent: "#94a3b8",
    churned: "#dc2626",
  };
  // One blue ramp for both heatmaps: pale for little, deep for much (readable in print too).
  const HEAT_SCALE = [
    [0, "#f8fafc"],
    [0.15, "#dbeafe"],
    [0.4, "#93c5fd"],
    [0.7, "#3b82f6"],
    [1, "#1e3a8a"],
  ];

  function baseLayout(extra) {
    const layout = {
      margin: { l: 56, r: 16, t: 8, b: 40 },
      font: { family: FONT_FAMILY, size: 12, color: "#334155" },
      hoverlabel: { font: { family: FONT_FAMILY } },
      hovermode: "x unified",
      legend: { orientation: "h", y: 1.02, yanchor: "bottom", x: 0 },
      xaxis: { type: "date", showgrid: false, automargin: true },
      yaxis: { gridcolor: "#e2e8f0", rangemode: "tozero", automargin: true, zerolinecolor: "#94a3b8" },
      paper_bgcolor: "rgba(0,0,0,0)",
      plot_bgcolor: "rgba(0,0,0,0)",
    };
    return Object.assign(layout, extra || {});
  }

  function config() {
    return { responsive: true, displaylogo: false, locale: document.documentElement.lang };
  }

  function line(name, x, y, color, extra) {
    return Object.assign(
      { type: "scatter", mode: "lines", name: name, x: x, y: y, line: { color: color, width: 2 } },
      extra || {}
    );
  }

  function bar(name, x, y, color, extra) {
    return Object.assign({ type: "bar", name: name, x: x, y: y, marker: { color: color } }, extra || {});
  }

  const charts = {
    active(el, data) {
      return {
        traces: [
          line(el.dataset.labelMau, data.dates, data.mau, COLORS.mau, { fill: "tozeroy", fillcolor: "rgba(147,51,234,0.06)" }),
          line(el.dataset.labelWau, data.dates, data.wau, COLORS.wau),
          line(el.dataset.labelDau, data.dates, data.dau, COLORS.dau),
        ],
        layout: baseLayout(),
      };
    },
    new(el, data) {
      return { traces: [bar(el.dataset.label, data.dates, data.new_members, COLORS.new)], layout: baseLayout({ showlegend: false }) };
    },
    messages(el, data) {
      return { traces: [bar(el.dataset.label, data.dates, data.messages, COLORS.messages)], layout: baseLayout({ showlegend: false }) };
    },
    growth(el, data) {
      const p = data.periods;
      return {
        traces: [
          bar(el.dataset.labelJoined, p.starts, p.joined, COLORS.joined),
          // Leavers drawn below zero, so joined and left read as one balance.
          bar(el.dataset.labelLeft, p.starts, p.left.map((v) => -v), COLORS.left, {
            customdata: p.left,
            hovertemplate: "%{customdata}",
          }),
          line(el.dataset.labelNet, p.starts, p.net_growth, COLORS.net, { mode: "lines+markers", marker: { size: 5 } }),
        ],
        layout: baseLayout({ barmode: "relative", yaxis: { gridcolor: "#e2e8f0", automargin: true, zerolinecolor: "#64748b", title: { text: el.dataset.labelAxis } } }),
      };
    },
    engagement(el, data) {
      const p = data.periods;
      return {
        traces: [
          bar(el.dataset.labelRate, p.starts, p.engagement_rate, COLORS.rate, { opacity: 0.75, hovertemplate: "%{y:.1f}%" }),
          line(el.dataset.labelPerMember, p.starts, p.messages_per_active_member, COLORS.perMember, {
            yaxis: "y2",
            mode: "lines+markers",
            marker: { size: 5 },
            hovertemplate: "%{y:.2f}",
          }),
        ],
        layout: baseLayout({
          margin: { l: 56, r: 56, t: 8, b: 40 },
          yaxis: { gridcolor: "#e2e8f0", rangemode: "tozero", automargin: true, ticksuffix: "%", title: { text: el.dataset.labelRate } },
          yaxis2: { overlaying: "y", side: "right", rangemode: "tozero", showgrid: false, tickmode: "auto", nticks: 6, automargin: true, title: { text: el.dataset.labelPerMember } },
        }),
      };
    },
    response(el, data) {
      const q = data.questions;
      const labels = [el.dataset.labelAnswered, el.dataset.labelWithinDay, el.dataset.labelWithinHour];
      const values = [q.answered, q.within_24h, q.within_1h];
      return {
        traces: [
          {
            type: "bar",
            orientation: "h",
            y: labels,
            x: values,
            text: values.map((v) => (v === null ? "–" : v + "%")),
            textposition: "auto",
            marker: { color: [COLORS.answered, COLORS.within24h, COLORS.within1h] },
            hovertemplate: "%{y}: %{x:.1f}%<extra></extra>",
          },
        ],
        layout: baseLayout({
          hovermode: "closest",
          showlegend: false,
          margin: { l: 16, r: 16, t: 8, b: 40 },
          xaxis: { range: [0, 100], ticksuffix: "%", gridcolor: "#e2e8f0", title: { text: el.dataset.labelAxis } },
          yaxis: { autorange: "reversed", automargin: true },
        }),
      };
    },
    lifecycle(el, data) {
      const l = data.lifecycle;
      return {
        traces: [
          bar(el.dataset.labelNew, l.starts, l.new, COLORS.new),
          bar(el.dataset.labelReturning, l.starts, l.returning, COLORS.returning),
          bar(el.dataset.labelResurrecting, l.starts, l.resurrecting, COLORS.resurrecting),
          // PostHog's convention: members who fell dormant are drawn below the axis.
          bar(el.dataset.labelDormant, l.starts, l.dormant.map((v) => -v), COLORS.dormant, {
            customdata: l.dormant,
            hovertemplate: "%{customdata}",
          }),
        ],
        layout: baseLayout({ barmode: "relative", yaxis: { gridcolor: "#e2e8f0", automargin: true, zerolinecolor: "#64748b", title: { text: el.dataset.labelAxis } } }),
      };
    },
    retention(el, data) {
      const r = data.retention;
      // Week 0 is 100% by definition: scale the colours on the later weeks so they show.
      let top = 0;
      r.z.forEach((row) => row.slice(1).forEach((v) => (top = v !== null && v > top ? v : top)));
      const customdata = r.z.map((row, i) => row.map(() => r.sizes[i]));
      const height = Math.max(320, 26 * r.cohorts.length + 90);
      el.style.height = height + "px";
      return {
        traces: [
          {
            type: "heatmap",
            x: r.weeks,
            y: r.cohorts,
            z: r.z,
            customdata: customdata,
            zmin: 0,
            zmax: top > 0 ? top : 100,
            colorscale: HEAT_SCALE,
            // Weeks not reached yet are gaps, not 0%: no text, no colour.
            text: r.z.map((row) => row.map((v) => (v === null ? "" : Math.round(v) + "%"))),
            texttemplate: "%{text}",
            textfont: { size: 10 },
            xgap: 1,
            ygap: 1,
            colorbar: { ticksuffix: "%", thickness: 12, title: { text: el.dataset.labelRetained, side: "right" } },
            hovertemplate:
              el.dataset.labelCohort + ": %{y}<br>" + el.dataset.labelSize + ": %{customdata}<br>%{x}: %{z:.1f}%<extra></extra>",
            hoverongaps: false,
          },
        ],
        layout: baseLayout({
          hovermode: "closest",
          margin: { l: 90, r: 16, t: 8, b: 48 },
          xaxis: { type: "category", side: "top", showgrid: false, automargin: true, tickangle: 0, title: { text: el.dataset.labelWeek, standoff: 4 } },
          yaxis: { type: "category", autorange: "reversed", showgrid: false, automargin: true, title: { text: el.dataset.labelCohort } },
        }),
      };
    },
    segments(el, data) {
      const s = data.segments;
      return {
        traces: [
          {
            type: "bar",
            orientation: "h",
            y: s.labels,
            x: s.counts,
            text: s.counts.map((v) => v.toLocaleString(document.documentElement.lang)),
            textposition: "auto",
            marker: { color: s.keys.map((k) => SEGMENT_COLORS[k] || "#64748b") },
            hovertemplate: "%{y}: %{x}<extra></extra>",
          },
        ],
        layout: baseLayout({
          hovermode: "closest",
          showlegend: false,
          margin: { l: 16, r: 16, t: 8, b: 40 },
          xaxis: { gridcolor: "#e2e8f0", rangemode: "tozero", automargin: true, title: { text: el.dataset.label } },
          yaxis: { autorange: "reversed", automargin: true },
        }),
      };
    },
    hours(el, data) {
      const h = data.hour_of_week;
      const hours = Array.from({ length: 24 }, (_, i) => i);
      return {
        traces: [
          {
            type: "heatmap",
            x: hours,
            y: h.days,
            z: h.z,
            colorscale: HEAT_SCALE,
            xgap: 1,
            ygap: 1,
            colorbar: { thickness: 12, title: { text: el.dataset.labelMessages, side: "right" } },
            hovertemplate: "%{y} %{x}:00<br>" + el.dataset.labelMessages + ": %{z}<extra></extra>",
          },
        ],
        layout: baseLayout({
          hovermode: "closest",
          margin: { l: 16, r: 16, t: 8, b: 48 },
          xaxis: { type: "linear", dtick: 2, showgrid: false, automargin: true, title: { text: el.dataset.labelHour } },
          yaxis: { type: "category", autorange: "reversed", showgrid: false, automargin: true },
        }),
      };
    },
  };

  function draw(element, data) {
    const chart = charts[element.dataset.chart];
    if (!chart) {
      return;
    }
    const figure = chart(element, data);
    Plotly.newPlot(element, figure.traces, figure.layout, config()).then(() => element.setAttribute("data-rendered", "true"));
  }

  function drawAll() {
    const source = document.getElementById("chart-data");
    if (!source || typeof Plotly === "undefined") {
      return;
    }
    const data = JSON.parse(source.textContent);
    document.querySelectorAll("[data-chart]").forEach((element) => draw(element, data));
  }

  drawAll();
  document.body.addEventListener("htmx:afterSettle", (event) => {
    if (event.target && event.target.id === "overview-sections") {
      drawAll();
    }
  });
})();
