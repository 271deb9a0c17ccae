// The document view: PDF.js renders pages lazily (range requests online,
// the device's copy offline), with a text layer for selection, an overlay
// for annotations, thumbnails, page jump, search, zoom and night mode.
import * as pdfjs from "./pdfjs/pdf.min.mjs";
import * as store from "./store.js";
import { pageText, selectors, locate, find } from "./anchor.js";
import { t, h, api, say, me, sync, lang, updatePending } from "./app.js";

pdfjs.GlobalWorkerOptions.workerSrc = "/reader/files/pdfjs/pdf.worker.min.mjs";
// Started at once, so that the worker loads while the manifest is asked for.
const worker = new pdfjs.PDFWorker({ name: "reader" });

const SVG = "http://www.w3.org/2000/svg";
const ZOOMS = [0.5, 0.75, 1, 1.25, 1.5, 2, 2.5, 3, 4];

const st = {
  pdf: null, doc: null, meetingID: 0, scale: 1, fit: true, pages: [], tool: "read",
  annos: new Map(), scroller: null, base: { width: 595, height: 842 },
};

function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  return el;
}

// RangeTransport feeds PDF.js byte ranges of a file of known length.
class RangeTransport extends pdfjs.PDFDataRangeTransport {
  constructor(url, length) {
    super(length, null);
    this.url = url;
    this.ctrl = new AbortController();
  }

  requestDataRange(begin, end) {
    fetch(this.url, { credentials: "same-origin", headers: { Range: `bytes=${begin}-${end - 1}` }, signal: this.ctrl.signal })
      .then(async (r) => {
        if (r.status !== 206 && r.status !== 200) throw new Error(this.url + ": " + r.status);
        let buf = new Uint8Array(await r.arrayBuffer());
        if (r.status === 200) buf = buf.subarray(begin, end); // a server without ranges
        this.onDataRange(begin, buf);
      })
      .catch(() => { if (!this.ctrl.signal.aborted) say(t("error")); });
  }

  abort() {
    this.ctrl.abort();
  }
}

// ---- opening ----

export async function open(meetingID, docID, { main, header }) {
  st.meetingID = meetingID;
  let manifest = null;
  const stored = await store.get("meetings", meetingID);
  let missing = false;
  try {
    manifest = await api(`/api/v1/reader/meetings/${meetingID}/manifest`);
  } catch (e) {
    if (e.message === "signed out") return;
    missing = e.status === 404;
    manifest = missing ? null : stored;
  }
  const doc = manifest?.documents.find((d) => d.id === docID);
  const back = h("a", { href: `/reader/meetings/${meetingID}` + (doc?.item ? "#item-" + doc.item.id : ""), id: "back" }, t("back_agenda"));
  if (!doc) {
    main.replaceChildren(header(back), h("h1", {}, missing || manifest ? t("not_found") : t("not_offline")));
    return;
  }
  st.doc = doc;
  document.title = doc.title + " – Ratsmappe";
  main.replaceChildren(header(back), toolbar(), h("div", { class: "viewer" }, sidebar(), h("div", { id: "pages", class: "pages", tabindex: "0", "aria-label": doc.title })));
  st.scroller = document.getElementById("pages");
  applyNight(localStorage.getItem("ratsmappe-night") === "1");

  const cached = await store.cachedFile(doc.url);
  const params = {
    worker,
    isEvalSupported: false, // never, whatever the file says
    enableXfa: false,
    cMapUrl: "/reader/files/pdfjs/cmaps/",
    cMapPacked: true,
    standardFontDataUrl: "/reader/files/pdfjs/standard_fonts/",
    withCredentials: true,
  };
  if (cached) {
    params.data = new Uint8Array(await cached.arrayBuffer());
  } else {
    // Only what the pages on screen need, in byte ranges. The manifest
    // knows the file's length, so no first full request is started (and
    // cancelled) just to learn it.
    Object.assign(params, { range: new RangeTransport(doc.url, doc.size), disableAutoFetch: true, disableStream: true, rangeChunkSize: 65536 });
  }
  try {
    st.pdf = await pdfjs.getDocument(params).promise;
  } catch (e) {
    say(navigator.onLine ? t("error") : t("not_offline"));
    return;
  }
  const first = await st.pdf.getPage(1);
  const vp = first.getViewport({ scale: 1 });
  st.base = { width: vp.width, height: vp.height };
  fitWidth();
  buildPages();
  document.getElementById("page-count").textContent = t("page_of", st.pdf.numPages);
  document.getElementById("page-input").max = st.pdf.numPages;
  const read = await store.get("reads", doc.id);
  if (read && read.version < doc.version) {
    document.querySelector(".toolbar .doc-title").append(" ",
      h("a", { class: "badge changed", href: `/documents/${doc.id}/diff?from=${read.version}&to=${doc.version}` }, t("badge_changed") + " – " + t("show_changes")));
  }
  await loadAnnotations();
  markRead();
  st.scroller.addEventListener("scroll", onScroll, { passive: true });
  document.addEventListener("selectionchange", onSelection);
  document.addEventListener("reader:synced", () => loadAnnotations(true));
  window.addEventListener("resize", () => { if (st.fit) { fitWidth(); relayout(); } });
  const m = /^#page=(\d+)$/.exec(location.hash);
  if (m) goTo(+m[1]);
}

