// Compare page: one bar chart per KPI (Observable Plot), with P10–P90 bands when a Monte Carlo run exists.
(function () {
  "use strict";
  // Plot puts a <style> element in each chart; the CSP allows no inline style element, so the same
  // rules live in site.css and the element is dropped before the chart enters the page.
  function noStyle(svg) {
    svg.querySelectorAll("style").forEach(function (s) { s.remove(); });
    svg.setAttribute("aria-hidden", "true");  // the container is the image (role=img, its aria-label); the table has the figures
    return svg;
  }
  var root = document.getElementById("compare-charts");
  if (!root || !window.Plot) { return; }
  fetch(root.dataset.src, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (data) {
    root.querySelectorAll(".chart").forEach(function (el) {
      var kpi = el.dataset.kpi;
      var rows = data.proposals.map(function (p) {
        var band = p.bands && p.bands[kpi];
        return { proposal: p.proposal, value: p[kpi], p10: band ? band.p10 : null, p50: band ? band.p50 : null, p90: band ? band.p90 : null };
      });
      var marks = [Plot.barX(rows, { y: "proposal", x: "value", fill: "#0b5394" }), Plot.ruleX([0])];
      var banded = rows.filter(function (r) { return r.p10 !== null; });
      if (banded.length) {  // P10-P90 of the newest Monte Carlo run: a red bar with end ticks, and the median as a dot
        marks.push(Plot.ruleY(banded, { y: "proposal", x1: "p10", x2: "p90", stroke: "#a4161a", strokeWidth: 3, className: "band" }));
        marks.push(Plot.tickX(banded, { y: "proposal", x: "p10", stroke: "#a4161a", strokeWidth: 2 }));
        marks.push(Plot.tickX(banded, { y: "proposal", x: "p90", stroke: "#a4161a", strokeWidth: 2 }));
        marks.push(Plot.dot(banded, { y: "proposal", x: "p50", fill: "#fff", stroke: "#a4161a", r: 3 }));
      }
      var chart = Plot.plot({ marginLeft: 130, width: Math.min(560, Math.max(300, root.clientWidth / 2 - 24)), height: 50 + 34 * rows.length,
        x: { grid: true, label: kpi.replace(/_/g, " ") }, y: { label: null, domain: rows.map(function (r) { return r.proposal; }) }, marks: marks });
      el.appendChild(noStyle(chart));
    });
  });
})();
