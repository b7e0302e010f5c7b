// The page of `cnncalc report`: lays out, draws and links what cnncalc/page/data.py computed.
// Every text from the spec goes into the page with textContent, never as markup.
(function () {
  "use strict";

  const timings = { start: performance.now() };  // milliseconds since navigation, per phase
  const D = JSON.parse(document.getElementById("cnncalc-data").textContent);
  timings.data = performance.now();
  const nodes = D.nodes;
  const groups = D.groups;
  const SVG = "http://www.w3.org/2000/svg";
  const PAD = 10;          // inside an expanded group's frame
  const TITLE = 20;        // an expanded group's title bar
  const LINE = 15;         // one line of a box's label
  const VISIBLE = 200;     // boxes shown at first: groups open while the count stays under this

  // --- small helpers ------------------------------------------------------------------------

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) e.append(c);  // strings become text nodes
    return e;
  }

  function svg(tag, attrs) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    return e;
  }

  const $ = (id) => document.getElementById(id);
  const measure = document.createElement("canvas").getContext("2d");

  function textWidth(text, bold) {
    measure.font = (bold ? "600 " : "") + "12px system-ui, sans-serif";
    return measure.measureText(text).width;
  }

  function boxSize(label) {
    let w = 0;
    label.forEach((line, k) => { w = Math.max(w, textWidth(line, k === 0)); });
    return { w: Math.ceil(w) + 18, h: label.length * LINE + 10 };
  }

  // --- the group tree -----------------------------------------------------------------------

  const expanded = new Uint8Array(groups.length);
  const consumers = nodes.map(() => []);  // who reads each node
  nodes.forEach((n, d) => { for (const s of n.inputs) consumers[s].push(d); });
  const itemsOf = (c) => (c < 0 ? D.top : groups[c].items);

  // The box that shows node i: itself, or its outermost collapsed group.
  function rep(i) {
    let key = "n" + i;
    for (let g = nodes[i].group; g >= 0; g = groups[g].parent) if (!expanded[g]) key = "g" + g;
    return key;
  }

  // The child of container c that holds node i (null when i is outside c).
  function childOf(c, i) {
    let key = "n" + i;
    for (let p = nodes[i].group; p !== c; p = groups[p].parent) {
      if (p < 0) return null;
      key = "g" + p;
    }
    return key;
  }

  function descendants(c) {
    const out = [];
    const stack = [c];
    while (stack.length) {
      for (const [t, i] of itemsOf(stack.pop())) (t === "n" ? out.push(i) : stack.push(i));
    }
    return out;
  }

  function openTo(i) {  // expand every group around node i
    for (let g = nodes[i].group; g >= 0; g = groups[g].parent) setExpanded(g, true);
  }

  const cache = new Map();  // container → its layout

  function setExpanded(g, open) {
    if (!!expanded[g] === open) return;
    expanded[g] = open ? 1 : 0;
    for (let p = g; p >= 0; p = groups[p].parent) cache.delete(p);
    cache.delete(-1);
  }

  function initialExpansion() {  // breadth first, while the visible boxes stay under VISIBLE
    let visible = D.top.length;
    let level = D.top.filter(([t]) => t === "g").map(([, i]) => i);
    while (level.length) {
      const next = [];
      for (const g of level) {
        const more = groups[g].items.length - 1;
        if (visible + more > VISIBLE) return;
        expanded[g] = 1;
        visible += more;
        for (const [t, i] of groups[g].items) if (t === "g") next.push(i);
      }
      level = next;
    }
  }

  // --- layout: each container on its own with dagre, sizes bottom up -------------------------

  function itemSize(t, i) {
    if (t === "n") return boxSize(nodes[i].label);
    if (!expanded[i]) return boxSize(groups[i].label);
    const inner = layout(i);
    return { w: Math.max(inner.w, textWidth(groups[i].title, true) + 40) + 2 * PAD,
             h: inner.h + TITLE + PAD };
  }

  function layout(c) {
    if (cache.has(c)) return cache.get(c);
    const g = new dagre.graphlib.Graph();
    g.setGraph({ rankdir: "TB", nodesep: 16, ranksep: 26, marginx: 4, marginy: 4 });
    g.setDefaultEdgeLabel(() => ({}));
    for (const [t, i] of itemsOf(c)) {
      const s = itemSize(t, i);
      g.setNode(t + i, { width: s.w, height: s.h });
    }
    // Edges between the children; an edge from outside the container enters at its "in" port
    // (a point at the top, placed by dagre like a box, so that it is routed around the boxes it
    // passes), and one that leaves goes to its "out" port at the bottom.
    const inside = new Set(descendants(c));
    const port = (name) => { if (!g.hasNode(name)) g.setNode(name, { width: 1, height: 1 }); return name; };
    for (const d of inside) {
      const to = childOf(c, d);
      for (const s of nodes[d].inputs) {
        const from = inside.has(s) ? childOf(c, s) : port("in");
        if (from !== to) g.setEdge(from, to);
      }
      for (const u of consumers[d]) if (!inside.has(u)) g.setEdge(to, port("out"));
    }
    // Boxes as high as their inputs allow, and dagre's first ordering, which follows the
    // insertion order (the spec's), kept: the branches of a concat start side by side and stand
    // left to right as written (and the slow crossing sweeps are skipped).
    g.graph().ranker = rankEarliest;
    dagre.layout(g, { disableOptimalOrderHeuristic: true });
    const pos = new Map();
    for (const key of g.nodes()) pos.set(key, g.node(key));
    const edges = new Map();
    for (const e of g.edges()) edges.set(e.v + ">" + e.w, g.edge(e).points);
    const result = { w: g.graph().width || 0, h: g.graph().height || 0, pos, edges };
    cache.set(c, result);
    return result;
  }

  // Longest path from the sources (Kahn's order): rank(v) = max over inputs of rank(u) + minlen.
  function rankEarliest(g) {
    const waiting = new Map();
    const ready = [];
    for (const v of g.nodes()) {
      g.node(v).rank = 0;
      const n = (g.inEdges(v) || []).length;
      if (n) waiting.set(v, n); else ready.push(v);
    }
    for (let k = 0; k < ready.length; k++) {
      const v = ready[k];
      for (const e of g.outEdges(v) || []) {
        const w = g.node(e.w);
        w.rank = Math.max(w.rank, g.node(v).rank + g.edge(e).minlen);
        const left = waiting.get(e.w) - 1;
        waiting.set(e.w, left);
        if (!left) ready.push(e.w);
      }
    }
  }

  // --- drawing ------------------------------------------------------------------------------

  const view = { k: 1, x: 0, y: 0 };
  const boxes = new Map();   // visible key → {x, y, w, h}
  const origins = new Map(); // container → where its layout's (0, 0) is drawn
  let selected = -1;
  const graphSvg = $("graph");
  const viewport = svg("g", { id: "viewport" });
  graphSvg.append(viewport);

  function colours(cat) { return D.palette[cat] || D.palette.other; }

  function place(c, ox, oy, layers) {
    const lay = layout(c);
    origins.set(c, { x: ox, y: oy });
    for (const [t, i] of itemsOf(c)) {
      const key = t + i;
      const p = lay.pos.get(key);
      const box = { x: ox + p.x - p.width / 2, y: oy + p.y - p.height / 2, w: p.width,
                    h: p.height };
      boxes.set(key, box);
      if (t === "g" && expanded[i]) {
        layers.frames.append(frame(i, box));
        place(i, box.x + PAD, box.y + TITLE, layers);
      } else {
        layers.boxes.append(t === "n" ? nodeBox(i, box) : groupBox(i, box));
      }
    }
  }

  function frame(g, b) {
    const e = svg("g", { class: "frame" + statusClass(groupStatus(g)), "data-group": g });
    e.append(svg("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: 6 }));
    const title = svg("text", { x: b.x + 8, y: b.y + 14, class: "frame-title" });
    title.textContent = "− " + groups[g].title;
    e.append(title);
    return e;
  }

  function labelText(x, y, label) {
    const text = svg("text", { x, y });
    label.forEach((line, k) => {
      const span = svg("tspan", { x, dy: k ? LINE : 0, class: k ? "" : "name" });
      span.textContent = line;
      text.append(span);
    });
    return text;
  }

  function nodeBox(i, b) {
    const n = nodes[i];
    const [fill, stroke] = colours(n.cat);
    const e = svg("g", { class: "node" + statusClass(n.status) + (i === selected ? " selected" : ""),
                         "data-node": i });
    e.append(svg("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: n.cat === "input" ? 14 : 4,
                           fill, stroke }));
    e.append(labelText(b.x + 9, b.y + 17, n.label));
    return e;
  }

  function groupBox(g, b) {
    const e = svg("g", { class: "group" + statusClass(groupStatus(g)), "data-group": g });
    e.append(svg("rect", { x: b.x, y: b.y, width: b.w, height: b.h, rx: 6 }));
    e.append(labelText(b.x + 9, b.y + 17, ["+ " + groups[g].label[0], ...groups[g].label.slice(1)]));
    return e;
  }

  function statusClass(status) { return status && status !== "unchanged" ? " " + status : ""; }

  const groupStatusCache = new Map();
  function groupStatus(g) {  // a group is changed when anything inside it is not unchanged
    if (!D.diff) return "";
    if (!groupStatusCache.has(g)) {
      const inside = descendants(g).some((i) => nodes[i].status !== "unchanged");
      groupStatusCache.set(g, inside ? "changed" : "");
    }
    return groupStatusCache.get(g);
  }

  function edgePath(from, to, points) {
    if (points) return "M" + points.map((p) => `${p.x},${p.y}`).join("L");
    const a = { x: from.x + from.w / 2, y: from.y + from.h };
    const b = { x: to.x + to.w / 2, y: to.y };
    const bend = Math.max(20, Math.abs(b.y - a.y) / 3);
    return `M${a.x},${a.y}C${a.x},${a.y + bend} ${b.x},${b.y - bend} ${b.x},${b.y}`;
  }

  // The containers around a box, innermost first: [container, the box or group in it].
  function chain(key) {
    const out = [];
    let c = key[0] === "n" ? nodes[+key.slice(1)].group : groups[+key.slice(1)].parent;
    for (;;) {
      out.push([c, key]);
      if (c < 0) return out;
      key = "g" + c;
      c = groups[c].parent;
    }
  }

  // An edge's points: up through the "out" ports of the containers around its source, across
  // the innermost container holding both ends, and down through the "in" ports to its target,
  // each piece as dagre routed it in its own container.
  function route(from, to) {
    const up = chain(from), down = chain(to);
    const shared = new Set(down.map(([c]) => c));
    const points = [];
    const piece = (c, v, w) => {
      const p = layout(c).edges.get(v + ">" + w);
      if (!p) return false;
      const o = origins.get(c);
      for (const q of p) points.push({ x: q.x + o.x, y: q.y + o.y });
      return true;
    };
    let k = 0;
    for (; !shared.has(up[k][0]); k++) if (!piece(up[k][0], up[k][1], "out")) return null;
    const top = up[k][0];
    const j = down.findIndex(([c]) => c === top);
    if (!piece(top, up[k][1], down[j][1])) return null;
    for (let m = j - 1; m >= 0; m--) if (!piece(down[m][0], "in", down[m][1])) return null;
    return points;
  }

  function drawEdges(layer) {
    const drawn = new Map();  // one line per pair of boxes, listing the input slots it carries
    for (let d = 1; d < nodes.length; d++) {
      const to = rep(d);
      nodes[d].inputs.forEach((s, slot) => {
        const from = rep(s);
        if (from === to) return;
        const leaves = from[0] === "n" && to[0] === "n";
        const key = leaves ? `${from}>${to}>${slot}` : `${from}>${to}`;
        if (!drawn.has(key)) drawn.set(key, { from, to, slots: [], merge: nodes[d].inputs.length > 1 });
        drawn.get(key).slots.push(slot + 1);
      });
    }
    for (const { from, to, slots, merge } of drawn.values()) {
      const a = boxes.get(from);
      const b = boxes.get(to);
      const points = route(from, to);
      const g = svg("g", { class: "edge" });
      g.append(svg("path", { d: edgePath(a, b, points), "marker-end": "url(#arrow)" }));
      if (merge && to[0] === "n") {  // a merge's inputs are numbered in the spec's order
        const end = points ? points[points.length - 2] : { x: b.x + b.w / 2, y: b.y - 12 };
        const tip = points ? points[points.length - 1] : { x: b.x + b.w / 2, y: b.y };
        const t = svg("text", { x: (end.x + 2 * tip.x) / 3 + 4, y: (end.y + 2 * tip.y) / 3 - 2,
                                class: "slot" });
        t.textContent = slots.join(",");
        g.append(t);
      }
      layer.append(g);
    }
  }

  function render() {
    boxes.clear();
    origins.clear();
    viewport.replaceChildren();
    const layers = { frames: svg("g"), edges: svg("g"), boxes: svg("g") };
    place(-1, 0, 0, layers);
    drawEdges(layers.edges);
    viewport.append(layers.frames, layers.edges, layers.boxes);
    $("graph-counts").textContent =
      `${document.querySelectorAll("#graph .node").length} layer boxes · ` +
      `${document.querySelectorAll("#graph .group").length} collapsed groups · ` +
      `${document.querySelectorAll("#graph .edge").length} edges`;
  }

  // --- pan and zoom -------------------------------------------------------------------------

  function applyView() { viewport.setAttribute("transform", `translate(${view.x},${view.y}) scale(${view.k})`); }

  function fit(all) {
    const lay = layout(-1);
    const W = graphSvg.clientWidth, H = graphSvg.clientHeight;
    const k = all ? Math.min(W / (lay.w + 20), H / (lay.h + 20), 1.5) : Math.min(1, W / (lay.w + 20));
    view.k = Math.max(k, 0.02);
    view.x = (W - lay.w * view.k) / 2;
    view.y = all ? (H - lay.h * view.k) / 2 : 10;
    applyView();
  }

  function centreOn(key) {
    const b = boxes.get(key);
    if (!b) return;
    const W = graphSvg.clientWidth, H = graphSvg.clientHeight;
    view.k = Math.max(view.k, 0.6);
    view.x = W / 2 - (b.x + b.w / 2) * view.k;
    view.y = H / 2 - (b.y + b.h / 2) * view.k;
    applyView();
  }

  graphSvg.addEventListener("wheel", (ev) => {
    ev.preventDefault();
    const r = graphSvg.getBoundingClientRect();
    const mx = ev.clientX - r.left, my = ev.clientY - r.top;
    const k = Math.min(4, Math.max(0.02, view.k * Math.exp(-ev.deltaY * 0.0015)));
    view.x = mx - (mx - view.x) * (k / view.k);
    view.y = my - (my - view.y) * (k / view.k);
    view.k = k;
    applyView();
  }, { passive: false });

  let drag = null;
  graphSvg.addEventListener("pointerdown", (ev) => {
    drag = { x: ev.clientX, y: ev.clientY, vx: view.x, vy: view.y, moved: false };
  });
  window.addEventListener("pointermove", (ev) => {
    if (!drag) return;
    const dx = ev.clientX - drag.x, dy = ev.clientY - drag.y;
    if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
    if (drag.moved) { view.x = drag.vx + dx; view.y = drag.vy + dy; applyView(); }
  });
  window.addEventListener("pointerup", () => { setTimeout(() => { drag = null; }, 0); });

  graphSvg.addEventListener("click", (ev) => {
    if (drag && drag.moved) return;
    const node = ev.target.closest("[data-node]");
    const group = ev.target.closest("[data-group]");
    if (node) select(+node.dataset.node, false);
    else if (group) {
      const g = +group.dataset.group;
      setExpanded(g, !expanded[g]);
      render();
    }
  });
  graphSvg.addEventListener("mouseover", (ev) => {
    const node = ev.target.closest("[data-node]");
    const group = ev.target.closest("[data-group]");
    if (node) showDetails(+node.dataset.node);
    else if (group) showGroup(+group.dataset.group);
  });
  graphSvg.addEventListener("mouseleave", () => showDetails(selected));

  // --- details ------------------------------------------------------------------------------

  function pairs(list) {
    const dl = el("dl");
    for (const [k, v] of list) dl.append(el("dt", {}, k), el("dd", {}, v));
    return dl;
  }

  function showDetails(i) {
    const box = $("details");
    if (i < 0) {
      box.replaceChildren(el("p", { class: "hint" },
        "Hover or click a layer (graph, table or profile) to see its numbers."));
      return;
    }
    const n = nodes[i];
    const parts = [el("h2", {}, n.name)];
    if (n.status) parts.push(el("p", { class: "badge " + n.status }, n.status));
    parts.push(pairs(n.details));
    if (n.was) parts.push(el("h3", {}, "compared with " + D.diff.old), pairs(n.was));
    if (n.line && D.source_lines[n.line] !== undefined) {
      parts.push(el("h3", {}, `spec line ${n.line}`), el("pre", {}, D.source_lines[n.line]));
    }
    box.replaceChildren(...parts);
  }

  function showGroup(g) {
    $("details").replaceChildren(el("h2", {}, groups[g].title),
      el("p", { class: "hint" }, expanded[g] ? "click the title to collapse" : "click to expand"),
      pairs(groups[g].details));
  }

  function select(i, fromTable) {
    selected = i;
    if (rep(i) !== "n" + i) { openTo(i); render(); }
    for (const e of document.querySelectorAll("#graph .node.selected")) e.classList.remove("selected");
    const box = document.querySelector(`#graph [data-node="${i}"]`);
    if (box) box.classList.add("selected");
    if (fromTable) centreOn("n" + i);
    for (const r of document.querySelectorAll("#table tr.selected")) r.classList.remove("selected");
    if (fromTable) showRows(); else revealRow(i);
    showDetails(i);
  }

  // --- the table: only the rows in view are in the document (a page may have 100,000) ---

  const ROW = 21;           // px; every row is one line high (see page.css)
  const cols = D.columns;
  const all = [];           // the layers' node indices, input left out
  for (let i = 1; i < nodes.length; i++) all.push(i);
  let order = all;          // sorted and filtered
  let sortKey = null, sortDir = 1;
  const tableBox = $("table-box");
  const body = el("tbody");
  const rows = new Map();   // node index → its row, made when first shown

  function rowOf(i) {
    if (!rows.has(i)) {
      const n = nodes[i];
      const tr = el("tr", { "data-node": i, class: n.status && n.status !== "unchanged" ? n.status : "" },
                    el("td", { class: "num" }, String(i)));
      if (D.diff) tr.append(el("td", {}, n.status || ""));
      n.cells.forEach((text, k) => tr.append(el("td", { class: cols[k].numeric ? "num" : "", title: text }, text)));
      rows.set(i, tr);
    }
    const tr = rows.get(i);
    tr.classList.toggle("selected", i === selected);
    return tr;
  }

  function spacer(height) {
    const td = el("td", { colspan: cols.length + (D.diff ? 2 : 1) });
    td.style.height = height + "px";
    return el("tr", { class: "spacer" }, td);
  }

  function showRows() {
    const first = Math.max(0, Math.floor(tableBox.scrollTop / ROW) - 10);
    // The box is as tall as its rows up to 70vh: the window's height covers it.
    const last = Math.min(order.length, first + Math.ceil(window.innerHeight / ROW) + 20);
    const shown = [];
    for (let k = first; k < last; k++) shown.push(rowOf(order[k]));
    body.replaceChildren(spacer(first * ROW), ...shown, spacer((order.length - last) * ROW));
  }

  function buildTable() {
    const head = el("tr", {}, el("th", { "data-col": "index", class: "num" }, "#"));
    if (D.diff) head.append(el("th", { "data-col": "status" }, "Status"));
    cols.forEach((c, k) => head.append(el("th", { "data-col": k, class: c.numeric ? "num" : "" }, c.header)));
    // Column widths from the longest text, set once, so that they do not jump while scrolling.
    const widths = [String(nodes.length).length, ...(D.diff ? [9] : [])];
    cols.forEach((c, k) => {
      let w = Math.max(c.header.length, (D.totals[k] || "").length);
      for (const i of all) w = Math.max(w, nodes[i].cells[k].length);
      widths.push(Math.min(w, 48));
    });
    const colgroup = el("colgroup");
    for (const w of widths) {
      const col = el("col");
      col.style.width = (w + 3) + "ch";
      colgroup.append(col);
    }
    const foot = el("tr", {}, el("td"));
    if (D.diff) foot.append(el("td"));
    D.totals.forEach((text, k) => foot.append(el("td", { class: cols[k].numeric ? "num" : "" }, text)));
    $("table").replaceChildren(colgroup, el("thead", {}, head), body, el("tfoot", {}, foot));
    showRows();
    tableBox.addEventListener("scroll", showRows);
    $("table").addEventListener("click", (ev) => {
      const th = ev.target.closest("th");
      if (th) return sortBy(th);
      const tr = ev.target.closest("tr[data-node]");
      if (tr) select(+tr.dataset.node, true);
    });
    $("filter").addEventListener("input", filterRows);
    $("footer").replaceChildren(...D.footer.map((line) => el("div", {}, line)));
    $("conventions").replaceChildren(...D.conventions.map((line) => el("li", {}, line.replace(/^\* /, ""))));
    $("warnings").replaceChildren(...D.warnings.map((line) => el("li", {}, line)));
  }

  function sortedFiltered() {
    const q = $("filter").value.trim().toLowerCase();
    let list = !q ? all.slice() : all.filter((i) => {
      const n = nodes[i];
      return n.name.toLowerCase().includes(q) || n.kind.toLowerCase().includes(q) ||
             n.cells[1].toLowerCase().includes(q);
    });
    if (sortKey !== null) {
      list.sort((a, b) => { const x = sortKey(a), y = sortKey(b); return (x < y ? -1 : x > y ? 1 : a - b) * sortDir; });
    }
    $("filter-count").textContent = q ? `${list.length} of ${all.length} layers` : "";
    return list;
  }

  function sortBy(th) {
    const col = th.dataset.col;
    const again = th.classList.contains("asc") || th.classList.contains("desc");
    const numeric = col !== "index" && col !== "status" && cols[col].numeric;
    sortDir = again ? -sortDir : (numeric ? -1 : 1);  // numbers largest first, names A to Z
    if (col === "index") sortKey = (i) => i;
    else if (col === "status") sortKey = (i) => nodes[i].status || "";
    else if (cols[col].key) sortKey = (i) => (nodes[i].v[cols[col].key] ?? -1);
    else sortKey = (i) => nodes[i].cells[col].toLowerCase();
    for (const h of $("table").tHead.rows[0].cells) {
      h.classList.toggle("asc", h === th && sortDir > 0);
      h.classList.toggle("desc", h === th && sortDir < 0);
    }
    order = sortedFiltered();
    tableBox.scrollTop = 0;
    showRows();
  }

  function filterRows() {
    order = sortedFiltered();
    tableBox.scrollTop = 0;
    showRows();
  }

  function revealRow(i) {  // scroll the table to node i's row, if the filter lets it show
    const k = order.indexOf(i);
    if (k < 0) return;
    const top = k * ROW, view = tableBox.scrollTop;
    if (top < view + ROW || top > view + tableBox.clientHeight - 3 * ROW) {
      tableBox.scrollTop = Math.max(0, top - tableBox.clientHeight / 2);
    }
    showRows();
  }

  // --- profiles along the depth -------------------------------------------------------------

  function drawProfiles() {
    const layers = [];
    for (let i = 1; i < nodes.length; i++) if (nodes[i].status !== "removed") layers.push(i);
    const box = $("profiles");
    box.replaceChildren();
    const width = Math.max(200, box.clientWidth - 2);  // read once: a read forces a layout
    for (const p of D.profiles) {
      const canvas = el("canvas", { height: 70, "data-profile": p.key });
      const note = el("span", { class: "hint" });
      let peak = -1;
      for (const i of layers) if (nodes[i].v[p.key] != null && (peak < 0 || nodes[i].v[p.key] > nodes[peak].v[p.key])) peak = i;
      const peakText = peak >= 0 ? ` · largest ${nodes[peak].cells[p.column]} at ${nodes[peak].name}` : "";
      box.append(el("div", { class: "profile" }, el("div", { class: "profile-title" }, p.title + peakText, " ", note), canvas));
      canvas.width = width;
      paint(canvas, p, layers, peak >= 0 ? nodes[peak].v[p.key] : 0);
      const at = (ev) => layers[Math.min(layers.length - 1, Math.floor(ev.offsetX / canvas.clientWidth * layers.length))];
      canvas.addEventListener("mousemove", (ev) => {
        const i = at(ev);
        note.textContent = `${nodes[i].name}: ${nodes[i].cells[p.column] || "0"}`;
        showDetails(i);
      });
      canvas.addEventListener("mouseleave", () => { note.textContent = ""; showDetails(selected); });
      canvas.addEventListener("click", (ev) => select(at(ev), true));
    }
  }

  function paint(canvas, p, layers, peak) {
    const ctx = canvas.getContext("2d");
    const W = canvas.width, H = canvas.height, n = layers.length;
    const step = W / Math.max(n, 1);
    ctx.clearRect(0, 0, W, H);
    if (p.key === "rf") {
      const top = Math.max(peak, D.input_extent) || 1;
      const y = H - (D.input_extent / top) * (H - 4);
      ctx.strokeStyle = "#dc2626"; ctx.setLineDash([4, 3]);
      ctx.beginPath(); ctx.moveTo(0, y); ctx.lineTo(W, y); ctx.stroke(); ctx.setLineDash([]);
      layers.forEach((i, k) => {
        const v = nodes[i].v.rf;
        if (v == null) return;
        ctx.fillStyle = colours(nodes[i].cat)[1];
        ctx.fillRect(k * step + step / 2 - 1.5, H - (v / top) * (H - 4) - 1.5, 3, 3);
      });
      return;
    }
    if (!peak) return;
    layers.forEach((i, k) => {
      const v = nodes[i].v[p.key] || 0;
      if (!v) return;
      ctx.fillStyle = colours(nodes[i].cat)[1];
      const h = Math.max(1, (v / peak) * (H - 2));
      ctx.fillRect(k * step, H - h, Math.max(1, step * 0.85), h);
    });
  }

  // --- header -------------------------------------------------------------------------------

  function buildHeader() {
    document.title = D.diff ? `${D.diff.old} → ${D.diff.new} · cnncalc report` : `${D.title} · cnncalc report`;
    $("title").textContent = D.diff ? `${D.diff.old} → ${D.diff.new}` : D.title;
    const facts = [...D.header, ...D.settings, ["cnncalc", D.cnncalc]];
    if (D.source) facts.unshift(["spec", D.source]);
    $("facts").replaceChildren(...facts.map(([k, v]) => el("span", { class: "fact" }, el("b", {}, k + " "), v)));
    if (D.diff) {
      const t = el("table", { class: "diff-totals" },
        el("tr", {}, ...["", "old", "new", "change", ""].map((h) => el("th", {}, h))));
      for (const row of D.diff.totals) t.append(el("tr", {}, ...row.map((c, k) => el("td", { class: k ? "num" : "" }, c))));
      $("diff").replaceChildren(el("p", {}, D.diff.line), t);
    }
    const legend = Object.entries(D.palette).filter(([cat]) => nodes.some((n) => n.cat === cat));
    $("legend").replaceChildren(...legend.map(([cat, [fill, stroke]]) => {
      const swatch = el("i", { class: "swatch" });
      swatch.style.background = fill;
      swatch.style.borderColor = stroke;
      return el("span", {}, swatch, cat);
    }));
    if (D.diff) {
      for (const s of ["added", "removed", "changed"]) $("legend").append(el("span", { class: "badge " + s }, s));
    }
  }

  // --- start --------------------------------------------------------------------------------

  $("fit").addEventListener("click", () => fit(true));
  window.addEventListener("resize", drawProfiles);
  $("expand").addEventListener("click", () => { groups.forEach((_, g) => setExpanded(g, true)); render(); fit(false); });
  $("collapse").addEventListener("click", () => { groups.forEach((_, g) => setExpanded(g, false)); render(); fit(true); });

  buildHeader();
  initialExpansion();
  render();
  fit(layout(-1).h * Math.min(1, graphSvg.clientWidth / (layout(-1).w + 20)) < graphSvg.clientHeight);
  timings.graph = performance.now();
  drawProfiles();
  timings.profiles = performance.now();
  buildTable();
  showDetails(-1);
  timings.table = performance.now();
  window.cnncalc = {
    select: (name) => select(nodes.findIndex((n) => n.name === name), true),
    expandAll: () => $("expand").click(),
    collapseAll: () => $("collapse").click(),
    timings,
  };
  // Ready once the first frame with all of it has been laid out and painted.
  requestAnimationFrame(() => setTimeout(() => {
    timings.painted = performance.now();
    document.documentElement.dataset.ready = String(timings.painted);
  }));
})();