// markRead remembers that this version was read, on the device and (for
// the other devices) on the server.
async function markRead() {
  await store.put("reads", { document: st.doc.id, version: st.doc.version, at: Date.now() });
  if (!navigator.onLine || !me?.csrf) return;
  fetch(`/api/v1/documents/${st.doc.id}/read`, {
    method: "PUT", credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf },
    body: JSON.stringify({ version: st.doc.version }),
  }).catch(() => {});
}

// ---- toolbar and sidebar ----

function toolButton(id, label, tool) {
  return h("button", { type: "button", id, class: "tool", "aria-pressed": String(st.tool === tool), onclick: () => setTool(tool) }, label);
}

// toolbar holds every control of the document view. On a phone the
// first row keeps the page jump and a "Mehr" button; the other groups
// wrap below it when "Mehr" is opened, so nothing sits off-screen.
function toolbar() {
  const more = h("button", { type: "button", id: "more", class: "more", "aria-expanded": "false", "aria-controls": "toolbar-more",
    onclick: (e) => {
      const open = e.currentTarget.getAttribute("aria-expanded") !== "true";
      e.currentTarget.setAttribute("aria-expanded", String(open));
      document.getElementById("toolbar-more").classList.toggle("open", open);
      if (st.fit && st.pdf) { fitWidth(); relayout(); }
    } }, t("more"));
  return h("div", { class: "toolbar", role: "toolbar", "aria-label": t("tools") },
    h("h1", { class: "doc-title" }, st.doc.title, " ", h("span", { class: "meta" }, t("version", st.doc.version))),
    h("div", { class: "group pager" },
      h("button", { type: "button", id: "prev", "aria-label": t("prev"), onclick: () => goTo(current() - 1) }, "‹"),
      h("label", { for: "page-input" }, t("page")),
      h("input", { id: "page-input", type: "number", min: "1", value: "1", inputmode: "numeric", onchange: (e) => goTo(+e.target.value) }),
      h("span", { id: "page-count" }),
      h("button", { type: "button", id: "next", "aria-label": t("next"), onclick: () => goTo(current() + 1) }, "›"),
      more,
    ),
    h("div", { id: "toolbar-more", class: "toolbar-more" },
      h("div", { class: "group" },
        h("button", { type: "button", id: "thumbs-toggle", "aria-expanded": "false", "aria-controls": "sidebar", onclick: toggleSidebar }, t("thumbs")),
        h("button", { type: "button", id: "zoom-out", "aria-label": t("zoom_out"), onclick: () => zoom(-1) }, "−"),
        h("output", { id: "zoom-level", "aria-live": "polite", "aria-label": t("zoom") }, "100 %"),
        h("button", { type: "button", id: "zoom-in", "aria-label": t("zoom_in"), onclick: () => zoom(1) }, "+"),
        h("button", { type: "button", id: "fit", onclick: () => { fitWidth(); relayout(); } }, t("fit")),
        h("button", { type: "button", id: "night", "aria-pressed": "false", onclick: () => applyNight(!document.body.classList.contains("night")) }, t("night")),
      ),
      h("form", { class: "group search", role: "search", onsubmit: (e) => { e.preventDefault(); search(document.getElementById("q").value); } },
        h("label", { for: "q" }, t("search")),
        h("input", { id: "q", type: "search", enterkeyhint: "search" }),
        h("button", { type: "submit" }, t("search_go")),
      ),
      h("div", { class: "group tools" },
        toolButton("tool-read", t("tool_read"), "read"),
        toolButton("tool-pen", t("tool_pen"), "pen"),
        toolButton("tool-note", t("tool_note"), "note"),
        h("button", { type: "button", id: "highlight", disabled: true, onclick: () => fromSelection("highlighting") }, t("highlight")),
        h("button", { type: "button", id: "note-text", disabled: true, onclick: () => fromSelection("commenting") }, t("note_text")),
        h("button", { type: "button", id: "bookmark", "aria-pressed": "false", onclick: toggleBookmark }, t("bookmark")),
      ),
    ),
  );
}

function sidebar() {
  return h("aside", { id: "sidebar", class: "sidebar", hidden: true, "aria-label": t("thumbs") },
    h("div", { id: "results", class: "results", role: "region", "aria-label": t("search"), "aria-live": "polite" }),
    h("section", { "aria-labelledby": "h-annos" }, h("h2", { id: "h-annos" }, t("annotations")), h("ul", { id: "anno-list", class: "anno-list" }),
      h("p", {}, h("a", { href: `/api/v1/documents/${st.doc.id}/versions/${st.doc.version}/annotations.pdf`, download: "" }, t("export_pdf")), " · ",
        h("a", { href: `/api/v1/documents/${st.doc.id}/versions/${st.doc.version}/annotations.json`, download: "" }, t("export_json")))),
    h("h2", {}, t("thumbs")),
    h("ol", { id: "thumbs", class: "thumbs" }),
  );
}

