// Benchmark of the members' reader on a throttled link (20 Mbit/s, 40 ms
// round trip, emulated by Chromium through CDP Network.emulateNetworkConditions):
//
//  1. time to the first rendered page of a 500-page document (about
//     20 MB, a noise image per page like a scan), cold (nothing cached)
//     and with the app shell already in the browser cache — PDF.js loads
//     byte ranges (disableAutoFetch), not the whole file;
//  2. bytes moved by the re-sync of a meeting kept offline after one of
//     its documents got a new version, next to that version's size.
//
// It runs the real binary with the demo council and Debian's Chromium.
//
//	make deps-node && node bench/reader/main.mjs [--pages 500] [--image-kb 40]
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { makePDF } from "../../web/e2e/minipdf.mjs";

const arg = (name, def) => {
  const i = process.argv.indexOf("--" + name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const PAGES = arg("pages", 500);
const IMAGE = arg("image-kb", 40) * 1000;
const LINK = { offline: false, latency: 40, downloadThroughput: 20e6 / 8, uploadThroughput: 20e6 / 8 };
const root = new URL("../../", import.meta.url).pathname;

const tmp = mkdtempSync(join(tmpdir(), "bench-reader-"));
const bin = join(tmp, "ratsmappe");
execFileSync("go", ["build", "-o", bin, "./cmd/ratsmappe"], { cwd: root, stdio: "inherit" });
const data = join(tmp, "data");
const server = spawn(bin, ["serve", "--demo", "--data", data, "--addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", "ignore"] });
const base = await new Promise((resolve, reject) => {
  let out = "";
  const timer = setTimeout(() => reject(new Error("server did not start")), 300000);
  server.stdout.on("data", (b) => {
    out += b;
    const m = out.match(/listening on (http:\/\/\S+)/);
    if (m) { clearTimeout(timer); resolve(m[1]); }
  });
});
const accounts = JSON.parse(readFileSync(join(data, "demo-accounts.json"), "utf8"));
const acc = (n) => accounts.find((a) => a.name === n);
const api = async (who, path, opts = {}) => {
  const r = await fetch(base + path, { ...opts, headers: { Authorization: "Bearer " + acc(who).token, ...(opts.headers || {}) } });
  if (!r.ok) throw new Error(`${path}: ${r.status} ${await r.text()}`);
  return r.status === 204 ? null : r.json();
};
const upload = (docID, pdf, name) => {
  const form = new FormData();
  form.append("file", new Blob([pdf], { type: "application/pdf" }), name);
  return api("ratsbuero", `/api/v1/documents/${docID}/versions`, { method: "POST", body: form });
};

// A meeting of Anna's with at least three documents.
let meeting, man;
for (const m of (await api("anna", "/api/v1/meetings")).data) {
  man = await api("anna", `/api/v1/reader/meetings/${m.id}/manifest`);
  if (man.documents.filter((d) => d.item).length >= 3) { meeting = m.id; break; }
}
const [big, changed] = man.documents.filter((d) => d.item);

// The 500-page document, as a new version of one of the meeting's.
const lines = (p) => [`Sitzungsmappe – Seite ${p}`, "", ...Array.from({ length: 30 }, (_, i) => `Zeile ${i + 1} der Seite ${p}: Beschlussvorlage, Sachverhalt und Begründung.`)];
const packet = makePDF(Array.from({ length: PAGES }, (_, i) => lines(i + 1)), { imageBytes: IMAGE });
process.stderr.write(`uploading a ${PAGES}-page PDF (${(packet.length / 1e6).toFixed(1)} MB) …\n`);
const t0 = Date.now();
await upload(big.id, packet, "sitzungsmappe.pdf");
process.stderr.write(`ingested in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
man = await api("anna", `/api/v1/reader/meetings/${meeting}/manifest`);
const bigNow = man.documents.find((d) => d.id === big.id);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function signedIn(opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 1366 }, locale: "de-DE", ...opts });
  const page = await context.newPage();
  await page.goto(base + "/login?next=/reader/");
  await page.fill("#name", "anna");
  await page.fill("#password", acc("anna").password);
  await page.click("form[action='/login'] button.primary");
  await page.waitForURL("**/reader/");
  await page.waitForSelector("body[data-ready]");
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  // Count what crosses the wire, per request.
  const bytes = new Map();
  // (Bytes as they arrive, so that a request cancelled early — PDF.js
  // stops its first full request once it knows ranges work — counts
  // what it moved.)
  cdp.on("Network.responseReceived", (e) => bytes.set(e.requestId, { url: e.response.url, n: 0, got: 0 }));
  cdp.on("Network.dataReceived", (e) => { const b = bytes.get(e.requestId); if (b) b.got += e.encodedDataLength; });
  cdp.on("Network.loadingFinished", (e) => { const b = bytes.get(e.requestId); if (b) b.n = e.encodedDataLength; });
  return { context, page, cdp, bytes };
}

const docPath = `/reader/meetings/${meeting}/documents/${bigNow.id}`;

// 1. First page. Service workers off: this measures the network path, as
//    on a member's first visit (the worker would only add its cache).
async function firstPage(warm) {
  const { context, page, cdp, bytes } = await signedIn({ serviceWorkers: "block" });
  if (warm) {
    // The app shell and PDF.js in the browser's cache, as after any
    // earlier document: open another document first.
    await page.goto(base + `/reader/meetings/${meeting}/documents/${changed.id}`);
    await page.waitForSelector("body[data-first-page]");
  } else {
    await cdp.send("Network.clearBrowserCache");
  }
  await cdp.send("Network.emulateNetworkConditions", LINK);
  bytes.clear();
  const start = Date.now();
  await page.goto(base + docPath);
  await page.waitForSelector("body[data-first-page]", { timeout: 120000 });
  const wall = Date.now() - start;
  const since = Number(await page.evaluate(() => document.body.dataset.firstPage)); // ms since navigation start
  let pdf = 0, all = 0;
  await page.waitForTimeout(300);
  if (process.env.DEBUG) console.error([...bytes.values()].filter((b) => b.url.includes("/versions/")).map((b) => b.got));
  for (const { url, n, got } of bytes.values()) {
    all += Math.max(n, got);
    if (url.includes(`/documents/${bigNow.id}/versions/`)) pdf += Math.max(n, got);
  }
  await context.close();
  return { ms: Math.min(wall, since || wall), pdf, all };
}

const cold = await firstPage(false);
const warm = await firstPage(true);

// 2. Re-sync after one document changed. Service workers off here too:
//    CDP does not see (or throttle) what a worker fetches; the worker
//    passes the same requests through unchanged.
const { context, page, cdp, bytes } = await signedIn({ serviceWorkers: "block" });
await page.goto(base + "/reader/meetings/" + meeting);
await page.waitForSelector("body[data-ready]");
await page.click("#make-offline");
await page.waitForSelector("#remove-offline", { timeout: 300000 });
await page.waitForFunction(() => document.body.dataset.lastSyncBytes !== undefined);
const first = Number(await page.evaluate(() => document.body.dataset.lastSyncBytes));
// The office uploads a new version (about 1 MB) of another document.
const newVersion = makePDF(Array.from({ length: 25 }, (_, i) => lines(i + 1).concat(["Geänderte Fassung."])), { imageBytes: IMAGE, seed: 7 });
await upload(changed.id, newVersion, "neue-fassung.pdf");
man = await api("anna", `/api/v1/reader/meetings/${meeting}/manifest`);
const changedNow = man.documents.find((d) => d.id === changed.id);
await cdp.send("Network.emulateNetworkConditions", LINK);
bytes.clear();
await page.evaluate(() => { delete document.body.dataset.lastSyncBytes; });
const s0 = Date.now();
await page.click("#sync-offline");
await page.waitForFunction(() => document.body.dataset.lastSyncBytes !== undefined, null, { timeout: 120000 });
const syncMs = Date.now() - s0;
await page.waitForTimeout(300);
let moved = 0;
for (const { url, n, got } of bytes.values()) if (url.includes("/api/")) moved += Math.max(n, got);
if (process.env.DEBUG) console.error([...bytes.values()], await page.evaluate(() => document.body.dataset.lastSyncBytes), await page.textContent("#offline-info"));
await context.close();
await browser.close();
server.kill();
rmSync(tmp, { recursive: true, force: true });

const mb = (n) => (n / 1e6).toFixed(2) + " MB";
const ok = (b) => (b ? "met" : "MISSED");
console.log(`Reader on a throttled link (20 Mbit/s, 40 ms latency, Chromium network emulation)\n`);
console.log(`${PAGES}-page document: ${mb(bigNow.size)} (version ${bigNow.version}); whole file at 20 Mbit/s alone: ${(bigNow.size * 8 / 20e6).toFixed(1)} s`);
const row = (a, b, c, d) => console.log(a.padEnd(48) + b.padStart(8) + c.padStart(12) + d.padStart(12));
row("", "time", "PDF bytes", "all bytes");
row("first page, cold (app shell + PDF.js + ranges)", (cold.ms / 1000).toFixed(2) + "s", mb(cold.pdf), mb(cold.all));
row("first page, app shell cached (ranges only)", (warm.ms / 1000).toFixed(2) + "s", mb(warm.pdf), mb(warm.all));
console.log(`goal first page ≤ 1.5 s: ${ok(warm.ms <= 1500)} with the app installed, ${ok(cold.ms <= 1500)} cold\n`);
console.log(`Meeting ${meeting}: ${man.documents.length} documents, ${mb(man.size)} on the device (first download moved ${mb(first)})`);
console.log(`re-sync after one document changed: ${mb(moved)} over the API in ${(syncMs / 1000).toFixed(2)} s; the new version is ${mb(changedNow.size)}`);
console.log(`ratio ${(moved / changedNow.size).toFixed(3)}× — goal ≤ 1.1×: ${ok(moved <= 1.1 * changedNow.size)}`);
