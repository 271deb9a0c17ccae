// Browser tests of the council office as the clerk lives in it (issue 17),
// in real headless Chromium against the real binary with the demo
// council: agenda numbers that follow the order (in the office and in a
// member's reader), with a confirmation, an undo and a warning on
// duplicates; checkboxes and radio buttons next to their words; the
// per-item panel as a control that stays open after an upload; a refused
// upload shown as refused; publishing and taking back only after a
// confirmation that says the consequence; touch targets of at least 44 px
// on tablets. Each test keeps a screenshot in web/e2e/screenshots.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { root, startDemo, launchChromium } from "./demo.mjs";
import { makePDF } from "./minipdf.mjs";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const shots = join(root, "web/e2e/screenshots");
const shot = (name) => join(shots, "office-ux-" + name + ".png");
let server, base, account, browser, clerk;

before(async () => {
  ({ server, base, account } = await startDemo());
  browser = await launchChromium();
  mkdirSync(shots, { recursive: true });
  clerk = await signIn("ratsbuero", "/office", { width: 1280, height: 900 });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

// signIn returns a browser context signed in as name, at viewport.
async function signIn(name, next, viewport) {
  const context = await browser.newContext({ viewport, locale: "de-DE" });
  const page = await context.newPage();
  await page.goto(base + "/login?next=" + next);
  await page.fill("#name", name);
  await page.fill("#password", account(name).password);
  await page.click("form[action='/login'] button.primary");
  await page.waitForURL("**" + next);
  await page.close();
  return context;
}

// newMeeting creates a Bauausschuss meeting (anna is a member) through the
// office's form and returns its page, with JavaScript errors collected.
async function newMeeting(name) {
  const page = await clerk.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  await page.goto(base + "/office");
  await page.selectOption("#org", { label: "Bauausschuss" });
  await page.fill("#mname", name);
  await page.fill("#mstart", "2027-02-10T17:00");
  await page.click("form[data-then=meeting] button.primary");
  await page.waitForURL("**/office/meetings/*");
  page.meetingID = page.url().split("/").pop();
  return page;
}

// addItem adds an item through the form, choosing public or non-public
// with the radio pair and leaving the number to the office.
async function addItem(page, title, isPublic) {
  const form = page.locator("form[data-action$='/items']");
  await form.locator(`input[name=public][value=${isPublic}]`).check();
  await form.locator("input[name=title]").fill(title);
  await form.locator("button.primary").click();
  await page.waitForSelector(`ol.agenda .title:text-is("${title}")`);
}

// agenda reads the office's agenda as "number title".
const agenda = (page) => page.$$eval("ol.agenda.office > li .row", (rows) =>
  rows.map((r) => r.querySelector(".number").textContent.trim() + " " + r.querySelector(".title").textContent.trim()));

test("agenda numbers follow the order after a move, in the office and in a member's reader; saved, undoable, duplicates warned", async () => {
  const page = await newMeeting("Nummern folgen der Reihenfolge");
  await addItem(page, "Eröffnung", true);
  await addItem(page, "Radweg Lindenallee", true);
  await addItem(page, "Grundstücksankauf", false);
  assert.deepEqual(await agenda(page), ["Ö 1 Eröffnung", "Ö 2 Radweg Lindenallee", "N 1 Grundstücksankauf"]);

  // Move "Ö 2" up: it becomes Ö 1, with a confirmation that it was saved.
  await page.click("ol.agenda li:nth-child(2) button.up");
  await page.waitForSelector(".toast.shown .toast-msg:text-is('Reihenfolge gespeichert.')");
  assert.deepEqual(await agenda(page), ["Ö 1 Radweg Lindenallee", "Ö 2 Eröffnung", "N 1 Grundstücksankauf"]);
  assert.equal(await page.getAttribute("ol.agenda li:first-child button.up", "aria-label"), "Ö 1 nach oben");
  await page.screenshot({ path: shot("1-moved") });

  // Undo puts back the order and its numbers.
  await page.click(".toast button.undo");
  await page.waitForSelector(".toast-msg:text-is('Vorherige Reihenfolge wiederhergestellt.')");
  assert.deepEqual(await agenda(page), ["Ö 1 Eröffnung", "Ö 2 Radweg Lindenallee", "N 1 Grundstücksankauf"]);
  await page.reload();
  assert.deepEqual(await agenda(page), ["Ö 1 Eröffnung", "Ö 2 Radweg Lindenallee", "N 1 Grundstücksankauf"]);

  // Moved again, and stored so: the page read anew shows the new numbers.
  await page.click("ol.agenda li:nth-child(2) button.up");
  await page.waitForSelector(".toast.shown .toast-msg:text-is('Reihenfolge gespeichert.')");
  await page.reload();
  const moved = ["Ö 1 Radweg Lindenallee", "Ö 2 Eröffnung", "N 1 Grundstücksankauf"];
  assert.deepEqual(await agenda(page), moved);

  // A number typed by hand that another item has: a visible warning.
  assert.equal(await page.isVisible(".dup-warning"), false);
  await page.click("ol.agenda li:nth-child(3) summary");
  await page.fill("ol.agenda li:nth-child(3) input[name=number]", "Ö 1");
  assert.equal(await page.isChecked("ol.agenda li:nth-child(3) input[name=number_fixed]"), true, "typing a number fixes it by hand");
  await page.click("ol.agenda li:nth-child(3) form[data-method=PATCH] button[type=submit]");
  await page.waitForSelector(".dup-warning:visible");
  assert.equal(await page.locator("ol.agenda .badge.dup:text-is('Nummer doppelt')").count(), 2);
  await page.screenshot({ path: shot("1-duplicate") });
  // Released, the number follows the order again and the warning goes.
  await page.uncheck("ol.agenda li:nth-child(3) input[name=number_fixed]");
  await page.click("ol.agenda li:nth-child(3) form[data-method=PATCH] button[type=submit]");
  await page.waitForSelector(".dup-warning", { state: "hidden" });
  assert.deepEqual(await agenda(page), moved);

  // Published, a member of the committee reads the same numbers.
  await page.click("form[data-action$='/publish'] button.primary");
  await page.click("#confirm-dialog button[value=ok]");
  await page.waitForSelector("strong:has-text('veröffentlicht')");
  assert.deepEqual(page.errors, []);
  const member = await signIn("anna", "/reader/", { width: 820, height: 1180 });
  const reader = await member.newPage();
  await reader.goto(base + "/reader/meetings/" + page.meetingID);
  await reader.waitForSelector("body[data-ready]");
  const read = await reader.$$eval("main li[id^='item-']", (lis) =>
    lis.map((li) => li.querySelector(".number").textContent.trim() + " " + li.querySelector(".title").textContent.trim()));
  assert.deepEqual(read, moved);
  await reader.screenshot({ path: shot("1-reader") });
  await member.close();
  await page.close();
});

test("every checkbox and radio button sits next to its label; new items choose Ö or N visibly", async () => {
  const page = await newMeeting("Beschriftungen");
  await addItem(page, "Bericht der Verwaltung", false);
  await page.click("ol.agenda li:first-child summary");
  // The choice is explicit, with non-public as the visible default.
  const form = page.locator("form[data-action$='/items']");
  assert.equal(await form.locator("fieldset.choice legend").textContent(), "Sichtbarkeit");
  assert.equal(await form.locator("input[name=public][value=false]").isChecked(), true);
  assert.match(await form.locator("label:has(input[value=false])").textContent(), /nicht öffentlich \(N\)/);

  const boxes = await page.$$eval("label.check", (labels) => labels.filter((l) => l.getClientRects().length).map((l) => {
    const input = l.querySelector("input").getBoundingClientRect();
    const range = document.createRange();
    range.selectNodeContents(l);
    range.setStartAfter(l.querySelector("input"));
    const text = range.getBoundingClientRect();
    return { text: l.textContent.trim(), input: { x: input.x, y: input.y, w: input.width, h: input.height }, words: { x: text.x, y: text.y, w: text.width, h: text.height } };
  }));
  assert.ok(boxes.length >= 7, "labels checked: " + boxes.map((b) => b.text).join(", "));
  for (const b of boxes) {
    const inputMid = b.input.y + b.input.h / 2, wordsMid = b.words.y + b.words.h / 2;
    assert.ok(Math.abs(inputMid - wordsMid) < 6, `${b.text}: box and words on one line (${inputMid} vs ${wordsMid})`);
    const gap = b.words.x - (b.input.x + b.input.w);
    assert.ok(gap >= 0 && gap < 24, `${b.text}: words right after the box (gap ${gap})`);
    assert.ok(b.input.w < 40, `${b.text}: a box, not a full-width field (${b.input.w} px)`);
  }
  assert.ok(boxes.some((b) => b.text === "öffentlicher Teil"), "the minutes' part is labelled too");
  await page.locator("form[data-action$='/items']").screenshot({ path: shot("2-new-item") });
  await page.close();
});

// pdf is an upload the test makes itself, so it runs without the corpus.
const pdf = (name) => ({ name, mimeType: "application/pdf", buffer: makePDF([["Beschlussvorlage: Sanierung der Grundschule", "", "Die Kosten betragen 2,1 Millionen Euro."]]) });

test("the per-item panel is a control and stays open after an upload, so the document is released in it; a refusal shows as one", async () => {
  const page = await newMeeting("Unterlagen im Panel");
  await addItem(page, "Sanierung der Grundschule", true);
  const summary = page.locator("ol.agenda li:first-child summary");
  const look = await summary.evaluate((s) => {
    const cs = getComputedStyle(s);
    return { border: parseFloat(cs.borderTopWidth), cursor: cs.cursor, height: s.getBoundingClientRect().height };
  });
  assert.ok(look.border >= 1 && look.cursor === "pointer" && look.height >= 44, "summary looks like a button: " + JSON.stringify(look));

  await summary.click();
  await page.setInputFiles("ol.agenda li:first-child form.upload.drop input[type=file]", pdf("Vorlage-Grundschule.pdf"));
  await page.waitForSelector("ol.agenda li:first-child .docs a", { timeout: 60000 });
  assert.equal(await page.$eval("ol.agenda li:first-child details", (d) => d.open), true, "the panel is still open after the upload");
  assert.match(await page.textContent("ol.agenda li:first-child .docs li"), /\(1 Seite, Version 1\)/);
  await page.click("ol.agenda li:first-child .docs button:has-text('freigeben')");
  await page.waitForSelector("ol.agenda li:first-child .docs .badge:text-is('öffentlich')");
  assert.equal(await page.$eval("ol.agenda li:first-child details", (d) => d.open), true, "the panel is still open after the release");

  // Not a PDF: refused in words, in red, and no full blue bar.
  await page.setInputFiles("ol.agenda li:first-child form.upload.drop input[type=file]", { name: "Kein-PDF.pdf", mimeType: "application/pdf", buffer: Buffer.from("Das ist kein PDF.") });
  await page.waitForSelector("ol.agenda li:first-child form.upload.drop.refused");
  const refused = await page.$eval("ol.agenda li:first-child form.upload.drop", (f) => ({
    text: f.querySelector(".upload-status").textContent,
    color: getComputedStyle(f.querySelector(".upload-status")).color,
    bar: f.querySelector("progress").getClientRects().length,
  }));
  assert.match(refused.text, /„Kein-PDF.pdf“ abgelehnt: /);
  assert.equal(refused.color, "rgb(138, 28, 18)");
  assert.equal(refused.bar, 0, "the progress bar is gone");
  await page.locator("ol.agenda > li:first-child").screenshot({ path: shot("3-panel") });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("publishing and taking back ask first, saying what follows; a draft offers no way back to draft; a planned publication says so", async () => {
  const page = await newMeeting("Veröffentlichen mit Rückfrage");
  await addItem(page, "Haushalt 2027", true);
  await addItem(page, "Personalangelegenheit", false);
  assert.equal(await page.locator("button:has-text('Zurück zum Entwurf')").count(), 0, "no way back to draft for a draft");

  // Cancelled: nothing happens.
  await page.click("form[data-action$='/publish'] button.primary");
  await page.waitForSelector("#confirm-dialog[open]");
  assert.match(await page.textContent("#confirm-text"), /sofort für alle sichtbar: 1 öffentlicher Punkt mit .* 1 nichtöffentlicher Punkt für/);
  await page.screenshot({ path: shot("4-confirm-publish") });
  await page.click("#confirm-dialog button[value=cancel]");
  await page.reload();
  assert.match(await page.textContent("main"), /Status: Entwurf/);

  // Planned for a time: said so in the confirmation and in the status.
  await page.fill("#p-at", "2027-02-01T09:00");
  await page.click("form[data-action$='/publish'] button.primary");
  assert.match(await page.textContent("#confirm-text"), /Veröffentlichung für 01\.02\.2027, 09:00 planen\?/);
  await page.click("#confirm-dialog button[value=ok]");
  await page.waitForSelector("strong:has-text('Veröffentlichung geplant am 01.02.2027, 09:00')");
  assert.doesNotMatch(await page.textContent("main"), /Sperrfrist/);
  await page.goto(base + "/office?limit=200");
  assert.match(await page.textContent("table"), /Veröffentlichung geplant am 01\.02\.2027, 09:00/);
  await page.goBack();

  // Now, then taken back after a question that names the consequence.
  await page.click("button:has-text('Jetzt veröffentlichen')");
  await page.click("#confirm-dialog button[value=ok]");
  await page.waitForSelector("strong:has-text('veröffentlicht')");
  await page.click("button:has-text('Zurück zum Entwurf')");
  assert.match(await page.textContent("#confirm-text"), /Die Sitzung ist dann für die Öffentlichkeit nicht mehr sichtbar/);
  await page.screenshot({ path: shot("4-confirm-unpublish") });
  await page.click("#confirm-dialog button[value=ok]");
  await page.waitForSelector("strong:text-is('Entwurf')");
  assert.deepEqual(page.errors, []);
  await page.close();
});

// smallTargets lists the page's visible interactive elements smaller than
// min px in either direction; a checkbox or radio button counts with its
// label, which is its target.
const smallTargets = (page, min) => page.$$eval("a[href], button, input:not([type=hidden]), select, textarea, summary", (els, min) => {
  const out = [];
  for (const el of els) {
    const target = (el.type === "checkbox" || el.type === "radio") && el.closest("label") || el;
    const r = target.getBoundingClientRect();
    if (!r.width || !r.height || r.right <= 0 || getComputedStyle(target).visibility === "hidden") continue;
    if (r.width < min || r.height < min) out.push(`${el.tagName.toLowerCase()} “${(el.textContent || el.name || "").trim().slice(0, 40)}” ${Math.round(r.width)}×${Math.round(r.height)}`);
  }
  return out;
}, min);

test("no interactive element under 44 px on the office's pages on tablets, none under 24 px on the desktop", async () => {
  const page = await newMeeting("Berührungsflächen");
  await addItem(page, "Eröffnung", true);
  await page.setInputFiles("ol.agenda li:first-child form.upload.drop input[type=file]", pdf("Einladung.pdf"));
  await page.waitForSelector("ol.agenda li:first-child .docs a", { timeout: 60000 });
  const meeting = "/office/meetings/" + page.meetingID;
  await page.close();
  const admin = await signIn("admin", "/office", { width: 1024, height: 768 });
  for (const [context, viewports, min] of [[clerk, [{ width: 1024, height: 768 }, { width: 820, height: 1180 }], 44], [clerk, [{ width: 1280, height: 900 }], 24], [admin, [{ width: 1024, height: 768 }], 44]]) {
    const p = await context.newPage();
    for (const viewport of viewports) {
      await p.setViewportSize(viewport);
      for (const path of context === admin ? ["/office/audit"] : ["/office", meeting, "/office/calendar?month=2027-02"]) {
        await p.goto(base + path);
        if (path === meeting) await p.click("ol.agenda li:first-child summary"); // the panel's controls too
        assert.deepEqual(await smallTargets(p, min), [], `${path} at ${viewport.width}×${viewport.height}`);
        if (path === "/office") {
          // The check finds what it looks for.
          await p.evaluate(() => {
            const b = document.querySelector("main").appendChild(document.createElement("button"));
            b.textContent = "x";
            Object.assign(b.style, { minHeight: "0", padding: "0" }); // CSSOM: the CSP refuses style attributes
          });
          assert.equal((await smallTargets(p, min)).length, 1);
        }
        if (path === meeting && viewport.width === 820) await p.screenshot({ path: shot("5-tablet"), fullPage: true });
      }
    }
    await p.close();
  }
  await admin.close();
});

// The office's pages in the states the tests above bring about — a moved
// agenda with its undo, a duplicate warning, an open panel, the
// confirmation dialog — have no axe-core violations (WCAG 2.1 AA).
test("the office's pages have no axe-core violations, dialogs and messages included", async () => {
  const page = await newMeeting("Barrierefreiheit im Ratsbüro");
  await addItem(page, "Eröffnung", true);
  await addItem(page, "Bericht", true);
  const meeting = "/office/meetings/" + page.meetingID;
  await page.close();
  const views = [
    ["/office", null],
    ["/office/calendar?month=2027-02", null],
    [meeting, async (p) => {
      await p.click("ol.agenda li:nth-child(2) button.up");
      await p.waitForSelector(".toast.shown");
      await p.click("ol.agenda li:first-child summary");
    }],
    [meeting, async (p) => {
      await p.click("form[data-action$='/publish'] button.primary");
      await p.waitForSelector("#confirm-dialog[open]");
    }],
  ];
  for (const lang of ["de-DE", "en-US"]) {
    // The page's CSP forbids inline scripts, axe included; bypass it for the check only.
    const context = await browser.newContext({ locale: lang, bypassCSP: true, storageState: await clerk.storageState() });
    const p = await context.newPage();
    for (const [path, act] of views) {
      for (const width of [1280, 820]) {
        await p.setViewportSize({ width, height: 900 });
        await p.goto(base + path + (lang === "en-US" ? (path.includes("?") ? "&" : "?") + "lang=en" : ""));
        if (act) await act(p);
        await p.addScriptTag({ content: axeSource });
        const result = await p.evaluate(async () =>
          await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
        const found = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
        assert.deepEqual(found, [], `${path} (${lang}, ${width}px)`);
        assert.ok(result.passes.length > 10, `axe checked almost nothing on ${path}`);
      }
    }
    await p.screenshot({ path: shot("6-axe-" + lang) });
    await context.close();
  }
});