function toggleSidebar(force) {
  const sb = document.getElementById("sidebar");
  const open = typeof force === "boolean" ? force : sb.hidden;
  if (sb.hidden === !open) return;
  sb.hidden = !open;
  document.getElementById("thumbs-toggle").setAttribute("aria-expanded", String(open));
  if (open) buildThumbs();
  // The page keeps fitting the width left beside the panel, instead of
  // being cut by it.
  if (st.fit && st.pdf) {
    const at = st.scroller.scrollTop / Math.max(1, st.scroller.scrollHeight);
    fitWidth();
    relayout();
    st.scroller.scrollTop = at * st.scroller.scrollHeight;
  }
}

// closeOnPhone closes the side panel after a choice in it on a phone,
// where it lies over the page the member wants to see.
function closeOnPhone() {
  if (window.matchMedia("(max-width: 700px)").matches) toggleSidebar(false);
}

function setTool(tool) {
  st.tool = tool;
  for (const b of document.querySelectorAll(".tool")) b.setAttribute("aria-pressed", String(b.id === "tool-" + tool));
  document.body.dataset.tool = tool;
}

function applyNight(on) {
  document.body.classList.toggle("night", on);
  localStorage.setItem("ratsmappe-night", on ? "1" : "0");
  document.getElementById("night")?.setAttribute("aria-pressed", String(on));
}

// ---- pages ----

function fitWidth() {
  const w = (st.scroller?.clientWidth || window.innerWidth) - 24;
  st.scale = Math.max(0.5, Math.min(4, w / st.base.width));
  st.fit = true;
  showZoom();
}

function showZoom() {
  const el = document.getElementById("zoom-level");
  if (el) el.textContent = Math.round(st.scale * 100) + " %";
}

function zoom(dir) {
  let next = dir > 0 ? ZOOMS.find((z) => z > st.scale + 0.01) : [...ZOOMS].reverse().find((z) => z < st.scale - 0.01);
  if (next === undefined) next = ZOOMS[dir > 0 ? ZOOMS.length - 1 : 0];
  const page = current();
  st.scale = next;
  st.fit = false;
  showZoom();
  relayout();
  goTo(page);
}

function buildPages() {
  st.pages = [];
  const frag = document.createDocumentFragment();
  for (let n = 1; n <= st.pdf.numPages; n++) {
    const div = h("div", { class: "page", id: "page-" + n, "data-page": n, role: "region", "aria-label": t("page_label", n) });
    const p = { n, div, size: null, rendered: 0, items: null, text: null, starts: null, divs: null };
    st.pages.push(p);
    sizePage(p);
    frag.append(div);
  }
  st.scroller.replaceChildren(frag);
  st.observer = new IntersectionObserver((entries) => {
    for (const e of entries) if (e.isIntersecting) renderPage(st.pages[+e.target.dataset.page - 1]);
  }, { root: st.scroller, rootMargin: "50% 0px" });
  // Pages far from the screen give their canvas back: a 500-page
  // document read to the end must not hold 500 bitmaps.
  st.unloader = new IntersectionObserver((entries) => {
    for (const e of entries) if (!e.isIntersecting) unload(st.pages[+e.target.dataset.page - 1]);
  }, { root: st.scroller, rootMargin: "300% 0px" });
  for (const p of st.pages) {
    st.observer.observe(p.div);
    st.unloader.observe(p.div);
  }
}

function unload(p) {
  if (!p.rendered || p.rendering) return;
  p.div.replaceChildren();
  p.rendered = 0;
  p.overlay = p.textDiv = p.divs = null;
  st.pdf.getPage(p.n).then((page) => page.cleanup()).catch(() => {});
}

function sizePage(p) {
  const s = p.size || st.base;
  p.div.style.width = Math.floor(s.width * st.scale) + "px";
  p.div.style.height = Math.floor(s.height * st.scale) + "px";
  p.div.style.setProperty("--scale-factor", st.scale);
  p.div.style.setProperty("--total-scale-factor", st.scale);
}

function relayout() {
  for (const p of st.pages) {
    sizePage(p);
    if (p.rendered && p.rendered !== st.scale) {
      p.rendered = 0;
      const r = p.div.getBoundingClientRect();
      const sr = st.scroller.getBoundingClientRect();
      if (r.bottom > sr.top - sr.height && r.top < sr.bottom + sr.height) renderPage(p);
    }
  }
}

async function textOf(p) {
  if (p.items) return p;
  const page = await st.pdf.getPage(p.n);
  const tc = await page.getTextContent();
  p.tc = tc;
  p.items = tc.items.filter((i) => i.str !== undefined);
  Object.assign(p, pageText(p.items));
  return p;
}

