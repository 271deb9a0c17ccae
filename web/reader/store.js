// Device storage of the reader: IndexedDB for meetings made available
// offline (their manifests), last-read versions, annotations and the queue
// of annotation writes not yet sent; Cache Storage for the PDF files.
//
// Everything is kept per account (database name and cache name carry the
// account id), so two members sharing a tablet never see each other's
// copies or notes.

let dbp = null;
let account = 0;

export function setAccount(id) {
  account = id;
  dbp = null;
}

export const docsCacheName = () => "ratsmappe-docs-" + account;

function open() {
  if (dbp) return dbp;
  dbp = new Promise((resolve, reject) => {
    const req = indexedDB.open("ratsmappe-reader-" + account, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      db.createObjectStore("meetings", { keyPath: "meeting.id" });
      db.createObjectStore("reads", { keyPath: "document" });
      const a = db.createObjectStore("annotations", { keyPath: "uuid" });
      a.createIndex("document", "document");
      db.createObjectStore("queue", { keyPath: "uuid" });
      db.createObjectStore("kv", { keyPath: "key" });
    };
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
  return dbp;
}

async function tx(store, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const t = db.transaction(store, mode);
    const s = t.objectStore(store);
    let out;
    Promise.resolve(fn(s)).then((v) => { out = v; });
    t.oncomplete = () => resolve(out);
    t.onerror = () => reject(t.error);
    t.onabort = () => reject(t.error);
  });
}

const req2p = (r) => new Promise((res, rej) => { r.onsuccess = () => res(r.result); r.onerror = () => rej(r.error); });

export const get = (store, key) => tx(store, "readonly", (s) => req2p(s.get(key)));
export const put = (store, value) => tx(store, "readwrite", (s) => { s.put(value); });
export const del = (store, key) => tx(store, "readwrite", (s) => { s.delete(key); });
export const all = (store) => tx(store, "readonly", (s) => req2p(s.getAll()));
export const byDocument = (docID) => tx("annotations", "readonly", (s) => req2p(s.index("document").getAll(docID)));

// ---- annotations: local copy + queue of writes ----

// The document id an annotation's target names.
export function docOf(anno) {
  const m = /\/documents\/(\d+)\/versions\/(\d+)/.exec(anno?.target?.source || "");
  return m ? { document: +m[1], version: +m[2] } : { document: 0, version: 0 };
}

export function uuidOf(anno) {
  return String(anno.id || "").replace(/^.*[:/]/, "");
}

// saveLocal keeps an annotation on the device and queues its PUT.
export async function saveAnnotation(anno) {
  const uuid = uuidOf(anno);
  const d = docOf(anno);
  await put("annotations", { uuid, document: d.document, anno, deleted: false });
  await put("queue", { uuid, op: "put", anno, at: Date.now() });
}

export async function deleteAnnotation(uuid, docID) {
  await put("annotations", { uuid, document: docID, anno: null, deleted: true });
  await put("queue", { uuid, op: "delete", at: Date.now() });
}

// mergeServer replaces the device's copy of a document's annotations by
// the server's, except those with a write still queued (the device's
// newer state wins until it is sent).
export async function mergeServer(docID, list) {
  const queued = new Set((await all("queue")).map((q) => q.uuid));
  const local = await byDocument(docID);
  const seen = new Set();
  for (const anno of list) {
    const uuid = uuidOf(anno);
    seen.add(uuid);
    if (!queued.has(uuid)) await put("annotations", { uuid, document: docID, anno, deleted: false });
  }
  for (const l of local) {
    if (!seen.has(l.uuid) && !queued.has(l.uuid)) await del("annotations", l.uuid);
  }
}

// flush sends the queued writes, oldest first. A write the server refuses
// for good (4xx other than 401/408/429) is dropped from the queue so it
// cannot block the others; network errors and 5xx keep it for later.
export async function flush(csrf) {
  const q = (await all("queue")).sort((a, b) => a.at - b.at);
  let sent = 0;
  for (const item of q) {
    const url = "/api/v1/annotations/" + encodeURIComponent(item.uuid);
    let resp;
    try {
      resp = await fetch(url, {
        method: item.op === "put" ? "PUT" : "DELETE",
        credentials: "same-origin",
        headers: { "X-CSRF-Token": csrf, "Content-Type": "application/json" },
        body: item.op === "put" ? JSON.stringify(item.anno) : undefined,
      });
    } catch {
      break; // offline again
    }
    if (resp.status === 401 || resp.status === 403 || resp.status === 408 || resp.status === 429 || resp.status >= 500) break;
    const cur = await get("queue", item.uuid);
    if (cur && cur.at === item.at) await del("queue", item.uuid);
    if (resp.ok && item.op === "put") {
      try {
        const anno = await resp.json();
        if (anno && anno.id) await put("annotations", { uuid: item.uuid, document: docOf(anno).document, anno, deleted: false });
      } catch { /* an empty body is fine */ }
    }
    sent++;
  }
  return { sent, left: (await all("queue")).length };
}

