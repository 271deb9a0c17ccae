// Benchmark of the members' reader on a throttled link (20 Mbit/s each
// way, 40 ms round trip), made by a shaping TCP relay in this process
// between Chromium and the server — everything the browser, its service
// worker and PDF.js's worker fetch crosses it:
//
//  1. time to the first rendered page of a 500-page document (about
//     20 MB, a noise image per page like a scan) on a first visit (only
//     the sign-in and the meeting list came before, no service worker)
//     and with the app installed (its service worker keeps the shell and
//     PDF.js) — PDF.js loads byte ranges (disableAutoFetch), not the file;
//  2. bytes moved by the re-sync of a meeting kept offline after one of
//     its documents got a new version, next to that version's size.
//
// It runs the real binary with the demo council and Debian's Chromium.
//
//	make deps-node && node bench/reader/main.mjs [--pages 500] [--image-kb 40]
import net from "node:net";
import { rmSync } from "node:fs";
import { dirname } from "node:path";
import { makePDF } from "../../web/e2e/minipdf.mjs";
import { startDemo, launchChromium } from "../../web/e2e/demo.mjs";

const arg = (name, def) => {
  const i = process.argv.indexOf("--" + name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const PAGES = arg("pages", 500);
const IMAGE = arg("image-kb", 40) * 1000;
const RATE = 20e6 / 8 / 1000; // bytes per ms, each way
const ONE_WAY = 20; // ms

const { server, base, bin, data, account: acc } = await startDemo({ timeout: 300000, stderr: "ignore" });

// The link: a TCP relay in front of the server. While shaping, each
// direction is one 20 Mbit/s pipe shared by all connections, and every
// chunk arrives 20 ms after it left the pipe. It counts the bytes it
// carries towards the browser.
const link = { shaping: false, down: 0, free: { up: 0, down: 0 } };
function relay(from, to, dir) {
  from.on("data", (chunk) => {
    if (dir === "down") link.down += chunk.length;
    if (!link.shaping) return to.write(chunk);
    const now = performance.now();
    const start = Math.max(now, link.free[dir]);
    link.free[dir] = start + chunk.length / RATE;
    setTimeout(() => to.write(chunk), link.free[dir] + ONE_WAY - now);
  });
  from.on("end", () => setTimeout(() => to.end(), link.shaping ? Math.max(0, link.free[dir] + ONE_WAY - performance.now()) : 0));
  from.on("error", () => to.destroy());
}
const serverPort = Number(new URL(base).port);
const front = net.createServer((c) => {
  const s = net.connect(serverPort, "127.0.0.1");
  relay(c, s, "up");
  relay(s, c, "down");
});
await new Promise((r) => front.listen(0, "127.0.0.1", r));
const via = `http://127.0.0.1:${front.address().port}`;
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

const browser = await launchChromium();

async function signedIn(opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1024, height: 1366 }, locale: "de-DE", ...opts });
  const page = await context.newPage();
  await page.goto(via + "/login?next=/reader/");
  await page.fill("#name", "anna");
  await page.fill("#password", acc("anna").password);
  await page.click("form[action='/login'] button.primary");
  await page.waitForURL("**/reader/");
  await page.waitForSelector("body[data-ready]");
  return { context, page };
}

const docPath = `/reader/meetings/${meeting}/documents/${bigNow.id}`;

// shaped runs fn on the throttled link and returns its time and the bytes
// that came down.
async function shaped(fn) {
  await new Promise((r) => setTimeout(r, 300)); // nothing in flight
  link.shaping = true;
  link.free = { up: 0, down: 0 };
  const before = link.down;
  const t = performance.now();
  const out = await fn();
  const ms = performance.now() - t;
  link.shaping = false;
  return { ms, bytes: link.down - before, out };
}

// 1. First page, measured from the navigation to the first page painted.
async function firstPage(installed) {
  // Cold: no service worker, so that the viewer, PDF.js and its worker
  // travel during the measurement (only the sign-in and the meeting list
  // came before).
  const { context, page } = await signedIn(installed ? {} : { serviceWorkers: "block" });
  if (installed) {
    // The app as a member has it after any earlier visit: its service
    // worker keeps the shell and PDF.js. Open another document first.
    await page.goto(via + `/reader/meetings/${meeting}/documents/${changed.id}`);
    await page.waitForSelector("body[data-first-page]");
    await page.evaluate(() => navigator.serviceWorker.ready);
    await page.reload();
    await page.waitForSelector("body[data-first-page]");
  }
  const r = await shaped(async () => {
    await page.goto(via + docPath);
    await page.waitForSelector("body[data-first-page]", { timeout: 120000 });
    return Number(await page.evaluate(() => document.body.dataset.firstPage)); // ms since navigation start
  });
  await context.close();
  return { ms: r.out || r.ms, bytes: r.bytes };
}

const cold = await firstPage(false);
const warm = await firstPage(true);

// 2. Re-sync after one document changed.
const { context, page } = await signedIn();
await page.goto(via + "/reader/meetings/" + meeting);
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
await page.evaluate(() => { delete document.body.dataset.lastSyncBytes; });
const sync = await shaped(async () => {
  await page.click("#sync-offline");
  await page.waitForFunction(() => document.body.dataset.lastSyncBytes !== undefined, null, { timeout: 120000 });
});
await context.close();
await browser.close();
front.close();
server.kill();
rmSync(data, { recursive: true, force: true });
rmSync(dirname(bin), { recursive: true, force: true });

const mb = (n) => (n / 1e6).toFixed(2) + " MB";
const ok = (b) => (b ? "met" : "MISSED");
console.log(`Reader on a shaped link (20 Mbit/s each way, 40 ms round trip; TCP relay, all traffic)\n`);
console.log(`${PAGES}-page document: ${mb(bigNow.size)} (version ${bigNow.version}); the whole file would take ${(bigNow.size / RATE / 1000).toFixed(1)} s`);
const row = (a, b, c) => console.log(a.padEnd(52) + b.padStart(8) + c.padStart(14));
row("", "time", "bytes down");
row("first page, first visit (after sign-in and list)", (cold.ms / 1000).toFixed(2) + "s", mb(cold.bytes));
row("first page, app installed (byte ranges only)", (warm.ms / 1000).toFixed(2) + "s", mb(warm.bytes));
console.log(`goal first page ≤ 1.5 s: ${ok(warm.ms <= 1500)} with the app installed, ${ok(cold.ms <= 1500)} cold\n`);
console.log(`Meeting ${meeting}: ${man.documents.length} documents, ${mb(man.size)} on the device (first download moved ${mb(first)})`);
console.log(`re-sync after one document changed: ${mb(sync.bytes)} down in ${(sync.ms / 1000).toFixed(2)} s; the new version is ${mb(changedNow.size)}`);
console.log(`ratio ${(sync.bytes / changedNow.size).toFixed(3)}× — goal ≤ 1.1×: ${ok(sync.bytes <= 1.1 * changedNow.size)}`);
