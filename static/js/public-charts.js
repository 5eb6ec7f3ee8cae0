/*
 * Charts of the public rankings pages (ECharts, SVG renderer). The tables on the page are the
 * content; this script only draws the same numbers, read from the <script type="application/json">
 * blocks the server embeds (json_script). Every chart box is `hidden` in the HTML, so without
 * JavaScript (or without ECharts) nothing empty is shown.
 *
 *   data-chart="bars"     one ranking group: horizontal bars of the totals (data-index: group)
 *   data-chart="grades"   agencies per grade, one stacked series per group
 *   data-chart="trend"    average total per group over the periods, or one agency's totals
 *                         (data-select: the id of the <select> that picks the agency)
 *   data-chart="history"  one agency's totals over the periods
 */
(function () {
  "use strict";

  var charts = [];

  function readJSON(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try {
      return JSON.parse(node.textContent);
    } catch (e) {
      return null;
    }
  }

  function mount(box, height, option) {
    box.hidden = false;
    box.style.height = height + "px";
    var chart = window.echarts.init(box, null, { renderer: "svg" });
    chart.setOption(option);
    charts.push(chart);
    return chart;
  }

  function base() {
    return {
      aria: { enabled: true },
      animation: false,
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" } },
      grid: { left: 8, right: 48, top: 32, bottom: 8, containLabel: true }
    };
  }

  function bars(box, data) {
    var group = (data.bars || [])[Number(box.dataset.index || 0)];
    if (!group || !group.values.length) return;
    var option = base();
    option.grid.top = 8;
    option.xAxis = { type: "value" };
    option.yAxis = {
      type: "category",
      inverse: true, // rank 1 at the top, as in the table
      data: group.names.map(function (name, i) { return group.ranks[i] + ". " + name; }),
      axisLabel: { width: 140, overflow: "truncate" }
    };
    option.series = [{
      name: group.title,
      type: "bar",
      data: group.values,
      label: { show: true, position: "right" }
    }];
    mount(box, Math.max(160, group.values.length * 28 + 40), option);
  }

  function grades(box, data) {
    var g = data.grades;
    if (!g || !g.labels.length) return;
    var option = base();
    option.legend = { top: 0 };
    option.xAxis = { type: "category", data: g.labels };
    option.yAxis = { type: "value", minInterval: 1 };
    option.series = g.series.map(function (s) {
      return { name: s.name, type: "bar", stack: "agencies", data: s.values };
    });
    mount(box, 280, option);
  }

  function lines(series) {
    return series.map(function (s) {
      return { name: s.name, type: "line", data: s.values, connectNulls: false, symbolSize: 8 };
    });
  }

  function trend(box, data) {
    // One period is a dot, not a trend: the table says it all until there are two.
    if (!data.periods || data.periods.length < 2) return;
    var option = base();
    option.tooltip = { trigger: "axis" };
    option.legend = { top: 0 };
    option.xAxis = { type: "category", data: data.periods };
    option.yAxis = { type: "value", scale: true };
    option.series = lines(data.series);
    var chart = mount(box, 300, option);
    var select = box.dataset.select && document.getElementById(box.dataset.select);
    if (!select) return;
    var controls = select.closest(".public-chart-controls");
    if (controls) controls.hidden = false;
    select.addEventListener("change", function () {
      var id = select.value;
      var agency = null;
      (data.agencies || []).forEach(function (a) { if (String(a.id) === id) agency = a; });
      var series = agency ? [{ name: agency.name, values: agency.values }] : data.series;
      chart.setOption({ series: lines(series) }, { replaceMerge: ["series"] });
    });
  }

  function history(box, data) {
    // One period is a dot, not a trend: the table says it all until there are two.
    if (!data.periods || data.periods.length < 2) return;
    var option = base();
    option.tooltip = { trigger: "axis" };
    option.xAxis = { type: "category", data: data.periods };
    option.yAxis = { type: "value", scale: true };
    option.series = lines(data.series).map(function (s) {
      s.label = { show: true, position: "top" };
      return s;
    });
    mount(box, 260, option);
  }

  var BUILDERS = { bars: bars, grades: grades, trend: trend, history: history };

  function start() {
    if (!window.echarts) return;
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var build = BUILDERS[box.dataset.chart];
      var data = readJSON(box.dataset.source);
      if (build && data) build(box, data);
    });
    var pending = null;
    window.addEventListener("resize", function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        charts.forEach(function (chart) { chart.resize(); });
      }, 100);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
