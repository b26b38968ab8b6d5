"use strict";
// The report page of one workflow-log run. Every value from the run is put in the page as text
// (textContent, title, value), never parsed as markup.
(function () {
  const run = JSON.parse(document.getElementById("run-data").textContent);

  // ---------------------------------------------------------------------------------------
  // The records, flattened
  // ---------------------------------------------------------------------------------------

  const MARKS = { ok: "✓", error: "✗", panicked: "!", cancelled: "⊘", incomplete: "…" };
  const GROUPS = ["iterations", "interactions", "actions", "events"];

  /** Microseconds since the epoch of an RFC 3339 UTC time with up to 6 fractional digits. */
  function micros(text) {
    if (typeof text !== "string" || text.length < 19) return null;
    const ms = Date.parse(text.slice(0, 19) + "Z");
    if (Number.isNaN(ms)) return null;
    const frac = /^\.(\d{1,6})/.exec(text.slice(19));
    return ms * 1000 + (frac ? parseInt(frac[1].padEnd(6, "0"), 10) : 0);
  }

  const nodes = [];
  const root = {
    kind: "run", name: run.workflow, label: "run " + run.workflow, status: run.status,
    error: run.error || null, start: micros(run.start_time), end: micros(run.end_time),
    depth: -1, parent: null, agent: null, thread: "", data: run, children: [], index: -1,
  };

  function labelOf(kind, rec) {
    switch (kind) {
      case "iterations": return "iteration " + rec.iteration_number;
      case "interactions": return rec.agent_name;
      case "actions": return rec.action_name;
      default: return "event " + rec.event_type;
    }
  }

  function build(parent, rec) {
    for (const group of GROUPS) {
      const list = Array.isArray(rec[group]) ? rec[group] : [];
      for (const child of list) {
        const kind = group.slice(0, -1);
        const start = micros(kind === "event" ? child.timestamp : child.start_time);
        const node = {
          kind: kind,
          name: kind === "iteration" ? String(child.iteration_number) :
            kind === "interaction" ? child.agent_name :
              kind === "action" ? child.action_name : child.event_type,
          label: labelOf(group, child),
          status: kind === "event" ? null : child.status,
          error: child.error || null,
          start: start,
          end: kind === "event" ? start : micros(child.end_time),
          depth: parent.depth + 1,
          parent: parent,
          agent: kind === "interaction" ? child.agent_name : parent.agent,
          thread: child.thread || (parent.thread || ""),
          data: child,
          children: [],
          index: nodes.length,
        };
        nodes.push(node);
        parent.children.push(node);
        build(node, child);
      }
    }
  }
  build(root, run);

  const runStart = root.start !== null ? root.start :
    Math.min(...nodes.map((n) => n.start).filter((s) => s !== null));
  let runEnd = root.end !== null ? root.end : runStart;
  for (const n of nodes) {
    if (n.end !== null && n.end > runEnd) runEnd = n.end;
    if (n.start !== null && n.start > runEnd) runEnd = n.start;
  }
  if (!(runEnd > runStart)) runEnd = runStart + 1;

  function isFailure(n) {
    return n.status !== null && n.status !== "ok";
  }

  function pathOf(n) {
    const parts = [];
    for (let p = n; p && p.kind !== "run"; p = p.parent) parts.push(p.label);
    return parts.reverse().join(" › ");
  }

  function duration(us) {
    if (us === null || us === undefined) return "";
    if (us < 1000) return Math.round(us) + "µs";
    if (us < 1e6) return (us / 1e3).toFixed(1) + "ms";
    if (us < 6e7) return (us / 1e6).toFixed(2) + "s";
    const s = Math.floor(us / 1e6);
    return Math.floor(s / 60) + "m" + String(s % 60).padStart(2, "0") + "s";
  }

  function addUsage(sum, u) {
    if (!u) return sum;
    const out = Object.assign({}, sum || {});
    for (const k of ["input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens"]) {
      if (typeof u[k] === "number") out[k] = (out[k] || 0) + u[k];
    }
    if (typeof u.cost_usd === "number") out.cost_usd = (out.cost_usd || 0) + u.cost_usd;
    return out;
  }

  /** A record's usage: its usage_total, else the sum of its own and its actions' usage. */
  function usageOf(n) {
    if (n.data.usage_total) return n.data.usage_total;
    let sum = n.kind === "action" ? addUsage(null, n.data.usage) : null;
    for (const c of n.children) {
      if (c.kind !== "event") sum = addUsage(sum, usageOf(c));
    }
    return sum;
  }

  function tokens(u) {
    return u ? (u.input_tokens || 0) + (u.output_tokens || 0) : 0;
  }

  function usageText(u) {
    if (!u) return "";
    const parts = [];
    if (tokens(u) > 0) parts.push(tokens(u).toLocaleString("en-US") + " tok");
    if (typeof u.cost_usd === "number") parts.push("$" + u.cost_usd.toFixed(u.cost_usd >= 1 ? 2 : 4));
    return parts.join(" ");
  }

  // ---------------------------------------------------------------------------------------
  // Small DOM helpers: text only
  // ---------------------------------------------------------------------------------------

  function el(tag, className, text) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  function markEl(status) {
    return el("span", "mark s-" + (MARKS[status] ? status : "unknown"), MARKS[status] || "?");
  }

  const FOLD_LINES = 40;
  const FOLD_CHARS = 4000;

  /** A value as pretty JSON in a <pre>, folded when long, with a button to show it all. */
  function jsonBlock(value) {
    const text = typeof value === "string" ? value : JSON.stringify(value, null, 2);
    const box = el("div", "json");
    const pre = el("pre");
    const lines = text.split("\n");
    const long = lines.length > FOLD_LINES || text.length > FOLD_CHARS;
    if (!long) {
      pre.textContent = text;
      box.appendChild(pre);
      return box;
    }
    let cut = lines.slice(0, FOLD_LINES).join("\n");
    if (cut.length > FOLD_CHARS) cut = cut.slice(0, FOLD_CHARS);
    pre.textContent = cut + "\n…";
    const more = el("button", "fold", "show all (" + lines.length + " lines, " + text.length + " characters)");
    more.type = "button";
    more.addEventListener("click", () => {
      pre.textContent = text;
      more.remove();
    });
    box.appendChild(pre);
    box.appendChild(more);
    return box;
  }

  // ---------------------------------------------------------------------------------------
  // Summary and failures
  // ---------------------------------------------------------------------------------------

  const failures = nodes.filter(isFailure);
  const runUsage = run.usage_total || usageOf(root);

  function renderSummary() {
    const header = document.getElementById("summary");
    const title = el("h1");
    title.appendChild(markEl(run.status));
    title.appendChild(el("span", "workflow", run.workflow));
    header.appendChild(title);
    const facts = el("dl", "facts");
    const counts = { iteration: 0, interaction: 0, action: 0, event: 0 };
    for (const n of nodes) counts[n.kind] += 1;
    const add = (k, v, cls) => {
      const box = el("div", cls || "");
      box.appendChild(el("dt", "", k));
      box.appendChild(el("dd", "", v));
      facts.appendChild(box);
    };
    add("status", run.status, isFailure(root) ? "bad" : "");
    add("run", run.run_id);
    add("started", String(run.start_time).replace("T", " ").replace("Z", " UTC"));
    add("duration", duration(runEnd - runStart));
    const some = (n, what) => n + " " + what + (n === 1 ? "" : "s");
    add("records", some(counts.iteration, "iteration") + " · " + some(counts.interaction, "interaction") +
      " · " + some(counts.action, "action") + " · " + some(counts.event, "event"));
    add("failures", String(failures.length), failures.length ? "bad" : "");
    add("tokens", tokens(runUsage) ? tokens(runUsage).toLocaleString("en-US") +
      " (" + (runUsage.input_tokens || 0).toLocaleString("en-US") + " in, " +
      (runUsage.output_tokens || 0).toLocaleString("en-US") + " out)" : "—");
    add("cost", runUsage && typeof runUsage.cost_usd === "number" ? "$" + runUsage.cost_usd.toFixed(4) : "—");
    header.appendChild(facts);

    let byModel = run.usage_by_model;
    if (!byModel) {
      byModel = {};
      for (const n of nodes) {
        if (n.kind === "action" && n.data.model && n.data.usage) {
          byModel[n.data.model] = addUsage(byModel[n.data.model], n.data.usage);
        }
      }
    }
    const models = Object.keys(byModel);
    if (models.length) {
      const table = el("table", "models");
      const head = el("tr");
      for (const h of ["model", "input tokens", "output tokens", "cost"]) head.appendChild(el("th", "", h));
      table.appendChild(head);
      for (const m of models) {
        const u = byModel[m] || {};
        const row = el("tr");
        row.appendChild(el("td", "", m));
        row.appendChild(el("td", "num", (u.input_tokens || 0).toLocaleString("en-US")));
        row.appendChild(el("td", "num", (u.output_tokens || 0).toLocaleString("en-US")));
        row.appendChild(el("td", "num", typeof u.cost_usd === "number" ? "$" + u.cost_usd.toFixed(4) : "—"));
        table.appendChild(row);
      }
      header.appendChild(table);
    }
  }

  function renderFailures() {
    const box = document.getElementById("failures");
    if (!failures.length) return;
    box.hidden = false;
    box.appendChild(el("h2", "", failures.length === 1 ? "1 failure" : failures.length + " failures"));
    const list = el("ol");
    for (const n of failures) {
      const item = el("li");
      const link = el("button", "link");
      link.type = "button";
      link.appendChild(markEl(n.status));
      link.appendChild(el("span", "path", pathOf(n)));
      link.appendChild(el("span", "status", n.status));
      if (n.error) link.appendChild(el("span", "error", n.error));
      link.addEventListener("click", () => select(n));
      item.appendChild(link);
      list.appendChild(item);
    }
    box.appendChild(list);
  }

  // ---------------------------------------------------------------------------------------
  // Tree
  // ---------------------------------------------------------------------------------------

  const rows = new Map(); // node -> {row, kids, toggle}

  function renderTree() {
    const tree = document.getElementById("tree");
    for (const n of root.children) tree.appendChild(treeNode(n));
  }

  function treeNode(n) {
    const box = el("div", "node k-" + n.kind + (isFailure(n) ? " failed" : ""));
    const row = el("div", "row");
    row.style.paddingLeft = (n.depth * 16 + 4) + "px";
    const toggle = el("button", "toggle", n.children.length ? "▾" : "");
    toggle.type = "button";
    if (!n.children.length) toggle.disabled = true;
    row.appendChild(toggle);
    if (n.kind === "event") {
      row.appendChild(el("span", "mark ev", "·"));
      let text = n.label;
      if (n.data.level) text += " " + n.data.level + " " + (n.data.logger || "");
      if (typeof n.data.message === "string") text += ": " + n.data.message;
      row.appendChild(el("span", "name", text));
    } else {
      row.appendChild(markEl(n.status));
      row.appendChild(el("span", "kind", n.kind));
      row.appendChild(el("span", "name", n.kind === "iteration" ? n.name : n.label));
      if (n.data.model) row.appendChild(el("span", "model", n.data.model));
      row.appendChild(el("span", "dur", n.data.duration_us === null ? "never closed" : duration(n.data.duration_us)));
      const u = usageText(usageOf(n));
      if (u) row.appendChild(el("span", "usage", u));
      if (n.error) row.appendChild(el("span", "error", n.error));
    }
    box.appendChild(row);
    const kids = el("div", "kids");
    for (const c of n.children) kids.appendChild(treeNode(c));
    box.appendChild(kids);
    const open = n.depth < 3;
    kids.hidden = !open;
    toggle.textContent = n.children.length ? (open ? "▾" : "▸") : "";
    toggle.addEventListener("click", (e) => {
      e.stopPropagation();
      setOpen(n, kids.hidden);
    });
    row.addEventListener("click", () => select(n));
    rows.set(n, { row: row, kids: kids, toggle: toggle });
    return box;
  }

  function setOpen(n, open) {
    const r = rows.get(n);
    if (!r || !n.children.length) return;
    r.kids.hidden = !open;
    r.toggle.textContent = open ? "▾" : "▸";
  }

  // ---------------------------------------------------------------------------------------
  // Timeline: a lane per agent, split per thread where an agent's threads overlap
  // ---------------------------------------------------------------------------------------

  const ROW_PX = 20;
  const lanes = [];
  const bars = new Map(); // node -> bar element

  function laneKeyOf(n) {
    if (n.kind === "iteration") return "iterations";
    return n.agent || "(no agent)";
  }

  function buildLanes() {
    const byAgent = new Map();
    for (const n of nodes) {
      if (n.kind === "event" || n.start === null) continue;
      const key = laneKeyOf(n);
      if (!byAgent.has(key)) byAgent.set(key, []);
      byAgent.get(key).push(n);
    }
    for (const [agent, list] of byAgent) {
      const threads = new Map();
      for (const n of list) {
        if (!threads.has(n.thread)) threads.set(n.thread, []);
        threads.get(n.thread).push(n);
      }
      // Threads whose work overlaps get lanes of their own; threads that take turns share one.
      const groups = [];
      const spans = [...threads].map(([thread, ns]) => ({
        thread: thread, nodes: ns,
        from: Math.min(...ns.map((n) => n.start)), to: Math.max(...ns.map(endOf)),
      })).sort((a, b) => a.from - b.from);
      for (const span of spans) {
        let g = groups.find((g) => g.spans.every((o) => span.to <= o.from || o.to <= span.from));
        if (!g) {
          g = { spans: [] };
          groups.push(g);
        }
        g.spans.push(span);
      }
      for (const g of groups) {
        const name = groups.length === 1 ? agent : agent + " · " + g.spans.map((s) => s.thread).join(", ");
        lanes.push(packLane(name, g.spans.flatMap((s) => s.nodes)));
      }
    }
  }

  function endOf(n) {
    return n.end !== null ? n.end : runEnd;
  }

  /** Places each record of a lane on the first row where it fits (parents before children). */
  function packLane(name, list) {
    const sorted = list.slice().sort((a, b) => a.start - b.start || a.depth - b.depth);
    const rowEnds = [];
    const placed = [];
    for (const n of sorted) {
      let r = rowEnds.findIndex((end) => end <= n.start);
      if (r < 0) {
        r = rowEnds.length;
        rowEnds.push(0);
      }
      rowEnds[r] = Math.max(endOf(n), n.start + 1);
      placed.push({ node: n, row: r });
    }
    return { name: name, rows: Math.max(rowEnds.length, 1), placed: placed };
  }

  let view = { from: runStart, to: runEnd };

  function renderTimeline() {
    const box = document.getElementById("timeline");
    box.textContent = "";
    const axis = el("div", "axis");
    axis.appendChild(el("div", "lane-label", ""));
    const ticks = el("div", "ticks");
    axis.appendChild(ticks);
    box.appendChild(axis);
    for (const lane of lanes) {
      const laneEl = el("div", "lane");
      const label = el("div", "lane-label", lane.name);
      label.title = lane.name;
      laneEl.appendChild(label);
      const track = el("div", "track");
      track.style.height = lane.rows * ROW_PX + "px";
      for (const p of lane.placed) {
        const n = p.node;
        const bar = el("div", "bar k-" + n.kind + " s-" + (MARKS[n.status] ? n.status : "unknown"));
        bar.style.top = p.row * ROW_PX + 2 + "px";
        bar.appendChild(el("span", "bar-text", (n.kind === "iteration" ? n.label : n.name)));
        bar.title = pathOf(n) + " — " + n.status + (n.end !== null ? ", " + duration(n.end - n.start) : ", never closed") +
          (n.error ? "\n" + n.error : "");
        bar.addEventListener("click", (e) => {
          e.stopPropagation();
          select(n);
        });
        bars.set(n, bar);
        track.appendChild(bar);
      }
      laneEl.appendChild(track);
      box.appendChild(laneEl);
    }
    layout();
  }

  /** Positions the bars and the ticks for the current view. */
  function layout() {
    const track = document.querySelector("#timeline .track") || document.querySelector("#timeline .ticks");
    const width = Math.max(track ? track.clientWidth : 0, 200);
    const span = view.to - view.from;
    const x = (t) => ((t - view.from) / span) * width;
    for (const [n, bar] of bars) {
      const left = x(n.start);
      const right = x(endOf(n));
      const visible = right >= -2 && left <= width + 2;
      bar.hidden = !visible;
      if (!visible) continue;
      const l = Math.max(left, -2);
      const r = Math.min(right, width + 2);
      bar.style.left = l + "px";
      bar.style.width = Math.max(r - l, 2) + "px";
    }
    const ticks = document.querySelector("#timeline .ticks");
    ticks.textContent = "";
    const step = niceStep(span / 6);
    const first = Math.ceil((view.from - runStart) / step) * step;
    for (let t = first; runStart + t <= view.to; t += step) {
      const tick = el("span", "tick", "+" + duration(t));
      tick.style.left = x(runStart + t) + "px";
      ticks.appendChild(tick);
    }
  }

  function niceStep(raw) {
    const pow = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1))));
    for (const m of [1, 2, 5, 10]) if (m * pow >= raw) return m * pow;
    return 10 * pow;
  }

  function zoom(factor, at) {
    const span = view.to - view.from;
    const center = at === undefined ? view.from + span / 2 : at;
    const next = Math.max(span * factor, 10);
    const ratio = (center - view.from) / span;
    view = { from: center - next * ratio, to: center - next * ratio + next };
    layout();
  }

  function wireTimeline() {
    const box = document.getElementById("timeline");
    document.getElementById("zoom-in").addEventListener("click", () => zoom(0.5));
    document.getElementById("zoom-out").addEventListener("click", () => zoom(2));
    document.getElementById("zoom-reset").addEventListener("click", () => {
      view = { from: runStart, to: runEnd };
      layout();
    });
    const timeAt = (clientX) => {
      const track = box.querySelector(".ticks");
      const rect = track.getBoundingClientRect();
      return view.from + ((clientX - rect.left) / Math.max(rect.width, 1)) * (view.to - view.from);
    };
    box.addEventListener("wheel", (e) => {
      e.preventDefault();
      zoom(e.deltaY < 0 ? 0.8 : 1.25, timeAt(e.clientX));
    }, { passive: false });
    let drag = null;
    box.addEventListener("mousedown", (e) => {
      drag = { x: e.clientX, view: view };
      box.classList.add("dragging");
    });
    window.addEventListener("mousemove", (e) => {
      if (!drag) return;
      const track = box.querySelector(".ticks");
      const dt = ((e.clientX - drag.x) / Math.max(track.clientWidth, 1)) * (drag.view.to - drag.view.from);
      view = { from: drag.view.from - dt, to: drag.view.to - dt };
      layout();
    });
    window.addEventListener("mouseup", () => {
      drag = null;
      box.classList.remove("dragging");
    });
    window.addEventListener("resize", layout);
  }

  // ---------------------------------------------------------------------------------------
  // Details
  // ---------------------------------------------------------------------------------------

  let selected = null;

  function select(n) {
    if (selected) {
      const r = rows.get(selected);
      if (r) r.row.classList.remove("selected");
      const b = bars.get(selected);
      if (b) b.classList.remove("selected");
    }
    selected = n;
    for (let p = n.parent; p && p.kind !== "run"; p = p.parent) setOpen(p, true);
    const r = rows.get(n);
    if (r) {
      r.row.classList.add("selected");
      if (r.row.scrollIntoView) r.row.scrollIntoView({ block: "nearest" });
    }
    const b = bars.get(n);
    if (b) b.classList.add("selected");
    renderDetails(n);
    if (n.data.id !== undefined) {
      try {
        history.replaceState(null, "", "#record-" + encodeURIComponent(n.data.id));
      } catch (e) {
        // Some browsers refuse history changes on file:// pages; the link is a nicety.
      }
    }
  }

  function renderDetails(n) {
    const pane = document.getElementById("details");
    pane.textContent = "";
    const title = el("h2");
    if (n.status) title.appendChild(markEl(n.status));
    title.appendChild(el("span", "", n.kind + " " + (n.kind === "iteration" ? n.name : n.label)));
    pane.appendChild(title);
    pane.appendChild(el("p", "path", pathOf(n)));
    const facts = el("dl", "facts");
    const fact = (k, v) => {
      if (v === undefined || v === null || v === "") return;
      const box = el("div");
      box.appendChild(el("dt", "", k));
      box.appendChild(el("dd", "", v));
      facts.appendChild(box);
    };
    const d = n.data;
    fact("status", n.status);
    fact("id", d.id);
    fact("agent", n.agent);
    fact("thread", d.thread);
    fact("model", d.model);
    if (n.kind === "event") {
      fact("time", d.timestamp);
      fact("level", d.level);
      fact("logger", d.logger);
    } else {
      fact("start", d.start_time);
      fact("end", d.end_time === null ? "never closed" : d.end_time);
      fact("duration", d.duration_us === null ? "" : duration(d.duration_us));
      fact("usage", usageText(usageOf(n)));
    }
    pane.appendChild(facts);
    const section = (name, value, cls) => {
      pane.appendChild(el("h3", cls || "", name));
      pane.appendChild(jsonBlock(value));
    };
    if (n.error) section("Error", n.error, "bad");
    if (n.kind === "event") {
      if (d.message !== undefined) section("Message", d.message);
      section("Data", d.data === undefined ? null : d.data);
      return;
    }
    if (n.kind === "interaction") {
      section("Input", d.input === undefined ? null : d.input);
      section("Output", d.output === undefined ? null : d.output);
    }
    if (n.kind === "action") {
      section("Input", d.input_data === undefined ? null : d.input_data);
      section("Output", d.output_data === undefined ? null : d.output_data);
      if (d.metadata && Object.keys(d.metadata).length) section("Metadata", d.metadata);
      if (d.usage) section("Usage", d.usage);
    }
    const events = n.children.filter((c) => c.kind === "event");
    if (events.length) {
      pane.appendChild(el("h3", "", "Events (" + events.length + ")"));
      const list = el("ul", "events");
      for (const e of events) {
        const item = el("li");
        let head = String(e.data.timestamp).slice(11, 26) + " " + e.data.event_type;
        if (e.data.level) head += " " + e.data.level + " " + (e.data.logger || "");
        if (typeof e.data.message === "string") head += ": " + e.data.message;
        item.appendChild(el("div", "event-head", head));
        if (e.data.data !== null && e.data.data !== undefined) item.appendChild(jsonBlock(e.data.data));
        list.appendChild(item);
      }
      pane.appendChild(list);
    }
  }

  // ---------------------------------------------------------------------------------------

  renderSummary();
  renderFailures();
  buildLanes();
  renderTimeline();
  renderTree();
  wireTimeline();
  const wanted = /^#record-(.+)$/.exec(location.hash);
  const fromHash = wanted ? nodes.find((n) => String(n.data.id) === decodeURIComponent(wanted[1])) : null;
  const first = fromHash || failures[0];
  if (first) select(first);
  document.body.dataset.rendered = String(nodes.length);
})();