// pull brings the device's copy of all the member's annotations (and
// those shared with her faction) up to date from the server's change feed,
// so that notes made on another device are there offline too. A change
// the device still has a queued write for is skipped: the queued write is
// newer and will be sent.
export async function pull() {
  const queued = new Set((await all("queue")).map((q) => q.uuid));
  let cursor = (await get("kv", "cursor"))?.value || "";
  for (let i = 0; i < 100; i++) {
    const resp = await fetch("/api/v1/annotations/changes?since=" + encodeURIComponent(cursor), { credentials: "same-origin" });
    if (!resp.ok) return;
    const r = await resp.json();
    for (const c of r.changes || []) {
      const uuid = uuidOf(c);
      if (queued.has(uuid)) continue;
      if (c.deleted || c.withheld || !c.annotation) await del("annotations", uuid);
      else await put("annotations", { uuid, document: c.document || docOf(c.annotation).document, anno: c.annotation, deleted: false });
    }
    cursor = r.next || cursor;
    await put("kv", { key: "cursor", value: cursor });
    if (!r.more) return;
  }
}

// ---- offline copies of meetings ----

// syncMeeting brings the device's copy of a meeting up to its manifest:
// it downloads each listed version not yet in the cache (nothing else),
// deletes cached files the manifest no longer lists, and keeps the
// manifest. progress(doneBytes, totalBytes) reports as it goes. It
// returns the bytes moved.
export async function syncMeeting(manifest, progress) {
  const cache = await caches.open(docsCacheName());
  const want = new Set(manifest.documents.map((d) => d.url));
  const old = await get("meetings", manifest.meeting.id);
  // Files of the old copy that this meeting no longer lists, unless
  // another meeting on the device still lists them.
  const others = (await all("meetings")).filter((m) => m.meeting.id !== manifest.meeting.id);
  const keep = new Set(others.flatMap((m) => m.documents.map((d) => d.url)));
  for (const d of old?.documents || []) {
    if (!want.has(d.url) && !keep.has(d.url)) await cache.delete(d.url);
  }
  const missing = [];
  for (const d of manifest.documents) {
    if (!(await cache.match(d.url))) missing.push(d);
  }
  const total = missing.reduce((n, d) => n + d.size, 0);
  let done = 0;
  progress?.(0, total);
  for (const d of missing) {
    const resp = await fetch(d.url, { credentials: "same-origin" });
    if (!resp.ok) throw new Error("download " + d.url + ": " + resp.status);
    const reader = resp.body.getReader();
    const parts = [];
    for (;;) {
      const { done: end, value } = await reader.read();
      if (end) break;
      parts.push(value);
      done += value.length;
      progress?.(done, total);
    }
    const blob = new Blob(parts, { type: "application/pdf" });
    await cache.put(d.url, new Response(blob, { headers: { "Content-Type": "application/pdf", "Content-Length": String(blob.size), "X-Sha256": d.sha256 } }));
  }
  manifest.synced = Date.now();
  await put("meetings", manifest);
  return done;
}

export async function removeMeeting(id) {
  const m = await get("meetings", id);
  if (!m) return;
  await del("meetings", id);
  const cache = await caches.open(docsCacheName());
  const keep = new Set((await all("meetings")).flatMap((x) => x.documents.map((d) => d.url)));
  for (const d of m.documents) if (!keep.has(d.url)) await cache.delete(d.url);
}

// wipe deletes the account's database and document cache.
export async function wipe() {
  const db = await open();
  db.close();
  dbp = null;
  await caches.delete(docsCacheName());
  await new Promise((resolve) => {
    const r = indexedDB.deleteDatabase("ratsmappe-reader-" + account);
    r.onsuccess = r.onerror = r.onblocked = () => resolve();
  });
}

export async function cachedFile(url) {
  const cache = await caches.open(docsCacheName());
  return cache.match(url);
}
