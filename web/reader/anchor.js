// Text anchoring within one page: the page's text is the concatenation of
// its PDF.js text items (an item that ends a line adds "\n"); a
// TextPositionSelector counts characters of that text from the start of
// the page. PDF.js does not record quotes, so the app computes the
// TextQuoteSelector (exact + 32 characters of context either side) from
// the same text.
export const CONTEXT = 32;

// pageText joins the text items; starts[i] is where item i begins.
export function pageText(items) {
  let text = "";
  const starts = [];
  for (const it of items) {
    starts.push(text.length);
    text += it.str || "";
    if (it.hasEOL) text += "\n";
  }
  return { text, starts };
}

// selectors returns the quote and position selectors of [start, end).
export function selectors(text, start, end) {
  return [
    {
      type: "TextQuoteSelector",
      exact: text.slice(start, end),
      prefix: text.slice(Math.max(0, start - CONTEXT), start),
      suffix: text.slice(end, end + CONTEXT),
    },
    { type: "TextPositionSelector", start, end },
  ];
}

// normalize drops whitespace and keeps a map from each kept character to
// its offset in the original, so that text found whitespace-insensitively
// maps back to positions.
function normalize(s) {
  let out = "";
  const map = [];
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (/\s/.test(c) || c === "\u00ad") continue;
    out += c.toLowerCase();
    map.push(i);
  }
  return { out, map };
}

// locate finds the quote on the page: at the recorded position if the
// text there still is the quote, else the occurrence whose context
// matches best (whitespace-insensitively), nearest to the recorded
// position. It returns {start, end} or null.
export function locate(text, quote, position) {
  if (!quote || !quote.exact) return position ? { start: position.start, end: position.end } : null;
  if (position && text.slice(position.start, position.end) === quote.exact) return { start: position.start, end: position.end };
  const n = normalize(text);
  const q = normalize(quote.exact).out;
  if (!q) return null;
  const pre = normalize(quote.prefix || "").out;
  const suf = normalize(quote.suffix || "").out;
  let best = null;
  for (let i = n.out.indexOf(q); i >= 0; i = n.out.indexOf(q, i + 1)) {
    let score = 0;
    const before = n.out.slice(Math.max(0, i - pre.length), i);
    for (let k = 1; k <= Math.min(pre.length, before.length) && pre[pre.length - k] === before[before.length - k]; k++) score++;
    const after = n.out.slice(i + q.length, i + q.length + suf.length);
    for (let k = 0; k < Math.min(suf.length, after.length) && suf[k] === after[k]; k++) score++;
    const start = n.map[i];
    const dist = position ? Math.abs(start - position.start) : 0;
    score -= dist / 10000;
    if (!best || score > best.score) best = { score, start, end: n.map[i + q.length - 1] + 1 };
  }
  return best ? { start: best.start, end: best.end } : null;
}

// find returns all whitespace-insensitive, case-insensitive matches of
// query in text, as [start, end) offsets of text.
export function find(text, query) {
  const n = normalize(text);
  const q = normalize(query).out;
  const out = [];
  if (!q) return out;
  for (let i = n.out.indexOf(q); i >= 0; i = n.out.indexOf(q, i + q.length)) {
    out.push({ start: n.map[i], end: n.map[i + q.length - 1] + 1 });
  }
  return out;
}
