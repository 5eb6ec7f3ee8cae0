/*
 * Charts of the home pages (integrity/dashboard.py, templates/home/_figure.html).
 *
 * The server embeds every figure's chart data once, with json_script, as
 * {slug: spec}; each chart box is `<div data-chart="slug" hidden>` next to a <details> table
 * holding the same numbers. Without JavaScript (or without ECharts) the box stays hidden and
 * the table stays open; once a chart is drawn its table folds away (one click opens it again).
 *
 *   kind "bar"   categories × series (stacked when series share a `stack`; a series may be a
 *                "line"); `horizontal` puts the categories on the y axis; `money` formats yuan
 *   kind "pie"   a ring of {name, value, color, url} with an optional figure in its centre
 *   kind "grid"  a heatmap of cells [x, y, state index, url] coloured by `states`
 *
 * Clicking a bar, slice or cell opens its `url`: the filtered list behind the number. Every
 * chart saves itself as PNG (its "Save as PNG" button); the Excel export is a plain link.
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

  function escape(text) {
    return window.echarts.format.encodeHTML(String(text));
  }

  function yuan(value) {
    return Number(value || 0).toLocaleString("zh-CN", {
      minimumFractionDigits: 2,
      maximumFractionDigits: 2
    });
  }

  // Axis labels: large sums in 万 (ten thousands), as Chinese reports write them.
  function compact(value) {
    var n = Number(value);
    if (Math.abs(n) >= 10000) {
      return (n / 10000).toLocaleString("zh-CN", { maximumFractionDigits: 1 }) + "万";
    }
    return n.toLocaleString("zh-CN");
  }

  function base() {
    return {
      aria: { enabled: true },
      animation: false,
      textStyle: { fontFamily: getComputedStyle(document.body).fontFamily },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, confine: true },
      legend: { top: 0, type: "scroll" },
      grid: { left: 8, right: 24, top: 36, bottom: 8, containLabel: true }
    };
  }

  function bar(spec) {
    var option = base();
    var categories = {
      type: "category",
      data: spec.categories,
      axisTick: { alignWithLabel: true },
      axisLabel: { interval: 0, width: 110, overflow: "truncate" }
    };
    var values = {
      type: "value",
      minInterval: spec.money ? 0 : 1,
      axisLabel: { formatter: compact }
    };
    if (spec.horizontal) {
      categories.inverse = true; // the first row of the table at the top
      option.xAxis = values;
      option.yAxis = categories;
    } else {
      if (spec.rotate || spec.categories.length > 6) {
        categories.axisLabel.rotate = 30;
        categories.axisLabel.width = 90;
      }
      option.xAxis = categories;
      option.yAxis = values;
    }
    if (spec.money) option.tooltip.valueFormatter = yuan;
    option.series = spec.series.map(function (s) {
      var line = s.type === "line";
      var out = {
        name: s.name,
        type: line ? "line" : "bar",
        data: s.data,
        cursor: s.urls && s.urls.length ? "pointer" : "default",
        emphasis: { focus: "series" }
      };
      if (s.stack) out.stack = s.stack;
      if (s.color) {
        out.itemStyle = { color: s.color };
        if (line) out.lineStyle = { color: s.color };
      }
      if (line) {
        out.symbolSize = 7;
      } else {
        out.barMaxWidth = 36;
      }
      return out;
    });
    return option;
  }

  function pie(spec) {
    var option = base();
    delete option.grid;
    option.tooltip = {
      trigger: "item",
      confine: true,
      formatter: function (p) {
        return escape(p.name) + ": " + p.value + " (" + p.percent + "%)";
      }
    };
    option.legend = { bottom: 0, type: "scroll" };
    option.series = [{
      type: "pie",
      radius: ["42%", "68%"],
      center: ["50%", "45%"],
      avoidLabelOverlap: true,
      label: { formatter: "{c}" },
      data: spec.data.map(function (d) {
        return {
          name: d.name,
          value: d.value,
          itemStyle: { color: d.color },
          cursor: d.url ? "pointer" : "default"
        };
      })
    }];
    if (spec.center) {
      option.title = {
        text: spec.center,
        subtext: spec.centerLabel || "",
        left: "center",
        top: "35%",
        itemGap: 2,
        textStyle: { fontSize: 20, fontWeight: "bold" },
        subtextStyle: { fontSize: 12 }
      };
    }
    return option;
  }

  function grid(spec) {
    var option = base();
    delete option.legend;
    option.tooltip = {
      trigger: "item",
      confine: true,
      formatter: function (p) {
        return escape(spec.y[p.data[1]]) + "<br>" + escape(spec.x[p.data[0]]) + ": " +
          escape(spec.states[p.data[2]].label);
      }
    };
    option.grid = { left: 8, right: 8, top: 8, bottom: 40, containLabel: true };
    option.xAxis = {
      type: "category",
      data: spec.x,
      position: "top",
      splitArea: { show: true },
      axisLabel: { interval: 0 }
    };
    option.yAxis = {
      type: "category",
      data: spec.y,
      inverse: true,
      splitArea: { show: true },
      axisLabel: { interval: 0, width: 130, overflow: "truncate" }
    };
    option.visualMap = {
      type: "piecewise",
      dimension: 2,
      orient: "horizontal",
      left: "center",
      bottom: 0,
      pieces: spec.states.map(function (s, i) {
        return { value: i, label: s.label, color: s.color };
      })
    };
    option.series = [{
      type: "heatmap",
      data: spec.cells,
      label: {
        show: true,
        color: "#fff",
        fontSize: 11,
        formatter: function (p) { return spec.states[p.data[2]].label; }
      },
      itemStyle: { borderColor: "#fff", borderWidth: 2 }
    }];
    return option;
  }

  var BUILDERS = { bar: bar, pie: pie, grid: grid };

  function target(spec, p) {
    if (spec.kind === "bar") {
      var s = spec.series[p.seriesIndex];
      return s && s.urls ? s.urls[p.dataIndex] : "";
    }
    if (spec.kind === "pie") return (spec.data[p.dataIndex] || {}).url;
    if (spec.kind === "grid") return p.data && p.data[3];
    return "";
  }

  function savePNG(chart, slug) {
    var a = document.createElement("a");
    a.href = chart.getDataURL({ type: "png", pixelRatio: 2, backgroundColor: "#fff" });
    a.download = slug + ".png";
    document.body.appendChild(a);
    a.click();
    a.remove();
  }

  function mount(box, slug, spec) {
    var build = BUILDERS[spec.kind];
    if (!build) return;
    box.hidden = false;
    box.style.height = (spec.height || 300) + "px";
    var chart = window.echarts.init(box, null, { renderer: "canvas", locale: "ZH" });
    chart.setOption(build(spec));
    chart.on("click", function (p) {
      var url = target(spec, p);
      if (url) window.location.assign(url);
    });
    charts.push(chart);
    var figure = box.closest(".dashboard-figure");
    if (!figure) return;
    var table = figure.querySelector("details.dashboard-table");
    if (table) table.open = false;
    var button = figure.querySelector("[data-png]");
    if (button) {
      button.hidden = false;
      button.addEventListener("click", function () { savePNG(chart, slug); });
    }
  }

  function start() {
    if (!window.echarts) return;
    var specs = readJSON("dashboard-charts") || {};
    document.querySelectorAll("[data-chart]").forEach(function (box) {
      var slug = box.dataset.chart;
      if (specs[slug]) mount(box, slug, specs[slug]);
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
