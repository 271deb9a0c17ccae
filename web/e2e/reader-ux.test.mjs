// The reader as a council member lives in it on a tablet and a phone
// (issue 17), in real headless Chromium against the demo council: signing
// out asks first and names what it deletes (cancelling keeps the offline
// copies); every toolbar control is reachable on a 390 px wide phone; the
// in-document search keeps the page fitted, lists hits a page at a time
// with snippets cut at words; no target under 44 px on tablet pages; her
// committees first; the meeting list does not load PDF.js. A screenshot of
// each check is kept in web/e2e/screenshots/reader-ux-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { makePDF } from "./minipdf.mjs";
import { root, startDemo, launchChromium, smallTargets } from "./demo.mjs";

const shots = join(root, "web/e2e/screenshots");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const tablet = { width: 1024, height: 1366 };
const phone = { width: 390, height: 844 };
let server, base, account, apiAs, browser;

before(async () => {
  ({ server, base, account, apiAs } = await startDemo());
  browser = await launchChromium();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

// A meeting of Anna's with a document on its agenda.
async function pick() {
  const { body } = await apiAs("anna", "/api/v1/meetings?order=desc&limit=50");
  for (const m of body.data) {
    const { status, body: man } = await apiAs("anna", `/api/v1/reader/meetings/${m.id}/manifest`);
    const doc = status === 200 && man.documents.find((d) => d.item && d.pages >= 1);
    if (doc) return { meeting: m.id, doc, manifest: man };
  }
  throw new Error("no meeting of Anna's with documents");
}

async function signIn(viewport, extra = {}) {
  const context = await browser.newContext({ viewport, locale: "de-DE", hasTouch: true, ...extra });
  const page = await context.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  await page.goto(base + "/login?next=/reader/");
  await page.fill("#name", "anna");
  await page.fill("#password", account("anna").password);
  await page.click("form[action='/login'] button.primary");
  await page.waitForURL("**/reader/");
  await page.waitForSelector("body[data-ready]");
  return { context, page };
}

test("signing out asks first, names the offline copies it deletes, and cancelling keeps them", async () => {
  const { meeting } = await pick();
  const { context, page } = await signIn(tablet, { bypassCSP: true });
  await page.goto(base + "/reader/meetings/" + meeting);
  await page.waitForSelector("body[data-ready]");
  await page.click("#make-offline");
  await page.waitForSelector("#remove-offline");
  // The sign-out is not next to the language switch.
  const lang = await page.locator("header.bar a.lang").boundingBox();
  const out = await page.locator("form.signout button").boundingBox();
  assert.ok(out.x - (lang.x + lang.width) > 100, `sign-out ${out.x - (lang.x + lang.width)} px from "English"`);

  await page.click("form.signout button");
  await page.waitForSelector("dialog[open] #signout-what");
  const what = await page.textContent("#signout-what");
  assert.match(what, /Offline-Kopie von 1 Sitzung/);
  await page.screenshot({ path: join(shots, "reader-ux-1-signout-confirm.png") });
  // The dialog passes axe-core too.
  await page.addScriptTag({ content: axeSource });
  const axe = await page.evaluate(async () =>
    (await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } })).violations.map((v) => v.id));
  assert.deepEqual(axe, []);
  await page.click("#confirm-cancel");
  await page.waitForSelector("dialog[open]", { state: "detached" });
  assert.match(page.url(), new RegExp(`/reader/meetings/${meeting}$`), "still signed in, still here");
  const kept = await page.evaluate(async () => {
    let n = 0;
    for (const k of await caches.keys()) if (k.startsWith("ratsmappe-docs-")) n += (await (await caches.open(k)).keys()).length;
    return n;
  });
  assert.ok(kept > 0, "cancelling keeps the offline copies");
  await page.reload();
  await page.waitForSelector("body[data-ready]");
  assert.equal(await page.locator("#remove-offline").count(), 1, "the meeting is still offline");

  // Confirmed: everything goes.
  await page.click("form.signout button");
  await page.click("#confirm-ok");
  await page.waitForURL(base + "/");
  const left = await page.evaluate(async () =>
    (await caches.keys()).filter((k) => k.startsWith("ratsmappe-docs-")).length +
    (await indexedDB.databases()).filter((d) => d.name.startsWith("ratsmappe-reader-")).length);
  assert.equal(left, 0, "offline copies and notes are gone after confirming");
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("the sign-out confirmation names an annotation the server has not got yet", async () => {
  const { meeting, doc } = await pick();
  const { context, page } = await signIn(tablet);
  // The server cannot take annotations now: the bookmark stays queued.
  await page.route("**/api/v1/annotations/*", (route) => route.request().method() === "GET" ? route.continue() : route.fulfill({ status: 503, body: "" }));
  await page.goto(base + `/reader/meetings/${meeting}/documents/${doc.id}`);
  await page.waitForSelector("body[data-ready][data-first-page]");
  await page.click("#bookmark");
  await page.waitForSelector("body[data-pending='1']");
  await page.click("form.signout button");
  await page.waitForSelector("dialog[open] #signout-what");
  assert.match(await page.textContent("#signout-what"), /1 noch nicht übertragene Anmerkung – sie geht verloren/);
  await page.screenshot({ path: join(shots, "reader-ux-9-signout-unsent.png") });
  await page.click("#confirm-cancel");
  await page.waitForSelector("dialog[open]", { state: "detached" });
  assert.equal(await page.evaluate(() => document.body.dataset.pending), "1", "cancelling keeps the unsent note");
  await context.close();
});

test("on a 390 px phone every toolbar control is reachable and clickable", async () => {
  const { meeting, doc } = await pick();
  const { context, page } = await signIn(phone, { isMobile: true });
  await page.goto(base + `/reader/meetings/${meeting}/documents/${doc.id}`);
  await page.waitForSelector("body[data-ready][data-first-page]");
  assert.equal(await page.evaluate(() => document.documentElement.scrollWidth), phone.width, "nothing sticks out sideways");
  await page.screenshot({ path: join(shots, "reader-ux-2-phone-toolbar.png") });
  const ids = ["prev", "page-input", "next", "thumbs-toggle", "zoom-out", "zoom-in", "fit", "night", "q", "tool-read", "tool-pen", "tool-note", "highlight", "note-text", "bookmark"];
  const hidden = [];
  for (const id of ids) if (!(await page.locator("#" + id).isVisible())) hidden.push(id);
  assert.ok(hidden.length > 0 && await page.locator("#more").isVisible(), "the phone folds controls under Mehr");
  await page.click("#more");
  assert.equal(await page.getAttribute("#more", "aria-expanded"), "true");
  await page.screenshot({ path: join(shots, "reader-ux-3-phone-more.png") });
  for (const id of ids) {
    const el = page.locator("#" + id);
    await el.scrollIntoViewIfNeeded();
    const box = await el.boundingBox();
    assert.ok(box, `#${id} is not shown`);
    assert.ok(box.x >= 0 && box.x + box.width <= phone.width, `#${id} is off-screen sideways (${box.x}…${box.x + box.width})`);
    // What a finger at the control's centre would hit is the control.
    const hit = await page.evaluate(({ id, x, y }) => {
      const at = document.elementFromPoint(x, y);
      return !!at && (at.id === id || at.closest("#" + id) !== null);
    }, { id, x: box.x + box.width / 2, y: box.y + box.height / 2 });
    assert.ok(hit, `#${id} is covered`);
    assert.ok(box.height >= 43.5, `#${id} is ${box.height} px high`);
  }
  // A search on the phone: choosing a hit closes the panel lying over
  // the page.
  await page.fill("#q", "der");
  await page.press("#q", "Enter");
  await page.waitForSelector("#results ol.hits > li button");
  assert.ok(await page.locator("#sidebar").isVisible());
  await page.click("#results ol.hits > li:nth-child(2) button");
  await page.waitForSelector("#sidebar", { state: "hidden" });
  await page.screenshot({ path: join(shots, "reader-ux-8-phone-hit.png") });
  // They work: night mode, the pen.
  await page.click("#night");
  assert.equal(await page.getAttribute("#night", "aria-pressed"), "true");
  await page.click("#night");
  await page.click("#tool-pen");
  assert.equal(await page.getAttribute("#tool-pen", "aria-pressed"), "true");
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("in-document search on a tablet keeps the page fitted, lists 50 hits at a time, snippets start at a word", async () => {
  const { meeting, manifest, doc: first } = await pick();
  const doc = manifest.documents.find((d) => d.id !== first.id) || first;
  // 60 pages, three hits each: 180 hits.
  const pdf = makePDF(Array.from({ length: 60 }, (_, i) => [`Seite ${i + 1}: Die Haushaltsmittel fuer das Vorhaben`, `werden im Haushaltsplan bereitgestellt und die Haushaltssperre aufgehoben.`]));
  const form = new FormData();
  form.append("file", new Blob([pdf], { type: "application/pdf" }), "haushalt.pdf");
  assert.equal((await apiAs("ratsbuero", `/api/v1/documents/${doc.id}/versions`, { method: "POST", body: form })).status, 201);
  const { context, page } = await signIn(tablet);
  await page.goto(base + `/reader/meetings/${meeting}/documents/${doc.id}`);
  await page.waitForSelector("body[data-ready][data-first-page]");
  await page.fill("#q", "Haushalt");
  await page.press("#q", "Enter");
  await page.waitForSelector("#hit-count");
  assert.equal(await page.textContent("#hit-count"), "180 Treffer");
  assert.equal(await page.locator("#results ol.hits > li").count(), 50);
  assert.match(await page.textContent("#hits-shown"), /180 Treffer, 1–50 angezeigt/);
  // The page fits beside the panel: nothing of it is cut.
  await page.waitForTimeout(300);
  const fit = await page.evaluate(() => {
    const pages = document.getElementById("pages");
    const p = document.querySelector(".page");
    return { pageRight: p.getBoundingClientRect().right, paneRight: pages.getBoundingClientRect().right, scrollW: pages.scrollWidth, clientW: pages.clientWidth };
  });
  assert.ok(fit.scrollW <= fit.clientW + 1 && fit.pageRight <= fit.paneRight, `the page is cut: ${JSON.stringify(fit)}`);
  // Snippets start and end at word boundaries, the match marked.
  const snippets = await page.$$eval("#results ol.hits > li button", (bs) => bs.map((b) => b.textContent.replace(/^Seite \d+ /, "")));
  for (const s of snippets.slice(0, 10)) assert.match(s, /^(… )?(Seite|Die|die|Haushalt|fuer|das|werden|im|und|[A-ZÄÖÜ0-9])/, `snippet starts mid-word: ${s}`);
  assert.ok(await page.locator("#results ol.hits mark").count() >= 50);
  await page.screenshot({ path: join(shots, "reader-ux-4-search-tablet.png") });
  await page.click("#hits-more");
  assert.equal(await page.locator("#results ol.hits > li").count(), 100);
  await page.click("#hits-more");
  await page.click("#hits-more");
  assert.equal(await page.locator("#results ol.hits > li").count(), 180);
  assert.ok(await page.locator("#hits-more").isHidden());
  assert.deepEqual(page.errors, []);
  await context.close();
});

test("no target under 44 px on the reader's tablet pages", async () => {
  const { meeting, doc } = await pick();
  const { context, page } = await signIn(tablet);
  const found = [];
  for (const path of ["/reader/", "/reader/meetings/" + meeting, `/reader/meetings/${meeting}/documents/${doc.id}`]) {
    await page.goto(base + path);
    await page.waitForSelector("body[data-ready]");
    for (const s of await smallTargets(page, 44)) found.push(`${path}: ${s}`);
  }
  await page.screenshot({ path: join(shots, "reader-ux-5-targets-tablet.png") });
  assert.deepEqual(found, []);
  await context.close();
});

test("the member's own committees come first; the list says what is saved offline; it does not load PDF.js", async () => {
  const me = await apiAs("anna", "/api/v1/reader/me");
  assert.ok(me.body.committees.length > 0, "Anna is a member of committees");
  const { context, page } = await signIn(tablet);
  const requested = [];
  page.on("request", (r) => requested.push(r.url()));
  await page.goto(base + "/reader/");
  await page.waitForSelector("body[data-ready]");
  assert.equal(await page.getAttribute("#filter-mine", "aria-pressed"), "true");
  const mineCount = await page.locator("ul.meetings li").count();
  await page.screenshot({ path: join(shots, "reader-ux-6-my-committees.png") });
  await page.click("#filter-all");
  await page.waitForSelector("#filter-all[aria-pressed='true']");
  assert.ok(await page.locator("ul.meetings li").count() > mineCount, "all committees show more meetings");
  await page.reload();
  await page.waitForSelector("body[data-ready]");
  assert.equal(await page.getAttribute("#filter-all", "aria-pressed"), "true", "the choice is remembered");
  assert.deepEqual(requested.filter((u) => /pdf\.min\.mjs|viewer\.js/.test(u)), [], "the meeting list does not fetch PDF.js");

  // Offline with nothing saved: the list says so, and what to do.
  await context.setOffline(true);
  await page.reload().catch(() => {});
  await page.waitForSelector("body[data-ready]");
  assert.match(await page.textContent("main"), /Noch keine Sitzung offline gespeichert/);
  await page.screenshot({ path: join(shots, "reader-ux-7-offline-empty.png") });
  const { meeting } = await pick();
  await page.goto(base + "/reader/meetings/" + meeting).catch(() => {});
  await page.waitForSelector("body[data-ready]");
  assert.match(await page.textContent("h1"), /nicht auf diesem Gerät gespeichert.*Offline verfügbar machen/);
  await context.close();
});