async function renderPage(p) {
  if (p.rendered === st.scale || p.rendering) return;
  p.rendering = true;
  const scale = st.scale;
  try {
    const page = await st.pdf.getPage(p.n);
    const vp1 = page.getViewport({ scale: 1 });
    p.size = { width: vp1.width, height: vp1.height };
    p.vp1 = vp1;
    sizePage(p);
    const vp = page.getViewport({ scale });
    const ratio = Math.min(window.devicePixelRatio || 1, 2);
    const canvas = h("canvas", { "aria-hidden": "true" });
    canvas.width = Math.floor(vp.width * ratio);
    canvas.height = Math.floor(vp.height * ratio);
    canvas.style.width = Math.floor(vp.width) + "px";
    canvas.style.height = Math.floor(vp.height) + "px";
    await page.render({ canvasContext: canvas.getContext("2d"), canvas, viewport: vp, transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null }).promise;
    await textOf(p);
    const textDiv = h("div", { class: "textLayer" });
    const tl = new pdfjs.TextLayer({ textContentSource: p.tc, container: textDiv, viewport: vp });
    await tl.render();
    p.divs = tl.textDivs;
    const overlay = svg("svg", { class: "overlay", viewBox: `0 0 ${vp1.width} ${vp1.height}`, "aria-hidden": "true" });
    p.div.replaceChildren(canvas, textDiv, overlay);
    p.overlay = overlay;
    p.textDiv = textDiv;
    attachPointer(p);
    p.rendered = scale;
    drawAnnotations(p);
    if (p.n === 1 && !document.body.dataset.firstPage) {
      document.body.dataset.firstPage = String(Math.round(performance.now()));
    }
  } finally {
    p.rendering = false;
  }
  if (p.rendered !== st.scale) renderPage(p);
}

function current() {
  const sr = st.scroller.getBoundingClientRect();
  const mid = sr.top + sr.height / 3;
  for (const p of st.pages) {
    const r = p.div.getBoundingClientRect();
    if (r.bottom >= mid) return p.n;
  }
  return st.pages.length;
}

function goTo(n) {
  if (!st.pages.length) return;
  n = Math.max(1, Math.min(st.pages.length, n || 1));
  st.pages[n - 1].div.scrollIntoView({ block: "start" });
  document.getElementById("page-input").value = n;
  updateBookmarkButton(n);
}

function onScroll() {
  if (st.scrollTimer) return;
  st.scrollTimer = setTimeout(() => {
    st.scrollTimer = null;
    const n = current();
    const input = document.getElementById("page-input");
    if (document.activeElement !== input) input.value = n;
    updateBookmarkButton(n);
  }, 120);
}

// ---- thumbnails ----

function buildThumbs() {
  const ol = document.getElementById("thumbs");
  if (ol.childElementCount) return;
  const io = new IntersectionObserver(async (entries) => {
    // Claimed at once: the next callback may come while these render.
    const todo = entries.filter((e) => e.isIntersecting && !e.target.dataset.thumb);
    for (const e of todo) {
      io.unobserve(e.target);
      e.target.dataset.thumb = "1";
    }
    for (const e of todo) {
      const n = +e.target.dataset.page;
      const page = await st.pdf.getPage(n);
      const vp = page.getViewport({ scale: 120 / page.getViewport({ scale: 1 }).width });
      const c = h("canvas", { "aria-hidden": "true" });
      c.width = Math.floor(vp.width);
      c.height = Math.floor(vp.height);
      await page.render({ canvasContext: c.getContext("2d"), canvas: c, viewport: vp }).promise;
      e.target.querySelector("button").prepend(c);
    }
  }, { root: document.getElementById("sidebar") });
  for (let n = 1; n <= st.pdf.numPages; n++) {
    const li = h("li", { "data-page": n }, h("button", { type: "button", onclick: () => { goTo(n); closeOnPhone(); } }, h("span", {}, t("page_label", n))));
    ol.append(li);
    io.observe(li);
  }
}

// ---- search ----

// Hits are listed a page at a time (HIT_PAGE), and the search stops
// counting at MAX_HITS: a word on every page of a 500-page document is not
// a list anyone reads.
const HIT_PAGE = 50;
const MAX_HITS = 1000;

