// Draws the AI dashboard's charts from the JSON the page embeds (#ai-dashboard-data) with Chart.js.
(function () {
  "use strict";

  // The page loads /jsi18n/ first; without it the labels stay English.
  var gettext = window.gettext || function (text) { return text; };

  var STATUS_COLOURS = { pending: "#9aa5b1", running: "#3b82f6", succeeded: "#16a34a", failed: "#dc2626" };
  var PALETTE = ["#dc2626", "#f59e0b", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#475569", "#ea580c"];

  function colour(index) {
    return PALETTE[index % PALETTE.length];
  }

  function percentAxis() {
    return { min: 0, max: 1, ticks: { callback: function (value) { return Math.round(value * 100) + "%"; } } };
  }

  function percentTooltip(context) {
    return context.dataset.label + ": " + (context.parsed.y === null ? "–" : (context.parsed.y * 100).toFixed(1) + "%");
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (!canvas) {
      return;
    }
    config.options = Object.assign({ responsive: true, maintainAspectRatio: false, animation: false }, config.options);
    new window.Chart(canvas, config);
  }

  function lines(series, options) {
    return Object.keys(series).map(function (name, index) {
      return Object.assign(
        { label: name, data: series[name], borderColor: colour(index), backgroundColor: colour(index), spanGaps: true, pointRadius: 2 },
        options || {}
      );
    });
  }

  function openAdmin(link, index, extra) {
    var params = new URLSearchParams(extra);
    params.set("created_at__gte", link.starts[index]);
    params.set("created_at__lt", link.ends[index]);
    window.location.href = link.url + "?" + params.toString();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var source = document.getElementById("ai-dashboard-data");
    if (!source || !window.Chart) {
      return;
    }
    var data = JSON.parse(source.textContent);

    var statuses = Object.keys(data.activity.series);
    draw("chart-activity", {
      type: "bar",
      data: {
        labels: data.activity.labels,
        datasets: statuses.map(function (status) {
          var name = data.activity.names[status] || status;
          return { label: name, data: data.activity.series[status], backgroundColor: STATUS_COLOURS[status] };
        }),
      },
      options: {
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
        onClick: function (event, elements) {
          if (elements.length) {
            openAdmin(data.activity.link, elements[0].index, { status__exact: statuses[elements[0].datasetIndex] });
          }
        },
      },
    });

    draw("chart-errors", {
      type: "line",
      data: { labels: data.errorRate.labels, datasets: lines(data.errorRate.series) },
      options: {
        scales: { y: percentAxis() },
        plugins: { tooltip: { callbacks: { label: percentTooltip } } },
      },
    });

    draw("chart-latency", {
      type: "line",
      data: { labels: data.latency.labels, datasets: lines(data.latency.series) },
      options: { scales: { y: { beginAtZero: true, title: { display: true, text: gettext("ms") } } } },
    });

    draw("chart-usage", {
      type: "bar",
      data: {
        labels: data.usage.labels,
        datasets: [
          { label: gettext("input tokens"), data: data.usage.inputTokens, backgroundColor: "#93c5fd", stack: "tokens", yAxisID: "tokens" },
          { label: gettext("output tokens"), data: data.usage.outputTokens, backgroundColor: "#3b82f6", stack: "tokens", yAxisID: "tokens" },
          { label: gettext("cost (USD)"), data: data.usage.cost, type: "line", borderColor: "#f59e0b", backgroundColor: "#f59e0b", yAxisID: "cost" },
        ],
      },
      options: {
        scales: {
          tokens: { position: "left", stacked: true, beginAtZero: true, title: { display: true, text: gettext("tokens") } },
          cost: { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: "USD" } },
          x: { stacked: true },
        },
      },
    });

    var feedbackSeries = {};
    feedbackSeries[gettext("thumbs up")] = data.feedback.thumbsUp;
    Object.assign(feedbackSeries, data.feedback.acceptance);
    draw("chart-feedback", {
      type: "line",
      data: { labels: data.feedback.labels, datasets: lines(feedbackSeries) },
      options: {
        scales: { y: percentAxis() },
        plugins: { tooltip: { callbacks: { label: percentTooltip } } },
      },
    });
  });
})();
