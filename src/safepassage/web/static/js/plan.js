// Plan page: the map (Leaflet, no basemap unless configured), the windows timeline and the movement
// Gantt (vis-timeline), people reaching safety over time (Observable Plot), and a time slider that
// shows what is in transit at a moment. Data: the page's data-src JSON (same origin).
//
// First view first: the page loads only Leaflet and this script; the map and the slider are drawn as
// soon as the data arrives (#plan-map gets data-map-ready="true"). The timeline library and the chart
// libraries (the map element's data-later, same-origin URLs) are fetched after the page's load event,
// then the timelines and the chart are drawn and #plan-map gets data-ready="true".
(function () {
  "use strict";
  // Plot puts a <style> element in each chart; the CSP allows no inline style element, so the same
  // rules live in site.css and the element is dropped before the chart enters the page.
  function noStyle(svg) {
    svg.querySelectorAll("style").forEach(function (s) { s.remove(); });
    svg.setAttribute("aria-hidden", "true");  // the container is the image (role=img, its aria-label); the table has the figures
    return svg;
  }
  var mapEl = document.getElementById("plan-map");
  if (!mapEl) { return; }
  var COLOURS = ["#b2182b", "#ef8a62", "#67a9cf", "#2166ac"];
  function needColour(share) { return share === null || share === undefined ? "#cccccc" : COLOURS[Math.min(3, Math.floor(share * 4))]; }
  function fmt(t) { return new Date(t).toISOString().slice(0, 16).replace("T", " ") + " UTC"; }
  function mark(name) { if (window.performance && performance.mark) { performance.mark(name); } }
  function esc(s) { var d = document.createElement("span"); d.textContent = String(s); return d.innerHTML; }

  var dataReady = fetch(mapEl.dataset.src, { credentials: "same-origin" }).then(function (r) { return r.json(); });
  var pageLoaded = new Promise(function (resolve) {
    if (document.readyState === "complete") { resolve(); } else { window.addEventListener("load", function () { resolve(); }); }
  });
  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var el = document.createElement("script");
      el.src = src; el.async = false;
      el.onload = function () { resolve(); };
      el.onerror = function () { reject(new Error("could not load " + src)); };
      document.body.appendChild(el);
    });
  }
  // The later libraries, in order (Plot needs d3), once the page has loaded: they never delay the first view.
  var librariesReady = pageLoaded.then(function () {
    return (mapEl.dataset.later || "").split(" ").filter(Boolean).reduce(function (chain, src) {
      return chain.then(function () { return loadScript(src); });
    }, Promise.resolve());
  });
  dataReady.then(draw);

  function draw(data) {
    var map = L.map(mapEl, { attributionControl: !!mapEl.dataset.tiles, zoomSnap: 0.25 });
    if (mapEl.dataset.tiles) { L.tileLayer(mapEl.dataset.tiles, { maxZoom: 18 }).addTo(map); }
    var zones = L.geoJSON(data.zones, {
      style: function (f) { return { color: "#333", weight: 1, fillColor: needColour(f.properties.need_met), fillOpacity: 0.45 }; },
      onEachFeature: function (f, layer) {
        var share = f.properties.need_met;
        layer.bindTooltip(esc(f.properties.name) + ": " + (share === null ? "no need data" : Math.round(share * 100) + "% of need met"));
      }
    }).addTo(map);
    map.fitBounds(zones.getBounds(), { padding: [10, 10] });
    var maxTrucks = Math.max(1, Math.max.apply(null, data.roads.map(function (r) { return r.trucks; })));
    var maxPeople = Math.max(1, Math.max.apply(null, data.roads.map(function (r) { return r.people; })));
    data.roads.forEach(function (r) {
      L.polyline(r.path, { color: r.requires_pause ? "#555" : "#888", weight: 1, dashArray: r.requires_pause ? "4 4" : null }).addTo(map);
      if (r.trucks > 0) {
        L.polyline(r.path, { color: "#0b5394", weight: 2 + 8 * Math.sqrt(r.trucks / maxTrucks), opacity: 0.8 })
          .bindTooltip(esc(r.name || r.id) + ": " + r.trucks + " trucks planned").addTo(map);
      }
      if (r.people > 0) {
        L.polyline(r.path, { color: "#1e6b30", weight: 2 + 6 * Math.sqrt(r.people / maxPeople), opacity: 0.8, dashArray: "6 6" })
          .bindTooltip(esc(r.name || r.id) + ": " + r.people.toLocaleString("en") + " people planned").addTo(map);
      }
    });
    data.places.forEach(function (p) {
      L.circleMarker([p.lat, p.lon], { radius: p.kind === "crossing" ? 7 : 4, color: "#111", weight: 1, fillColor: p.kind === "crossing" ? "#ffbf47" : "#fff", fillOpacity: 1 })
        .bindTooltip(esc(p.name) + " (" + p.kind.replace(/_/g, " ") + ")").addTo(map);
    });
    var moving = L.layerGroup().addTo(map);

    var start = Date.parse(data.plan.horizon_start), end = Date.parse(data.plan.horizon_end);
    var windowLine = null, gantt = null, safeChart = null;
    function drawLater() {
      var windows = new vis.DataSet(data.windows.map(function (w) { return { id: w.id, start: w.start, end: w.end, content: esc(w.label), className: "window" }; }));
      windowLine = new vis.Timeline(document.getElementById("windows-timeline"), windows, { stack: false, min: start, max: end, start: start, end: end, zoomable: true, height: "90px" });
      mark("windows-drawn");

      // The Gantt shows LANES_PER_PAGE lanes at a time (vis-timeline lays out every lane it is given, so
      // all 428 of the Gantt week's lanes at once hold the main thread for seconds); buttons page through.
      var lanesEl = document.getElementById("gantt-lanes"), lanesAt = document.getElementById("lanes-at");
      var prev = document.getElementById("lanes-prev"), next = document.getElementById("lanes-next");
      var per = parseInt(lanesEl.dataset.perPage, 10) || 40, first = 0, total = data.movements.length;
      function lanes(from) {
        var shown = data.movements.slice(from, from + per);
        var groups = new vis.DataSet(shown.map(function (m) { return { id: m.id, content: esc(m.reference || ("#" + m.id)) }; }));
        var items = new vis.DataSet(shown.map(function (m) {
          var who = m.kind === "convoy" ? m.trucks + " trucks" : m.people.toLocaleString("en") + " people";
          return { id: m.id, group: m.id, start: m.departs, end: m.arrives, content: "", title: esc((m.reference || m.id) + ": " + m.origin + " → " + m.destination + ", " + who + ", " + m.status.replace(/_/g, " ")), className: "st-" + m.status };
        }));
        return { groups: groups, items: items };
      }
      function showLanes(from) {
        first = Math.max(0, Math.min(from, Math.max(0, total - 1)));
        var page = lanes(first);
        if (gantt) { gantt.setData({ groups: page.groups, items: page.items }); }
        lanesAt.textContent = total ? "Lanes " + (first + 1) + "–" + Math.min(total, first + per) + " of " + total : "No movements";
        prev.disabled = first === 0;
        next.disabled = first + per >= total;
      }
      var firstPage = lanes(0);
      gantt = new vis.Timeline(document.getElementById("gantt"), firstPage.items, firstPage.groups, { stack: false, min: start, max: end, start: start, end: end, verticalScroll: true, maxHeight: 500, groupHeightMode: "fixed", margin: { item: 1 } });
      mark("gantt-drawn");
      showLanes(0);
      lanesEl.hidden = false;
      prev.addEventListener("click", function () { showLanes(first - per); });
      next.addEventListener("click", function () { showLanes(first + per); });
      // vis-timeline's scrolling label column must be reachable by keyboard (WCAG 2.1.1)
      document.querySelectorAll("#gantt .vis-vertical-scroll").forEach(function (el) { el.setAttribute("tabindex", "0"); el.setAttribute("role", "region"); el.setAttribute("aria-label", "Movement lanes (scroll)"); });
      windowLine.addCustomTime(start, "now");
      gantt.addCustomTime(start, "now");

      var safeEl = document.getElementById("safe-chart");
      var planned = data.safe.planned.map(function (d) { return { at: new Date(d.at), people: d.people, series: "planned" }; });
      var recorded = data.safe.recorded.map(function (d) { return { at: new Date(d.at), people: d.people, series: "recorded" }; });
      safeChart = function (t) {
        safeEl.textContent = "";
        var marks = [Plot.ruleY([0]), Plot.lineY(planned, { x: "at", y: "people", curve: "step-after", stroke: "#1e6b30" })];
        if (recorded.length) { marks.push(Plot.lineY(recorded, { x: "at", y: "people", curve: "step-after", stroke: "#a4161a" })); }
        marks.push(Plot.ruleX([new Date(t)], { stroke: "#111" }));
        safeEl.appendChild(noStyle(Plot.plot({ width: Math.max(280, safeEl.clientWidth || 420), height: 220, marginLeft: 60, x: { type: "time", label: null, domain: [new Date(start), new Date(end)] }, y: { grid: true, label: "people safe (planned green, recorded red)" }, marks: marks })));
      };
    }

    var slider = document.getElementById("time-slider"), now = document.getElementById("time-now");
    function show() {
      var t0 = performance.now();
      var t = start + (end - start) * slider.value / 1000;
      moving.clearLayers();
      var convoys = 0, trucks = 0, evac = 0, people = 0, arrivedTrucks = 0;
      data.movements.forEach(function (m) {
        var d = Date.parse(m.departs), a = Date.parse(m.arrives);
        if (d <= t && t < a) {
          if (m.kind === "convoy") { convoys++; trucks += m.trucks; } else { evac++; people += m.people; }
          if (m.route.length > 1) { L.polyline(m.route.map(function (p) { return data.points[p]; }), { color: "#f57c00", weight: 4, opacity: 0.9, interactive: false }).addTo(moving); }
        } else if (a <= t && m.kind === "convoy") { arrivedTrucks += m.trucks; }
      });
      now.textContent = fmt(t) + ": " + convoys + " convoys (" + trucks + " trucks) and " + evac + " evacuation movements (" + people.toLocaleString("en") + " people) in transit; " + arrivedTrucks + " trucks planned to have arrived.";
      slider.setAttribute("aria-valuetext", fmt(t));
      if (windowLine) { windowLine.setCustomTime(t, "now"); }
      if (gantt) { gantt.setCustomTime(t, "now"); }
      if (safeChart) { safeChart(t); }
      mapEl.dataset.updateMs = (performance.now() - t0).toFixed(1);
    }
    slider.addEventListener("input", show);
    show();
    mapEl.dataset.mapReady = "true";
    mark("map-ready");
    librariesReady.then(function () {
      mark("libraries-loaded");
      drawLater();
      show();
      mapEl.dataset.ready = "true";
      mark("all-drawn");
    });
  }
})();