async function search(q) {
  const out = document.getElementById("results");
  toggleSidebar(true);
  out.replaceChildren();
  clearMarks();
  if (!q.trim()) return;
  const hits = [];
  for (const p of st.pages) {
    await textOf(p);
    for (const m of find(p.text, q)) hits.push({ p, m });
    if (hits.length >= MAX_HITS) break;
  }
  const list = h("ol", { class: "hits" });
  const count = h("p", { id: "hit-count" }, hits.length ? t("search_hits", hits.length >= MAX_HITS ? MAX_HITS + "+" : hits.length) : t("search_none"));
  const shown = h("p", { id: "hits-shown", class: "meta" });
  const more = h("button", { type: "button", id: "hits-more", class: "link" });
  const showMore = () => {
    const from = list.childElementCount;
    for (const { p, m } of hits.slice(from, from + HIT_PAGE)) {
      list.append(h("li", {}, h("button", { type: "button", onclick: () => { showHit(p, m); closeOnPhone(); } }, h("strong", {}, t("page_label", p.n)), " ", ...snippet(p.text, m))));
    }
    const n = list.childElementCount;
    shown.textContent = n < hits.length ? t("search_shown", hits.length, "1–" + n) : "";
    const rest = Math.min(HIT_PAGE, hits.length - n);
    more.hidden = rest <= 0;
    more.textContent = t("search_more", rest);
    if (from) list.children[from]?.querySelector("button")?.focus();
  };
  more.addEventListener("click", showMore);
  out.replaceChildren(count, shown, list, more, hits.length >= MAX_HITS ? h("p", { class: "meta" }, t("search_capped", MAX_HITS)) : "");
  showMore();
  say(hits.length ? t("search_hits", hits.length) : t("search_none"));
  if (hits.length) showHit(hits[0].p, hits[0].m);
}

// snippet returns the text around a match, cut at word boundaries, with
// the match marked.
export function snippet(text, m, around = 40) {
  let a = Math.max(0, m.start - around);
  let b = Math.min(text.length, m.end + around);
  if (a > 0) {
    const sp = text.slice(a, m.start).search(/\s/);
    a = sp < 0 ? m.start : a + sp + 1;
  }
  if (b < text.length) {
    const tail = text.slice(m.end, b);
    const sp = tail.search(/\s\S*$/);
    b = sp < 0 ? m.end : m.end + sp;
  }
  const clean = (x) => x.replace(/\s+/g, " ");
  return [(a > 0 ? "… " : "") + clean(text.slice(a, m.start)).trimStart(), h("mark", {}, clean(text.slice(m.start, m.end))), clean(text.slice(m.end, b)).trimEnd() + (b < text.length ? " …" : "")];
}

function clearMarks() {
  for (const el of document.querySelectorAll(".overlay .hit")) el.remove();
  st.mark = null;
  onSelection();
}

async function showHit(p, m) {
  clearMarks();
  st.mark = { n: p.n, ...m };
  goTo(p.n);
  await renderPage(p);
  drawAnnotations(p);
  onSelection();
}

// ---- annotations ----

function anchorSel(anno, type) {
  const sels = anno?.target?.selector;
  return (Array.isArray(sels) ? sels : sels ? [sels] : []).find((s) => s.type === type);
}

// pageOf is the page of the open version an annotation sits on: where
// the server re-anchored it, else where it was made.
export function pageOf(anno) {
  if (anno?.anchoring?.version === st.doc?.version && anno.anchoring.page) return anno.anchoring.page;
  const f = anchorSel(anno, "FragmentSelector");
  const m = /page=(\d+)/.exec(f?.value || "");
  return m ? +m[1] : 0;
}

function stateOf(anno) {
  return anno?.anchoring?.state || "anchored";
}

async function loadAnnotations(localOnly) {
  if (!localOnly && navigator.onLine) {
    try {
      const r = await api(`/api/v1/annotations?document=${st.doc.id}`);
      const list = Array.isArray(r) ? r : r.data || r.items || r.annotations || r.first?.items || [];
      await store.mergeServer(st.doc.id, list);
    } catch { /* the device's copy */ }
  }
  st.annos = new Map();
  for (const row of await store.byDocument(st.doc.id)) {
    if (!row.deleted && row.anno) st.annos.set(row.uuid, row.anno);
  }
  for (const p of st.pages) if (p.rendered) drawAnnotations(p);
  listAnnotations();
  updateBookmarkButton(current());
  document.body.dataset.annotations = String(st.annos.size);
}

function newAnnotation(motivation, page, extra, text, body) {
  const uuid = crypto.randomUUID ? crypto.randomUUID() : ([1e7] + -1e3 + -4e3 + -8e3 + -1e11).replace(/[018]/g, (c) => (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16));
  const now = new Date().toISOString();
  return {
    "@context": "http://www.w3.org/ns/anno.jsonld",
    id: "urn:uuid:" + uuid,
    type: "Annotation",
    motivation,
    created: now,
    modified: now,
    body: body || (text ? [{ type: "TextualBody", value: text, format: "text/plain", language: lang, purpose: "commenting" }] : []),
    target: {
      source: `/api/v1/documents/${st.doc.id}/versions/${st.doc.version}`,
      selector: [{ type: "FragmentSelector", conformsTo: "http://tools.ietf.org/rfc/rfc8118", value: "page=" + page }, ...extra],
    },
  };
}

async function save(anno) {
  await store.saveAnnotation(anno);
  await updatePending();
  st.annos.set(store.uuidOf(anno), anno);
  const p = st.pages[pageOf(anno) - 1];
  if (p?.rendered) drawAnnotations(p);
  listAnnotations();
  document.body.dataset.annotations = String(st.annos.size);
  say(t("saved"));
  sync();
}

