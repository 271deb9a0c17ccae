// Service worker of the reader (scope /reader/). It keeps the app shell
// so that the reader opens without network, and answers requests for the
// PDF files of meetings made available offline from the device's cache
// (the app puts them there; see store.js). The server replaces the
// release tag below with a hash of the reader's files, so that every new
// release installs a new worker with a fresh shell.
const RELEASE = "__RELEASE__";
const SHELL = "ratsmappe-shell-" + RELEASE;
const CORE = [
  "/reader/shell",
  "/reader/files/app.js",
  "/reader/files/viewer.js",
  "/reader/files/store.js",
  "/reader/files/anchor.js",
  "/reader/files/reader.css",
  "/reader/files/icon.svg",
  "/reader/files/icon-192.png",
  "/reader/files/manifest.webmanifest",
  "/reader/files/pdfjs/pdf.min.mjs",
  "/reader/files/pdfjs/pdf.worker.min.mjs",
  // PDF.js's standard fonts (the server fills in the list): documents
  // that do not embed Helvetica or Times render offline as they do online.
  ...__FONTS__,
];

self.addEventListener("install", (e) => {
  e.waitUntil((async () => {
    const c = await caches.open(SHELL);
    await c.addAll(CORE.map((u) => new Request(u, { credentials: "same-origin", cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (e) => {
  e.waitUntil((async () => {
    for (const k of await caches.keys()) {
      if (k.startsWith("ratsmappe-shell-") && k !== SHELL) await caches.delete(k);
    }
    await self.clients.claim();
  })());
});

const isFile = (p) => /^\/api\/v1\/documents\/\d+\/versions\/\d+\/file$/.test(p);

self.addEventListener("fetch", (e) => {
  const req = e.request;
  if (req.method !== "GET") return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (req.mode === "navigate" && url.pathname.startsWith("/reader/")) {
    // Network first: online, the server decides (sign-in, language);
    // offline, the kept shell.
    e.respondWith(fetch(req).catch(async () => (await caches.match("/reader/shell", { cacheName: SHELL })) || Response.error()));
    return;
  }
  if (url.pathname.startsWith("/reader/files/")) {
    // Shell files: from the cache of this release, else the network
    // (and kept: PDF.js's fonts and character maps are fetched as needed).
    e.respondWith((async () => {
      const c = await caches.open(SHELL);
      const hit = await c.match(url.pathname);
      if (hit) return hit;
      const resp = await fetch(req);
      if (resp.ok) c.put(url.pathname, resp.clone());
      return resp;
    })());
    return;
  }
  if (isFile(url.pathname) && !url.search) {
    // A document the member made available offline. Cache first, with
    // byte ranges cut from the kept file, so that PDF.js can read it as
    // it would from the server.
    e.respondWith((async () => {
      const keys = await caches.keys();
      for (const k of keys) {
        if (!k.startsWith("ratsmappe-docs-")) continue;
        const hit = await (await caches.open(k)).match(url.pathname);
        if (hit) return ranged(req, hit);
      }
      return fetch(req);
    })());
  }
});

async function ranged(req, resp) {
  const range = req.headers.get("Range");
  if (!range) return resp;
  const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
  const blob = await resp.blob();
  if (!m) return resp;
  let start = m[1] === "" ? blob.size - Number(m[2]) : Number(m[1]);
  let end = m[1] === "" || m[2] === "" ? blob.size - 1 : Math.min(Number(m[2]), blob.size - 1);
  if (start < 0) start = 0;
  if (start > end || start >= blob.size) {
    return new Response(null, { status: 416, headers: { "Content-Range": `bytes */${blob.size}` } });
  }
  return new Response(blob.slice(start, end + 1), {
    status: 206,
    headers: {
      "Content-Type": "application/pdf",
      "Content-Range": `bytes ${start}-${end}/${blob.size}`,
      "Content-Length": String(end - start + 1),
      "Accept-Ranges": "bytes",
    },
  });
}
