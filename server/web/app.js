/* lana live registry: the address space as a tree (loaded a page at a time, never whole),
 * zones and hosts, a search box, and the live feed (/api/events, Server-Sent Events). Plain
 * JavaScript, no library; everything it shows is set as text, never parsed as HTML. */
"use strict";

const PAGE = 100;        /* rows per request */
const FEED_MAX = 60;     /* items the feed keeps */

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

async function getJSON(path) {
  const r = await fetch(path, {cache: "no-store", headers: {Accept: "application/json"}});
  let body = null;
  try { body = await r.json(); } catch (e) { body = null; }
  if (!r.ok) throw new Error((body && body.error) || (r.status + " " + r.statusText));
  return body;
}

function q(params) {
  return Object.entries(params).filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => k + "=" + encodeURIComponent(v)).join("&");
}

/* ---- prefixes, exactly (BigInt) ---- */

function parseAddr(s) {
  if (!s.includes(":")) {
    const p = s.split(".").map(Number);
    if (p.length !== 4 || p.some((x) => !(x >= 0 && x <= 255))) return null;
    return {fam: 4, bits: 32, v: BigInt(((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3])};
  }
  let tail = [];
  const dot = s.lastIndexOf(".");
  if (dot >= 0) {                       /* an IPv4 tail: ::ffff:198.18.0.1 */
    const c = s.lastIndexOf(":");
    const v4 = parseAddr(s.slice(c + 1));
    if (!v4) return null;
    tail = [Number(v4.v >> 16n), Number(v4.v & 0xffffn)];
    s = s.slice(0, c + 1);
    if (!s.endsWith("::")) s = s.slice(0, -1);
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const part = (h) => (h === "" ? [] : h.split(":").map((x) => parseInt(x, 16)));
  const head = part(halves[0]);
  const rest = halves.length === 2 ? part(halves[1]) : [];
  const groups = halves.length === 2
    ? head.concat(new Array(8 - head.length - rest.length - tail.length).fill(0), rest, tail)
    : head.concat(tail);
  if (groups.length !== 8 || groups.some((g) => !(g >= 0 && g <= 0xffff))) return null;
  let v = 0n;
  for (const g of groups) v = (v << 16n) | BigInt(g);
  return {fam: 6, bits: 128, v};
}

function parsePrefix(s) {
  const [a, l] = String(s).split("/");
  const p = parseAddr(a);
  if (!p) return null;
  p.plen = l === undefined ? p.bits : Number(l);
  return p;
}

function contains(outer, inner) {
  if (!outer || !inner || outer.fam !== inner.fam || outer.plen > inner.plen) return false;
  const shift = BigInt(outer.bits - outer.plen);
  return (outer.v >> shift) === (inner.v >> shift);
}

/* ---- numbers for people ---- */

function pctText(b) {
  if (b.used === "0") return "0%";
  const pct = b.ppm / 10000;
  if (pct < 0.01) return "<0.01%";
  return (pct < 10 ? pct.toFixed(2) : pct.toFixed(1)) + "%";
}

function countText(n, one, many) {
  return n === 1 ? "1 " + one : n.toLocaleString("en") + " " + many;
}

function clock(ms) {
  const d = new Date(ms);
  return d.toLocaleTimeString("en-GB", {hour12: false});
}

/* ---- the address tree ---- */

const tree = {
  root: null,            /* the container of the pools */
  nodes: new Map(),      /* prefix -> node, for every row on the page */
};

/* A row of the tree: its element, its children's container, what is loaded. */
function makeNode(data) {
  const node = {
    prefix: data.prefix, parsed: parsePrefix(data.prefix), data,
    elem: el("div", "node"), row: el("div", "row"), kids: null, expanded: false, shown: 0,
  };
  node.elem.dataset.prefix = data.prefix;
  node.elem.setAttribute("role", "treeitem");
  node.elem.appendChild(node.row);
  node.row.addEventListener("click", (ev) => {
    if (ev.target.closest("button.more")) return;
    if (node.data.children > 0) toggle(node);
  });
  tree.nodes.set(node.prefix, node);
  drawRow(node);
  return node;
}

function drawRow(node) {
  const b = node.data;
  const row = node.row;
  row.replaceChildren();
  const t = el("button", "toggle", b.children > 0 ? (node.expanded ? "▾" : "▸") : "");
  t.type = "button";
  t.disabled = !(b.children > 0);
  t.setAttribute("aria-label", node.expanded ? "collapse" : "expand");
  row.appendChild(t);
  row.appendChild(el("span", "prefix", b.prefix));
  row.appendChild(el("span", "pill " + b.status, b.status));
  const who = el("span", "who", b.holder || b.description || "");
  if (b.maintainer) who.appendChild(el("span", "mnt", "mnt " + b.maintainer));
  who.title = [b.holder, b.description].filter(Boolean).join(" — ");
  row.appendChild(who);
  const use = el("span", "use");
  const bar = el("span", "bar");
  const fill = el("span", "fill");
  const pct = b.ppm / 10000;
  fill.classList.add(pct >= 80 ? "high" : pct >= 50 ? "mid" : "low");
  fill.style.width = Math.min(100, pct) + "%";
  bar.appendChild(fill);
  bar.title = b.used + " of " + b.size + " addresses in use";
  use.appendChild(bar);
  use.appendChild(el("span", "pct", pctText(b)));
  row.appendChild(use);
  row.appendChild(el("span", "count", b.children > 0 ? countText(b.children, "block", "blocks") : ""));
}

/* Forgets node and everything below it. */
function dropNode(node) {
  if (node.kids) for (const c of node.kids.querySelectorAll(".node")) tree.nodes.delete(c.dataset.prefix);
  tree.nodes.delete(node.prefix);
  node.elem.remove();
}

/* Puts the rows of list into container in order: rows already shown are updated in place
 * (their subtrees stay open), new ones are made (marked fresh when mark). With complete, list
 * is the whole list from the top and the rows no longer in it go; without, list is a further
 * page, put after the rows there. */
function reconcile(container, list, complete, mark) {
  const keep = new Set(list.map((b) => b.prefix));
  if (complete) {
    for (const child of Array.from(container.children)) {
      if (child.classList.contains("node") && !keep.has(child.dataset.prefix)) {
        const n = tree.nodes.get(child.dataset.prefix);
        if (n) dropNode(n); else child.remove();
      }
    }
  }
  for (const m of container.querySelectorAll(":scope > .more")) m.remove();
  let before = complete ? container.firstChild : null;
  for (const b of list) {
    let node = tree.nodes.get(b.prefix);
    if (node && node.elem.parentNode === container) {
      node.data = b;
      drawRow(node);
    } else {
      node = makeNode(b);
      if (mark) node.elem.classList.add("fresh");
    }
    if (node.elem !== before) container.insertBefore(node.elem, before);
    before = complete ? node.elem.nextSibling : null;
  }
}

function moreButton(node, after) {
  const m = el("button", "more", "Show more…");
  m.type = "button";
  m.addEventListener("click", async () => {
    m.disabled = true;
    try {
      const page = await getJSON("/api/tree?" + q({block: node.prefix, after, limit: PAGE}));
      m.remove();
      appendPage(node, page, false);
    } catch (e) {
      m.disabled = false;
      m.textContent = "Show more… (" + e.message + ")";
    }
  });
  return m;
}

function appendPage(node, page, mark) {
  reconcile(node.kids, page.children, false, mark);
  node.shown += page.children.length;
  if (page.more && page.children.length) {
    node.kids.appendChild(moreButton(node, page.children[page.children.length - 1].prefix));
  }
}

/* Loads (again) the children node shows: the first page, or as many rows as it showed. */
async function loadChildren(node, mark) {
  const limit = Math.min(1000, Math.max(PAGE, node.shown));
  const page = await getJSON("/api/tree?" + q({block: node.prefix, limit}));
  if (page.block) { node.data = page.block; }
  if (!node.kids) {
    node.kids = el("div", "kids");
    node.kids.setAttribute("role", "group");
    node.elem.appendChild(node.kids);
  }
  node.expanded = true;
  drawRow(node);
  reconcile(node.kids, page.children, true, mark);
  node.shown = page.children.length;
  if (page.more && page.children.length) {
    node.kids.appendChild(moreButton(node, page.children[page.children.length - 1].prefix));
  }
}

async function toggle(node) {
  if (node.expanded) {
    node.expanded = false;
    node.closed = true;            /* by hand: a change below does not open it again */
    if (node.kids) {
      for (const c of node.kids.querySelectorAll(".node")) tree.nodes.delete(c.dataset.prefix);
      node.kids.remove();
      node.kids = null;
    }
    node.shown = 0;
    drawRow(node);
    return;
  }
  try {
    await loadChildren(node, false);
  } catch (e) {
    showError(tree.root, e);
  }
}

async function loadPools(mark) {
  const page = await getJSON("/api/tree");
  reconcile(tree.root, page.children, true, mark);
  for (const m of tree.root.querySelectorAll(":scope > .error")) m.remove();
}

function showError(where, e) {
  const p = el("p", "error", "Could not load: " + e.message);
  where.appendChild(p);
  setTimeout(() => p.remove(), 8000);
}

/* The deepest row on the page whose block contains t (t itself when it is shown). */
function deepest(t) {
  let best = null;
  for (const node of tree.nodes.values()) {
    if (contains(node.parsed, t) && (!best || node.parsed.plen > best.parsed.plen)) best = node;
  }
  return best;
}

/* Opens the rows down to a new block so that it shows, unless a row on the way was closed
 * by hand (or the block is beyond the pages loaded of a long list: the counts say it). */
async function reveal(t) {
  for (let i = 0; i < 32; i++) {
    const node = deepest(t);
    if (node && node.parsed.plen === t.plen) {
      node.elem.classList.remove("fresh");
      void node.elem.offsetWidth;                 /* restarts the highlight */
      node.elem.classList.add("fresh");
      return;
    }
    if (!node || node.expanded || node.closed) return;
    await loadChildren(node, false);
  }
}

/* Changes to blocks: the rows that contain one are refreshed (an open row reloads its list,
 * so a new block appears and a released one goes), all at once, then new blocks are
 * revealed. A burst touches many rows: past 50 changes every open row is reloaded instead. */
async function treeChanged(changes) {
  const targets = changes.map((c) => c.parsed);
  const hit = [];
  for (const node of tree.nodes.values()) {
    if (targets.length > 50 ? node.expanded : targets.some((t) => contains(node.parsed, t))) {
      hit.push(node);
    }
  }
  /* a pool added or removed, or a change outside every pool shown: the pools' list too */
  const pools = hit.filter((n) => n.elem.parentNode === tree.root);
  if (changes.some((c) => !pools.some((n) => contains(n.parsed, c.parsed)) ||
                          pools.some((n) => n.prefix === c.prefix))) {
    await loadPools(true);
  }
  /* the closed rows a new block lies in, at the deepest shown: opened in the same round */
  const opening = new Set();
  for (const c of changes.slice(-20)) {
    const node = c.gone ? null : deepest(c.parsed);
    if (node && node.parsed.plen < c.parsed.plen && !node.expanded && !node.closed) opening.add(node);
  }
  await Promise.all(hit.map(async (node) => {
    if (!tree.nodes.has(node.prefix)) return;           /* gone with its parent */
    const pool = node.elem.parentNode === tree.root;
    if (node.expanded || (pool && !node.closed) || opening.has(node)) {
      await loadChildren(node, !opening.has(node));     /* pools stay open unless closed */
    } else {
      const page = await getJSON("/api/tree?" + q({block: node.prefix, limit: 1}));
      if (page.block && tree.nodes.get(node.prefix) === node) { node.data = page.block; drawRow(node); }
    }
  }));
  for (const c of changes.slice(-20)) if (!c.gone) await reveal(c.parsed);
}

/* ---- zones and hosts ---- */

const zones = {
  open: new Map(),       /* zone name -> its hosts' list element */
};

function zoneRow(z) {
  const wrap = el("div", "zone");
  wrap.dataset.zone = z.name;
  const row = el("div", "zrow");
  row.appendChild(el("span", "zname", z.name));
  row.appendChild(el("span", "zmeta",
    countText(z.hosts, "host", "hosts") + " · " + countText(z.records, "record", "records") +
    (z.registrant ? " · " + z.registrant : "")));
  /* its wrapper at the time of the click: a refresh moves this row into the one shown */
  row.addEventListener("click", () => toggleZone(row.parentNode, z.name));
  wrap.appendChild(row);
  return wrap;
}

async function loadHosts(wrap, name, after, list) {
  const page = await getJSON("/api/hosts?" + q({zone: name, after, limit: PAGE}));
  for (const h of page.hosts) {
    const li = el("li");
    li.dataset.host = h.name;
    li.appendChild(el("span", "hname", h.name));
    if (h.v4) li.appendChild(el("span", "addr", h.v4));
    if (h.v6) li.appendChild(el("span", "addr", h.v6));
    list.appendChild(li);
  }
  if (page.more && page.hosts.length) {
    const li = el("li");
    const m = el("button", "more", "Show more…");
    m.type = "button";
    m.addEventListener("click", async () => {
      li.remove();
      await loadHosts(wrap, name, page.hosts[page.hosts.length - 1].name, list).catch((e) => showError(list, e));
    });
    li.appendChild(m);
    list.appendChild(li);
  }
}

async function toggleZone(wrap, name, reload) {
  const old = wrap.querySelector(":scope > .hosts");
  if (old && !reload) {
    old.remove();
    zones.open.delete(name);
    return;
  }
  const list = el("ul", "hosts");
  try {
    await loadHosts(wrap, name, undefined, list);
    if (old) old.replaceWith(list); else wrap.appendChild(list);
    zones.open.set(name, list);
  } catch (e) {
    showError(wrap, e);
  }
}

async function loadZones() {
  const fwd = [], rev = [];
  let after;
  for (let i = 0; i < 10; i++) {               /* at most 10 pages here; the rest on demand */
    const page = await getJSON("/api/zones?" + q({after, limit: 1000}));
    for (const z of page.zones) (z.reverse ? rev : fwd).push(z);
    if (!page.more || !page.zones.length) break;
    after = page.zones[page.zones.length - 1].name;
  }
  const fill = (box, list) => {
    const wanted = new Set(list.map((z) => z.name));
    for (const w of Array.from(box.children)) {
      if (!wanted.has(w.dataset.zone)) { zones.open.delete(w.dataset.zone); w.remove(); }
    }
    let before = box.firstChild;
    for (const z of list) {
      let w = box.querySelector(":scope > [data-zone=\"" + CSS.escape(z.name) + "\"]");
      const row = zoneRow(z);
      if (w) {
        w.replaceChild(row.firstChild, w.firstChild);
      } else {
        w = row;
        w.classList.add("fresh");
      }
      if (w !== before) box.insertBefore(w, before);
      before = w.nextSibling;
    }
  };
  fill(document.getElementById("zones"), fwd);
  fill(document.getElementById("rzones"), rev);
  document.getElementById("reverse-count").textContent = "(" + rev.length + ")";
  if (!fwd.length) {
    document.getElementById("zones").replaceChildren(el("p", "muted", "No zones yet."));
  }
}

async function zonesChanged() {
  await loadZones();
  for (const [name] of zones.open) {
    const w = document.querySelector("[data-zone=\"" + CSS.escape(name) + "\"]");
    if (w) await toggleZone(w, name, true);
  }
}

/* ---- the live feed ---- */

const VERBS = {add: "add", alloc: "add", allocate: "add", assign: "add", reserve: "add",
  bind: "add", del: "del", release: "del", unbind: "del", update: "upd"};

function feedItem(ev, fresh) {
  const li = el("li", fresh ? "fresh" : "");
  li.dataset.id = ev.id;
  li.dataset.object = ev.object;
  const verb = ev.action.split(".")[1] || ev.action;
  li.appendChild(el("span", "time", clock(ev.ts)));
  li.appendChild(el("span", "what " + (VERBS[verb] || "upd"), ev.action));
  li.appendChild(el("span", "obj", ev.object));
  const f = ev.fields || {};
  const bits = [];
  if (f.status) bits.push(f.status);
  if (f.holder) bits.push(f.holder);
  if (f.description && f.description !== f.holder) bits.push(f.description);
  if (f.v4) bits.push(f.v4);
  if (f.v6) bits.push(f.v6);
  if (f.type) bits.push(f.type + " " + (f.data || ""));
  if (f.maintainer) bits.push("mnt " + f.maintainer);
  if (bits.length) li.appendChild(el("span", "detail", bits.join(" · ")));
  return li;
}

const pending = {blocks: new Map(), names: false, timer: 0, busy: false, last: -1e9};

/* Changes are taken together: a refresh starts 20 ms after the first change, and no sooner
 * than 250 ms after the previous one, so a busy class costs a few requests a second. */
function schedule() {
  if (pending.timer) return;
  const wait = Math.max(20, 250 - (performance.now() - pending.last));
  pending.timer = setTimeout(flush, wait);
}

async function flush() {
  pending.timer = 0;
  if (pending.busy) { schedule(); return; }
  pending.busy = true;
  pending.last = performance.now();
  const changes = Array.from(pending.blocks.values());
  const names = pending.names;
  pending.blocks.clear();
  pending.names = false;
  try {
    if (changes.length) await treeChanged(changes);
    if (names) await zonesChanged();
  } catch (e) {
    showError(tree.root, e);
  } finally {
    pending.busy = false;
  }
}

function blockChanged(prefix, gone) {
  const parsed = parsePrefix(prefix);
  if (!parsed) return;
  pending.blocks.delete(prefix);                 /* the last word on it, in order */
  pending.blocks.set(prefix, {prefix, parsed, gone: !!gone});
}

/* An event into the feed: false when it was there already. */
function listEvent(ev, fresh) {
  const feed = document.getElementById("feed");
  if (feed.querySelector("[data-id=\"" + Number(ev.id) + "\"]")) return false;
  document.getElementById("feed-empty").hidden = true;
  feed.insertBefore(feedItem(ev, fresh), feed.firstChild);
  while (feed.children.length > FEED_MAX) feed.lastChild.remove();
  return true;
}

function listBurst(id, count) {
  const feed = document.getElementById("feed");
  document.getElementById("feed-empty").hidden = true;
  const li = el("li", "fresh");
  li.dataset.id = "burst-" + id;
  li.appendChild(el("span", "time", clock(Date.now())));
  li.appendChild(el("span", "what upd", "batch"));
  li.appendChild(el("span", "obj", count.toLocaleString("en") + " changes at once"));
  feed.insertBefore(li, feed.firstChild);
  while (feed.children.length > FEED_MAX) feed.lastChild.remove();
}

/* Reloads every open list and the zones (after a burst, or changes missed while away). */
function reloadAll() {
  for (const n of tree.nodes.values()) if (n.expanded) blockChanged(n.prefix, true);
  pending.names = true;
  schedule();
}

function onChange(ev) {
  if (!listEvent(ev, true)) return;
  const f = ev.fields || {};
  if (ev.kind === "pool" || ev.kind === "block") blockChanged(f.prefix || ev.object, ev.gone);
  if (ev.kind === "host") {
    for (const a of [f.v4, f.v6]) if (a) blockChanged(a, ev.gone);
    pending.names = true;
  }
  if (ev.kind === "zone" || ev.kind === "record" || ev.kind === "service" || ev.kind === "root") {
    pending.names = true;
  }
  schedule();
}

function setStatus(cls, text) {
  const s = document.getElementById("status");
  s.className = "status " + cls;
  document.getElementById("status-text").textContent = text;
}

function connect() {
  const es = new EventSource("/api/events");
  es.addEventListener("open", () => setStatus("live", "live"));
  es.addEventListener("error", () => {
    setStatus("down", es.readyState === EventSource.CLOSED ? "offline" : "reconnecting");
    if (es.readyState === EventSource.CLOSED) {
      setTimeout(connect, 5000);                 /* refused (busy): try again later */
    }
  });
  es.addEventListener("change", (m) => {
    let ev;
    try { ev = JSON.parse(m.data); } catch (e) { return; }
    onChange(ev);
  });
  es.addEventListener("history", (m) => {
    try { listEvent(JSON.parse(m.data), false); } catch (e) { /* not ours: ignored */ }
  });
  es.addEventListener("reset", reloadAll);   /* some changes were missed while away */
  es.addEventListener("burst", (m) => {      /* many at once: one line, one reload */
    let n = 0;
    try { n = JSON.parse(m.data).count; } catch (e) { n = 0; }
    listBurst(Number(m.lastEventId), n);
    reloadAll();
  });
}

/* ---- search ---- */

function resultRow(r, depth) {
  const li = el("li");
  if (r.type === "block") {
    li.appendChild(el("span", "depth", depth ? "└" + "─".repeat(depth) : "●"));
    li.appendChild(el("span", "prefix", r.prefix));
    li.appendChild(el("span", "pill " + r.status, r.status));
    if (r.holder) li.appendChild(el("span", "", r.holder));
    if (r.description && r.description !== r.holder) li.appendChild(el("span", "muted", r.description));
    if (r.maintainer) li.appendChild(el("span", "muted", "mnt " + r.maintainer));
    li.appendChild(el("span", "muted", pctText(r) + " used"));
  } else if (r.type === "zone") {
    li.appendChild(el("span", "pill pool", "zone"));
    li.appendChild(el("span", "prefix", r.name));
    li.appendChild(el("span", "muted", "sponsor " + r.sponsor + " · registrant " + r.registrant));
    li.appendChild(el("span", "muted", countText(r.hosts, "host", "hosts")));
  } else if (r.type === "account") {
    li.appendChild(el("span", "pill allocated", "account"));
    li.appendChild(el("span", "prefix", r.name));
    li.appendChild(el("span", "muted", r.role));
  } else if (r.type === "host") {
    li.appendChild(el("span", "pill assigned", "host"));
    li.appendChild(el("span", "prefix", r.name));
    if (r.v4) li.appendChild(el("span", "addr", r.v4));
    if (r.v6) li.appendChild(el("span", "addr", r.v6));
  }
  return li;
}

async function search(text) {
  const box = document.getElementById("results");
  const list = document.getElementById("results-list");
  const title = document.getElementById("results-title");
  box.hidden = false;
  list.replaceChildren();
  title.textContent = "Who holds " + text + "?";
  try {
    const res = await getJSON("/api/search?" + q({q: text}));
    if (!res.results.length) {
      list.appendChild(el("li", "muted", "Nobody: " + text + " is not registered here."));
      return;
    }
    /* an address: the chain from its pool down, the last block is who holds it */
    const blocks = res.results.filter((r) => r.type === "block");
    const holder = res.kind === "address" ? blocks[blocks.length - 1] : null;
    let depth = 0;
    for (const r of res.results) {
      const li = resultRow(r, res.kind === "address" && r.type === "block" ? depth++ : 0);
      if (r === holder) li.classList.add("holder");
      list.appendChild(li);
    }
    if (res.more) list.appendChild(el("li", "muted", "… and more (the first ones are shown)"));
  } catch (e) {
    list.appendChild(el("li", "error", e.message));
  }
}

/* ---- start ---- */

async function start() {
  tree.root = document.getElementById("tree");
  document.getElementById("search").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const text = document.getElementById("q").value.trim();
    if (text) search(text);
  });
  document.getElementById("results-close").addEventListener("click", () => {
    document.getElementById("results").hidden = true;
  });
  connect();
  try {
    await loadPools(false);
    /* the pools open at start: the first level is what a class allocates from */
    for (const node of Array.from(tree.nodes.values())) {
      if (node.data.children > 0) await loadChildren(node, false);
    }
  } catch (e) {
    showError(tree.root, e);
  }
  try {
    await loadZones();
  } catch (e) {
    showError(document.getElementById("zones"), e);
  }
  document.body.dataset.ready = "1";
}

document.addEventListener("DOMContentLoaded", start);