async function remove(uuid) {
  const anno = st.annos.get(uuid);
  st.annos.delete(uuid);
  await store.deleteAnnotation(uuid, st.doc.id);
  await updatePending();
  const p = st.pages[pageOf(anno) - 1];
  if (p?.rendered) drawAnnotations(p);
  listAnnotations();
  updateBookmarkButton(current());
  sync();
}

// selectionRange maps the document's selection to [start, end) of one
// page's text, or null.
function selectionRange() {
  const sel = document.getSelection();
  if (!sel || sel.isCollapsed || !sel.rangeCount) return null;
  const r = sel.getRangeAt(0);
  const pageDiv = (node) => (node.nodeType === 1 ? node : node.parentElement)?.closest(".page");
  const pd = pageDiv(r.startContainer);
  if (!pd || pd !== pageDiv(r.endContainer)) return null;
  const p = st.pages[+pd.dataset.page - 1];
  if (!p?.divs) return null;
  const offset = (node, off, isEnd) => {
    let span = (node.nodeType === 1 ? node : node.parentElement).closest(".textLayer span:not(.markedContent)");
    if (span && node === span) off = off === 0 ? 0 : span.textContent.length;
    if (!span && node.nodeType === 1) {
      // A boundary between elements: the child at off, or the one before.
      const child = node.childNodes[isEnd ? off - 1 : off];
      span = child?.nodeType === 1 ? child : child?.parentElement;
      if (span && !span.matches?.(".textLayer span")) span = null;
      off = isEnd && span ? span.textContent.length : 0;
    }
    const i = span ? p.divs.indexOf(span) : -1;
    if (i < 0) return null;
    return p.starts[i] + Math.min(node.nodeType === 3 ? off : off, p.items[i].str.length);
  };
  const start = offset(r.startContainer, r.startOffset, false);
  const end = offset(r.endContainer, r.endOffset, true);
  if (start === null || end === null || end <= start) return null;
  return { p, start, end };
}

// currentRange is the text to highlight: the selection, or else the
// search hit shown — the way to highlight with a keyboard alone.
function currentRange() {
  const s = selectionRange();
  if (s) return s;
  const p = st.mark && st.pages[st.mark.n - 1];
  return p?.divs ? { p, start: st.mark.start, end: st.mark.end } : null;
}

function onSelection() {
  const ok = !!currentRange();
  document.getElementById("highlight").disabled = !ok;
  document.getElementById("note-text").disabled = !ok;
}

async function fromSelection(motivation) {
  const s = currentRange();
  if (!s) {
    say(t("select_first"));
    return;
  }
  const quote = selectors(s.p.text, s.start, s.end);
  if (new TextEncoder().encode(quote[0].exact).length > 4000) {
    say(t("too_long"));
    return;
  }
  // Rectangles in PDF user space, so that the export can write a real
  // PDF highlight.
  const rects = rectsFor(s.p, s.start, s.end).slice(0, 500).map((r) => {
    const [x0, y0] = toPDF(s.p, r.x, r.y + r.h);
    const [x1, y1] = toPDF(s.p, r.x + r.w, r.y);
    return [Math.min(x0, x1), Math.min(y0, y1), Math.max(x0, x1), Math.max(y0, y1)];
  });
  if (rects.length) quote.push({ type: "ratsmappe:RectSelector", rects });
  let text = "";
  if (motivation === "commenting") {
    text = await askNote();
    if (!text) return;
  }
  const anno = newAnnotation(motivation, s.p.n, quote, text);
  document.getSelection().removeAllRanges();
  clearMarks();
  await save(anno);
}

function askNote(initial = "") {
  return new Promise((resolve) => {
    const ta = h("textarea", { id: "note-input", rows: "5", required: true });
    ta.value = initial;
    const dlg = h("dialog", { class: "note-dialog", "aria-labelledby": "note-h" },
      h("form", { method: "dialog" },
        h("h2", { id: "note-h" }, h("label", { for: "note-input" }, t("note_prompt"))),
        ta,
        h("div", { class: "buttons" },
          h("button", { type: "submit", value: "ok", class: "primary", id: "note-save" }, t("save")),
          h("button", { type: "button", onclick: () => dlg.close("") }, t("cancel")))));
    dlg.addEventListener("close", () => {
      const v = dlg.returnValue === "ok" ? ta.value.trim() : "";
      dlg.remove();
      resolve(v);
    });
    document.body.append(dlg);
    dlg.showModal();
    ta.focus();
  });
}

