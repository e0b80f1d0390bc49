/* ckanext-yibenzhang: draws every chart of the page with Apache ECharts.
   Each <div data-ybz-chart="ID"> names a <script type="application/json" id="ID"> holding its
   options (built by charts.py); no inline script, as the Content-Security-Policy requires. */
(function () {
  "use strict";

  function draw() {
    var holders = document.querySelectorAll("[data-ybz-chart]");
    if (!holders.length) { return; }
    if (typeof window.echarts === "undefined") {
      holders.forEach(function (el) {
        el.classList.add("ybz-chart-missing");
        el.setAttribute("data-ybz-state", "no-echarts");
      });
      return;
    }
    var charts = [];
    holders.forEach(function (el) {
      var source = document.getElementById(el.getAttribute("data-ybz-chart"));
      if (!source) { return; }
      try {
        var options = JSON.parse(source.textContent);
        var chart = window.echarts.init(el, null, { renderer: "canvas" });
        options.animation = false;
        chart.setOption(options);
        charts.push(chart);
        el.setAttribute("data-ybz-state", "drawn");
      } catch (e) {
        el.setAttribute("data-ybz-state", "error");
      }
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
    document.documentElement.setAttribute("data-ybz-charts", String(charts.length));
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
