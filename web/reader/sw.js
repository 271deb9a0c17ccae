// Service worker of the reader (scope /reader/). It keeps the app shell
// so that the reader opens without network. The PDF files of meetings
// made available offline are not its business: the app reads them from
// the signed-in account's own cache (store.js), so that no request of one
// account is ever answered from another's copies. The server replaces the
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
});

// Web Push (issue 14): the server sends {title, body, url, tag}, encrypted
// end to end (the push service sees none of it). The tag is the message's
// Message-ID, the same for every attempt to send it: a push delivered
// twice replaces the first notification instead of adding a second.
self.addEventListener("push", (e) => {
  let d = {};
  try {
    d = e.data ? e.data.json() : {};
  } catch (_) {
    d = { title: e.data ? e.data.text() : "" };
  }
  const title = d.title || "Ratsmappe";
  e.waitUntil(self.registration.showNotification(title, {
    body: d.body || "",
    tag: d.tag || undefined,
    icon: "/reader/files/icon-192.png",
    data: { url: d.url || "/reader/" },
  }));
});

// A tap on the notification opens (or focuses) the reader at its link;
// only paths of this origin are followed.
self.addEventListener("notificationclick", (e) => {
  e.notification.close();
  let url = (e.notification.data && e.notification.data.url) || "/reader/";
  if (!url.startsWith("/") || url.startsWith("//")) url = "/reader/";
  e.waitUntil((async () => {
    const wins = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const w of wins) {
      if (new URL(w.url).pathname === url && "focus" in w) return w.focus();
    }
    return self.clients.openWindow(url);
  })());
});