// editNote changes a note's text. The edit names the revision it started
// from, so that the server can tell it from a stale device's write.
async function editNote(uuid) {
  const a = st.annos.get(uuid);
  const old = bodies(a).find((b) => b.type === "TextualBody");
  const text = await askNote(old?.value || "");
  if (!text || text === old?.value) return;
  const edited = structuredClone(a);
  edited.body = bodies(a).map((b) => (b === old ? { ...b, value: text } : b));
  edited.modified = new Date().toISOString();
  if (a["ratsmappe:revision"]) edited["ratsmappe:baseRevision"] = a["ratsmappe:revision"];
  await save(edited);
}

function toggleBookmark() {
  const n = current();
  const existing = [...st.annos.values()].find((a) => a.motivation === "bookmarking" && pageOf(a) === n);
  if (existing) remove(store.uuidOf(existing));
  else save(newAnnotation("bookmarking", n, []));
  updateBookmarkButton(n, !existing);
}

function updateBookmarkButton(n, force) {
  const b = document.getElementById("bookmark");
  if (!b) return;
  const on = force ?? [...st.annos.values()].some((a) => a.motivation === "bookmarking" && pageOf(a) === n);
  b.setAttribute("aria-pressed", String(on));
}

// Ink and points are stored in PDF user space of the page (origin bottom
// left, unit 1/72 inch), as the server and the PDF export expect; the
// overlay draws in the page's top-left coordinates (the viewport at scale
// 1). A stroke's pressure sets its width.
const toPDF = (p, x, y) => p.vp1.convertToPdfPoint(x, y).map((v) => +v.toFixed(1));
const fromPDF = (p, x, y) => p.vp1.convertToViewportPoint(x, y);

function inkBody(p, s) {
  return [{ type: "ratsmappe:Ink", strokes: [{ color: s.color, width: s.width, points: s.points.map((q) => toPDF(p, q[0], q[1])) }] }];
}

// nearestQuote returns the quote and position selectors of the text line
// nearest to (x, y) in PDF user space: ink and point notes move with that
// text to a new version (the server looks it up, as for highlights).
function nearestQuote(p, x, y) {
  let best = -1, dist = Infinity;
  p.items.forEach((it, i) => {
    if (!it.transform || it.str.trim().length < 8) return;
    const x0 = it.transform[4], y0 = it.transform[5];
    const dx = Math.max(x0 - x, 0, x - (x0 + (it.width || 0)));
    const dy = Math.max(y0 - y, 0, y - (y0 + (it.height || 0)));
    const d = Math.hypot(dx, dy);
    if (d < dist) { dist = d; best = i; }
  });
  return best < 0 ? [] : selectors(p.text, p.starts[best], p.starts[best] + p.items[best].str.length);
}

function inkPath(points) {
  return points.map((pt, i) => (i ? "L" : "M") + pt[0].toFixed(1) + " " + pt[1].toFixed(1)).join(" ");
}

function attachPointer(p) {
  const ov = p.overlay;
  let stroke = null;
  let path = null;
  const pt = (e) => {
    const r = ov.getBoundingClientRect();
    const k = p.size.width / r.width;
    return [+((e.clientX - r.left) * k).toFixed(1), +((e.clientY - r.top) * k).toFixed(1), +(e.pressure || 0.5).toFixed(2)];
  };
  ov.addEventListener("pointerdown", async (e) => {
    if (st.tool === "note") {
      e.preventDefault();
      const [x, y] = toPDF(p, ...pt(e));
      const text = await askNote();
      if (text) save(newAnnotation("commenting", p.n, [{ type: "ratsmappe:PointSelector", x, y }, ...nearestQuote(p, x, y)], text));
      return;
    }
    if (st.tool !== "pen") return;
    e.preventDefault();
    ov.setPointerCapture(e.pointerId);
    stroke = { color: "#c0392b", width: 2, points: [pt(e)] };
    if (e.pointerType === "touch" && !e.isPrimary) { stroke = null; return; }
    path = svg("path", { class: "ink live", d: inkPath(stroke.points), "stroke-width": "2" });
    ov.append(path);
  });
  ov.addEventListener("pointermove", (e) => {
    if (!stroke) return;
    for (const ev of e.getCoalescedEvents ? e.getCoalescedEvents() : [e]) stroke.points.push(pt(ev));
    path.setAttribute("d", inkPath(stroke.points));
  });
  const end = () => {
    if (!stroke) return;
    const s = stroke;
    stroke = null;
    path.remove();
    if (s.points.length < 2) return;
    const avg = s.points.reduce((a, q) => a + q[2], 0) / s.points.length;
    s.width = +(1 + 3 * avg).toFixed(1); // firmer pressure, thicker line
    const body = inkBody(p, s);
    const [x, y] = body[0].strokes[0].points[0];
    save(newAnnotation("drawing", p.n, nearestQuote(p, x, y), "", body));
  };
  ov.addEventListener("pointerup", end);
  ov.addEventListener("pointercancel", end);
}

// rectsFor returns the rectangles (page coordinates) covering [start, end)
// of the page's text, from the text layer's spans.
function rectsFor(p, start, end) {
  const out = [];
  if (!p.divs) return out;
  const base = p.div.getBoundingClientRect();
  const k = p.size.width / base.width;
  for (let i = 0; i < p.items.length; i++) {
    const s = p.starts[i];
    const len = p.items[i].str.length;
    if (s + len <= start || s >= end || !len) continue;
    const node = p.divs[i]?.firstChild;
    if (!node) continue;
    const range = document.createRange();
    range.setStart(node, Math.max(0, start - s));
    range.setEnd(node, Math.min(len, end - s));
    for (const r of range.getClientRects()) {
      out.push({ x: (r.left - base.left) * k, y: (r.top - base.top) * k, w: r.width * k, h: r.height * k });
    }
  }
  return out;
}

function drawAnnotations(p) {
  const ov = p.overlay;
  if (!ov || !p.items) return;
  ov.replaceChildren();
  for (const [uuid, a] of st.annos) {
    if (pageOf(a) !== p.n || stateOf(a) === "orphaned") continue;
    const g = svg("g", { class: "anno " + a.motivation + " " + stateOf(a), "data-uuid": uuid });
    const quote = anchorSel(a, "TextQuoteSelector");
    const ink = bodies(a).find((b) => b.type === "ratsmappe:Ink");
    const point = anchorSel(a, "ratsmappe:PointSelector");
    // A drawing's or point note's quote only anchors it; it is not marked.
    if (quote && a.motivation !== "drawing" && !point) {
      const at = locate(p.text, quote, anchorSel(a, "TextPositionSelector"));
      if (at) for (const r of rectsFor(p, at.start, at.end)) g.append(svg("rect", { class: "hl", x: r.x, y: r.y, width: r.w, height: r.h }));
    }
    if (ink) {
      for (const s of ink.strokes || []) {
        g.append(svg("path", { class: "ink", d: inkPath((s.points || []).map((q) => fromPDF(p, q[0], q[1]))), stroke: s.color || "#c0392b", "stroke-width": s.width || 2 }));
      }
    }
    if (point || (a.motivation === "commenting" && !quote)) {
      const [x, y] = point ? fromPDF(p, point.x, point.y) : [12, 12];
      g.append(svg("circle", { class: "pin", cx: x, cy: y, r: 7 }));
    }
    if (a.motivation === "commenting" && quote && !point) {
      const first = g.querySelector("rect");
      if (first) g.append(svg("circle", { class: "pin", cx: +first.getAttribute("x"), cy: +first.getAttribute("y"), r: 5 }));
    }
    ov.append(g);
  }
  if (st.mark && st.mark.n === p.n) {
    for (const r of rectsFor(p, st.mark.start, st.mark.end)) ov.append(svg("rect", { class: "hit", x: r.x, y: r.y, width: r.w, height: r.h }));
  }
}

function bodies(a) {
  return Array.isArray(a.body) ? a.body : a.body ? [a.body] : [];
}

function describe(a) {
  const kind = { highlighting: "kind_highlight", commenting: "kind_note", bookmarking: "kind_bookmark", drawing: "kind_ink" }[a.motivation] || "kind_highlight";
  const label = t(kind);
  // A drawing's or point note's quote only anchors it; it is not shown.
  const anchorOnly = a.motivation === "drawing" || anchorSel(a, "ratsmappe:PointSelector");
  const quote = anchorOnly ? "" : anchorSel(a, "TextQuoteSelector")?.exact;
  const note = bodies(a).map((b) => b.value).filter(Boolean).join(" ");
  return { label, quote, note };
}

function listAnnotations() {
  const ul = document.getElementById("anno-list");
  if (!ul) return;
  const list = [...st.annos.entries()].sort((x, y) => pageOf(x[1]) - pageOf(y[1]));
  if (!list.length) {
    ul.replaceChildren(h("li", { class: "meta" }, t("no_annotations")));
    return;
  }
  ul.replaceChildren(...list.map(([uuid, a]) => {
    const d = describe(a);
    const state = stateOf(a);
    return h("li", { class: "anno-item " + state, "data-uuid": uuid, "data-state": state },
      h("button", { type: "button", class: "link", onclick: () => { goTo(pageOf(a)); closeOnPhone(); } }, t("page_label", pageOf(a) || "?") + " · " + d.label),
      state !== "anchored" ? h("span", { class: "badge " + state }, t("state_" + state)) : null,
      d.quote ? h("q", {}, d.quote) : null,
      d.note ? h("p", {}, d.note) : null,
      d.note && !a["ratsmappe:sharedBy"] ? h("button", { type: "button", class: "link", "aria-label": t("edit") + ": " + d.note, onclick: () => editNote(uuid) }, t("edit")) : null,
      a["ratsmappe:sharedBy"] ? h("span", { class: "meta" }, t("shared_by", a["ratsmappe:sharedBy"].name || "")) :
        h("button", { type: "button", class: "link danger", "aria-label": t("delete") + ": " + d.label + " " + (d.quote || d.note || ""), onclick: () => remove(uuid) }, t("delete")));
  }));
}
