// Browser test of the live session (issue 16) in real headless Chromium:
// the chair (ratsbuero) on the office's console, three members on their
// tablets (anna, bernd, clara) and the chamber display, each in its own
// browser context. The chair opens the session, records attendance until
// the body is quorate, opens a vote on a public item; two members vote on
// their tablets; the result reaches every tablet and the display. Then a
// vote on a non-public item from which clara is excluded: her tablet says
// she does not take part and offers no buttons, the server refuses her
// ballot, and neither the display nor an anonymous follower of the stream
// ever sees that vote. The livestream overlay shows the public item, its
// speaker and its result, and nothing at all while the non-public item is
// called. axe-core finds nothing on the new pages.
//
// The second test is the console beyond the vote itself: in a committee's
// session the chair marks a member excused, records a council member as
// the deputy for that seat, and closes a show of hands with counts
// entered by hand, which the chamber display shows; then a roll call, and
// the member's page (reached from the meeting page's link) lists how they
// voted.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { root, startDemo, launchChromium, smallTargets, axe } from "./demo.mjs";

const shots = join(root, "web/e2e/screenshots");
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

// A published meeting of org (by default the council, where all three
// demo members sit; anna and clara sit on the Bauausschuss) with a public
// item and, unless publicOnly, a non-public one.
async function pickMeeting(org = "Gemeinderat", publicOnly = false) {
  const list = (await apiAs("ratsbuero", "/api/v1/meetings?limit=200")).body.data;
  for (const m of list) {
    if (m.organization !== org || !m.published) continue;
    const d = (await apiAs("ratsbuero", "/api/v1/meetings/" + m.id)).body;
    const pub = d.agenda.find((i) => i.public && !i.withdrawn);
    const np = d.agenda.find((i) => !i.public && !i.withdrawn);
    if (pub && (np || publicOnly)) return { meeting: d, pub, np };
  }
  throw new Error(`no published meeting of ${org} with the items the test needs in the demo`);
}

// follow collects the events an anonymous follower of the stream gets.
function follow(id) {
  const events = [];
  const ctl = new AbortController();
  (async () => {
    const resp = await fetch(`${base}/api/v1/meetings/${id}/live`, { signal: ctl.signal });
    const dec = new TextDecoder();
    for await (const chunk of resp.body) events.push(dec.decode(chunk));
  })().catch(() => {});
  return { text: () => events.join(""), stop: () => ctl.abort() };
}


// watched opens path on a 1920 × 1080 screen that keeps in window.seen
// every text (hidden ones too) the page's #display ever held; its script
// errors go to errors.
async function watched(path, errors) {
  const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: "de-DE", bypassCSP: true });
  const page = await ctx.newPage();
  page.on("pageerror", (e) => errors.push(`${path}: ${e.message}`));
  await page.addInitScript(() => {
    window.seen = [];
    document.addEventListener("DOMContentLoaded", () => {
      new MutationObserver(() => window.seen.push(document.getElementById("display").textContent))
        .observe(document.getElementById("display"), { subtree: true, childList: true, characterData: true });
    });
  });
  await page.goto(base + path);
  return { ctx, page };
}

async function signIn(ctx, name, next) {
  const page = await ctx.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  await page.goto(base + "/login?next=" + encodeURIComponent(next));
  await page.fill("#name", name);
  await page.fill("#password", account(name).password);
  await Promise.all([page.waitForURL((u) => u.pathname === next), page.click("form[action='/login'] button.primary")]);
  page.errors = errors;
  return page;
}

test("chair, three tablets and the chamber display follow one session", async () => {
  const { meeting, pub, np } = await pickMeeting();
  const id = meeting.id;
  const clara = account("clara").person_id;
  let r = await apiAs("ratsbuero", `/api/v1/items/${np.id}/exclusions`, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ person_id: clara, reason: "Persönliche Beteiligung (Test)" }) });
  assert.ok(r.status < 300 || r.status === 409, "exclusion: " + JSON.stringify(r.body));
  const npTitle = (await apiAs("ratsbuero", "/api/v1/meetings/" + id)).body.agenda.find((i) => i.id === np.id).title;
  const anon = follow(id);

  const tablet = { viewport: { width: 1024, height: 1366 }, locale: "de-DE", bypassCSP: true, hasTouch: true };
  const chairCtx = await browser.newContext({ viewport: { width: 1280, height: 1600 }, locale: "de-DE", bypassCSP: true });
  const chair = await signIn(chairCtx, "ratsbuero", `/office/meetings/${id}`);
  const tablets = {};
  for (const name of ["anna", "bernd", "clara"]) {
    tablets[name] = await signIn(await browser.newContext(tablet), name, `/reader/meetings/${id}`);
    await tablets[name].waitForSelector("body[data-ready]");
  }
  // The display, and the overlay as a streaming program's browser source
  // would load it; each keeps every text it ever held.
  const displayErrors = [];
  const { ctx: displayCtx, page: display } = await watched(`/meetings/${id}/display`, displayErrors);
  const { ctx: overlayCtx, page: overlay } = await watched(`/meetings/${id}/overlay`, displayErrors);
  await display.waitForFunction(() => /nicht begonnen/.test(document.getElementById("d-state").textContent));

  // The chair opens the session and records attendance.
  await chair.waitForSelector("#live-console tbody tr");
  await chair.click("#live-start");
  await chair.waitForFunction(() => /läuft/.test(document.getElementById("live-state").textContent));
  await chair.waitForSelector("#live-quorum[data-reached='false']");
  // Anna checks in on her tablet; it counts once the office confirms it on
  // the console, which then shows when she came.
  const anna = account("anna").person_id;
  await tablets.anna.waitForSelector("#live-checkin");
  await tablets.anna.tap("#live-checkin");
  await tablets.anna.waitForSelector("#live-checked");
  await chair.waitForSelector(`#live-checkins button[data-person='${anna}']`, { timeout: 15000 });
  await chair.click(`#live-checkins button[data-person='${anna}']`);
  await chair.waitForSelector(`#live-console tr[data-person='${anna}'] button[data-status='present'][aria-pressed='true']`);
  assert.match(await chair.textContent(`#live-console tr[data-person='${anna}'] .live-times`), /gekommen \d\d:\d\d/);
  await tablets.anna.waitForSelector("#live-checked", { state: "detached" });
  await chair.click("#live-all-present");
  // Quorum comes halfway through; the rest are recorded after it.
  await chair.waitForFunction(() => /alle \d+ Mitglieder anwesend/.test(document.getElementById("live-done").textContent));
  await chair.waitForSelector("#live-quorum[data-reached='true']");
  const rows = await chair.$$eval("#live-console tbody tr", (trs) => trs.map((tr) => +tr.dataset.person));
  const others = rows.filter((p) => ![account("anna").person_id, account("bernd").person_id, clara].includes(p));
  await chair.click(`#live-console tr[data-person='${others.at(-1)}'] button[data-status='absent']`);
  await chair.waitForSelector(`#live-console tr[data-person='${others.at(-1)}'] button[data-status='absent'][aria-pressed='true']`);
  await chair.waitForSelector("#live-quorum[data-reached='true']");
  await display.waitForFunction(() => /Beschlussfähig/.test(document.getElementById("d-quorum").textContent));

  // A vote on the public item: anna and bernd vote on their tablets;
  // clara is excluded from it too, which her tablet learns from the
  // server's refusal (a public item looks the same to everyone).
  r = await apiAs("ratsbuero", `/api/v1/items/${pub.id}/exclusions`, { method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ person_id: clara, reason: "Persönliche Beteiligung (Test)" }) });
  assert.ok(r.status < 300, "exclusion: " + JSON.stringify(r.body));
  await chair.selectOption("#live-item", String(pub.id));
  await chair.click("#live-call");
  await overlay.waitForSelector("#display:not(.empty) #d-title");
  assert.equal(await overlay.textContent("#d-title"), pub.title);
  // Anna asks to speak on her tablet; the chair gives her the floor.
  await tablets.anna.waitForSelector("#live-speak");
  await tablets.anna.tap("#live-speak");
  await tablets.anna.waitForFunction(() => /Platz 1/.test(document.getElementById("live-waiting")?.textContent || ""));
  await chair.click(`#live-queue button[data-person='${anna}']`);
  await tablets.anna.waitForSelector("#live-floor");
  await chair.waitForFunction(() => /Es spricht: Anna/.test(document.getElementById("live-floor").textContent));
  await overlay.waitForFunction(() => /Es spricht: Anna/.test(document.getElementById("d-speaker").textContent));
  await display.waitForFunction(() => /Es spricht: Anna/.test(document.getElementById("d-speaker").textContent));
  // The speaking time per person and the faction's (anna is in the CDU).
  await chair.fill("#live-limit", "2");
  await chair.fill("#live-faction-limit", "10");
  await chair.click("#live-set-limit");
  await chair.waitForFunction(() => /Redezeit: 2 Min\. je Person, 10 Min\. je Fraktion/.test(document.getElementById("live-done").textContent));
  await overlay.waitForFunction(() => /Es spricht: Anna Beispiel \(CDU\) · 0:\d\d von 2:00 · CDU noch (10:00|9:\d\d)/.test(document.getElementById("d-speaker").textContent));
  await chair.selectOption("#live-kind", "open");
  await chair.selectOption("#live-rule", "simple");
  await chair.click("#live-open");
  await chair.waitForFunction(() => /0 von \d+ haben abgestimmt/.test(document.getElementById("live-vote").textContent));
  for (const name of ["anna", "bernd", "clara"]) await tablets[name].waitForSelector("#live-yes");
  await display.waitForFunction(() => /Abstimmung läuft/.test(document.getElementById("d-vote").textContent));
  await tablets.anna.screenshot({ path: join(shots, "live-1-tablet-vote.png") });
  await tablets.anna.tap("#live-yes");
  await tablets.anna.waitForSelector("#live-yes[aria-pressed='true']");
  await tablets.bernd.tap("#live-abstain");
  await tablets.bernd.waitForSelector("#live-abstain[aria-pressed='true']");
  await tablets.clara.tap("#live-yes");
  await tablets.clara.waitForSelector("#live-excluded");
  assert.equal(await tablets.clara.$("#live-yes"), null, "the refused member's buttons are gone");
  await chair.waitForFunction(() => /2 von \d+ haben abgestimmt/.test(document.getElementById("live-vote").textContent));
  assert.deepEqual((await smallTargets(tablets.anna, 44)).filter((s) => s.includes("#live-")), [], "ballot buttons ≥ 44 px");
  await chair.screenshot({ path: join(shots, "live-2-chair-console.png"), fullPage: false });
  await chair.click("#live-close");
  for (const name of ["anna", "bernd", "clara"]) {
    await tablets[name].waitForSelector("#live-result[data-adopted='true']");
    assert.match(await tablets[name].textContent("#live-result"), /Angenommen – Ja: 1, Nein: 0, Enthaltung: 1/);
  }
  await display.waitForSelector(".d-result.adopted");
  assert.match(await display.textContent("#d-vote"), /Angenommen/);
  assert.deepEqual(await display.$$eval(".d-count dd", (dds) => dds.map((d) => d.textContent)), ["1", "0", "1"]);
  await chair.waitForSelector("#live-result[data-adopted='true']");
  assert.match(await chair.textContent("#live-vote"), /Nicht beteiligt \(befangen\): .*Clara/);
  await display.screenshot({ path: join(shots, "live-3-display-result.png") });
  await overlay.waitForSelector("#display:not(.empty) .d-result.adopted");
  await overlay.screenshot({ path: join(shots, "live-3-overlay-result.png") });
  // The lower third is a small page: few rules apply to it.
  await axe(overlay, "livestream overlay", 5);
  await tablets.bernd.screenshot({ path: join(shots, "live-4-tablet-result.png") });

  // A vote on the non-public item: clara is excluded from it.
  const before = await display.evaluate(() => window.seen.length);
  await chair.selectOption("#live-item", String(np.id));
  await chair.click("#live-open");
  await chair.waitForFunction(() => /0 von \d+ haben abgestimmt/.test(document.getElementById("live-vote").textContent));
  await tablets.clara.waitForSelector("#live-excluded");
  assert.equal(await tablets.clara.$("#live-yes"), null, "an excluded member gets no ballot buttons");
  await tablets.clara.screenshot({ path: join(shots, "live-5-tablet-excluded.png") });
  const vote = (await apiAs("ratsbuero", `/api/v1/items/${np.id}/votes`)).body;
  const open = vote.votes.find((v) => v.state === "open");
  r = await apiAs("clara", `/api/v1/votes/${open.id}/ballot`, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ choice: "yes" }) });
  assert.equal(r.status, 403);
  assert.equal(r.body.reason, "excluded");
  await tablets.anna.waitForSelector("#live-yes");
  await tablets.anna.tap("#live-no");
  await tablets.anna.waitForSelector("#live-no[aria-pressed='true']");
  await chair.waitForFunction(() => /1 von \d+ haben abgestimmt/.test(document.getElementById("live-vote").textContent));
  await chair.click("#live-close");
  await tablets.anna.waitForSelector("#live-result[data-adopted='false']");
  await chair.waitForSelector("#live-result[data-adopted='false']");
  await display.waitForFunction((n) => window.seen.length > n, before);
  // Give the display the same time the tablets had, then look at all it showed.
  await tablets.bernd.waitForSelector("#live-result[data-adopted='false']");
  const seen = await display.evaluate(() => window.seen.join("\n"));
  assert.ok(!seen.includes(npTitle), "the display never shows the non-public item's title");
  assert.equal(await display.textContent("#d-vote"), "", "the display shows no vote of the non-public item");
  await display.screenshot({ path: join(shots, "live-6-display-nonpublic.png") });
  assert.ok(await overlay.$eval("#display", (d) => d.classList.contains("empty") && getComputedStyle(d).display === "none"),
    "the overlay shows nothing while the non-public item is called");
  const onAir = await overlay.evaluate(() => window.seen.join("\n"));
  assert.ok(!onAir.includes(npTitle), "the overlay never shows the non-public item's title");
  assert.ok(!onAir.includes(np.number) && !onAir.includes(np.title), "the overlay never shows the non-public item's stub");

  // The chair closes the session; every page is accessible.
  // Asked in the page's own dialog (not the browser's confirm()), which
  // a keyboard and a screen reader use like the rest of the console.
  await chair.click("#live-end");
  await chair.waitForSelector("#confirm-dialog[open]");
  assert.match(await chair.textContent("#confirm-text"), /Sitzung jetzt schließen/);
  await chair.click("#confirm-ok");
  await chair.waitForFunction(() => /beendet/.test(document.getElementById("live-state").textContent));
  await display.waitForFunction(() => /beendet/.test(document.getElementById("d-state").textContent));
  anon.stop();
  const stream = anon.text();
  assert.match(stream, /"adopted":true/, "the anonymous stream got the public result");
  assert.ok(!stream.includes(npTitle), "the anonymous stream never names the non-public item");
  assert.ok(!stream.includes(`"item":${np.id}`), "the anonymous stream never carries the non-public item's vote");

  await axe(display, "chamber display");
  await axe(chair, "chair console");
  await axe(tablets.anna, "reader with the live panel");
  assert.deepEqual([...displayErrors, ...chair.errors, ...tablets.anna.errors, ...tablets.clara.errors], []);
  for (const c of [chairCtx, displayCtx, overlayCtx]) await c.close();
});

test("the chamber display speaks English and is accessible before the session", async () => {
  const { meeting } = await pickMeeting();
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: "en-US", bypassCSP: true });
  const page = await ctx.newPage();
  await page.goto(`${base}/meetings/${meeting.id}/display?lang=en`);
  await page.waitForFunction(() => /has not started|has ended|is running/.test(document.getElementById("d-state").textContent));
  assert.equal(await page.getAttribute("html", "lang"), "en");
  await axe(page, "chamber display (English)");
  assert.equal((await page.goto(`${base}/meetings/99999999/display`)).status(), 404);
  await ctx.close();
});

test("the chair records excused members and deputies and counts a show of hands", async () => {
  const { meeting, pub } = await pickMeeting("Bauausschuss", true);
  const id = meeting.id;
  const anna = account("anna").person_id;
  const chairCtx = await browser.newContext({ viewport: { width: 1024, height: 1366 }, locale: "de-DE", bypassCSP: true, hasTouch: true });
  const chair = await chairCtx.newPage();
  const errors = [];
  chair.on("pageerror", (e) => errors.push(e.message));
  await chair.goto(base + "/login?next=" + encodeURIComponent(`/office/meetings/${id}`));
  await chair.fill("#name", "ratsbuero");
  await chair.fill("#password", account("ratsbuero").password);
  await Promise.all([chair.waitForURL((u) => u.pathname === `/office/meetings/${id}`), chair.click("form[action='/login'] button.primary")]);
  const displayCtx = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: "de-DE" });
  const display = await displayCtx.newPage();
  await display.goto(`${base}/meetings/${id}/display`);

  // says waits until the console confirms in words what it recorded.
  const says = (re) => chair.waitForFunction((src) => new RegExp(src).test(document.getElementById("live-done").textContent), re.source);
  await chair.waitForSelector("#live-console tbody tr");
  await chair.click("#live-start");
  await chair.waitForFunction(() => /läuft/.test(document.getElementById("live-state").textContent));
  await chair.click("#live-all-present");
  await says(/alle \d+ Mitglieder anwesend/);
  await chair.waitForSelector("#live-quorum[data-reached='true']");
  const members = await chair.$$eval("#live-console tbody tr", (trs) => trs.map((tr) => +tr.dataset.person));
  const away = members.find((p) => p !== anna);

  // One member is excused; the console says so in words.
  await chair.click(`#live-console tr[data-person='${away}'] button[data-status='excused']`);
  await chair.waitForSelector(`#live-console tr[data-person='${away}'] button[data-status='excused'][aria-pressed='true']`);
  await says(/Eingetragen: .+ – entschuldigt\./);
  const awayName = await chair.textContent(`#live-console tr[data-person='${away}'] th`);

  // A council member who is not on the committee sits for them.
  const deputy = await chair.$$eval("#live-deputy option", (os, ms) => +os.map((o) => o.value).find((v) => !ms.includes(+v)), members);
  assert.ok(deputy, "a person of the body outside the committee");
  await chair.selectOption("#live-deputy", String(deputy));
  await chair.selectOption("#live-deputy-for", String(away));
  await chair.click("#live-deputy-add");
  await chair.waitForSelector("#confirm-dialog[open]");
  assert.match(await chair.textContent("#confirm-text"), new RegExp(`in Vertretung für ${awayName}`));
  await chair.click("#confirm-ok");
  await chair.waitForSelector(`#live-console tr[data-person='${deputy}'] button[data-status='present'][aria-pressed='true']`);
  assert.match(await chair.textContent(`#live-console tr[data-person='${deputy}'] th`), new RegExp(`in Vertretung für ${awayName}`));
  await says(new RegExp(`sitzt in Vertretung für ${awayName}`));
  const att = (await apiAs("ratsbuero", `/api/v1/meetings/${id}/attendance`)).body;
  assert.equal(att.attendees.find((a) => a.person === away).status, "excused");
  assert.equal(att.attendees.find((a) => a.person === deputy).substitute_for, away);
  assert.equal(att.quorum.present, members.length, "every seat is taken, one by the deputy");
  await chair.waitForSelector(`#live-quorum[data-reached='true']`);

  // A show of hands: an open vote closed with counts entered by hand.
  await chair.selectOption("#live-item", String(pub.id));
  await chair.selectOption("#live-kind", "open");
  await chair.click("#live-open");
  await chair.waitForSelector("#live-hand-form:not([hidden])");
  assert.match(await chair.textContent("#live-hand-hint"), new RegExp(`höchstens ${members.length} Stimmen`));
  assert.deepEqual((await smallTargets(chair, 44)).filter((s) => s.includes("#live-")), [], "console targets ≥ 44 px");
  await chair.fill("#live-hand-yes", "3");
  await chair.fill("#live-hand-no", "1");
  await chair.fill("#live-hand-abstain", "1");
  await chair.screenshot({ path: join(shots, "live-console-1-hands.png") });
  await chair.click("#live-close-hand");
  await chair.waitForSelector("#confirm-dialog[open]");
  assert.match(await chair.textContent("#confirm-text"), /Ja 3, Nein 1, Enthaltung 1/);
  await chair.click("#confirm-ok");
  await chair.waitForSelector("#live-result[data-adopted='true']");
  await says(/von Hand gezählten Stimmen geschlossen: Ja 3, Nein 1, Enthaltung 1/);
  assert.ok(await chair.$eval("#live-hand-form", (f) => f.hidden), "no hand counts without an open vote");
  await display.waitForSelector(".d-result.adopted");
  assert.deepEqual(await display.$$eval(".d-count dd", (dds) => dds.map((d) => d.textContent)), ["3", "1", "1"]);
  await display.screenshot({ path: join(shots, "live-console-2-display-hands.png") });
  const votes = (await apiAs("ratsbuero", `/api/v1/items/${pub.id}/votes`)).body.votes;
  assert.equal(votes.at(-1).result.by_hand, true);

  // A roll call: never counted by hand; anna's page lists her vote.
  await chair.selectOption("#live-kind", "named");
  await chair.click("#live-open");
  await chair.waitForFunction(() => /0 von \d+ haben abgestimmt/.test(document.getElementById("live-vote").textContent));
  assert.ok(await chair.$eval("#live-hand-form", (f) => f.hidden), "a named vote offers no hand counts");
  const open = (await apiAs("ratsbuero", `/api/v1/items/${pub.id}/votes`)).body.votes.find((v) => v.state === "open");
  const r = await apiAs("anna", `/api/v1/votes/${open.id}/ballot`, { method: "PUT", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ choice: "no" }) });
  assert.equal(r.status, 200);
  await chair.waitForFunction(() => /1 von \d+ haben abgestimmt/.test(document.getElementById("live-vote").textContent));
  await chair.click("#live-close");
  await chair.waitForSelector("#live-result[data-adopted='false']");
  await axe(chair, "chair console");
  assert.deepEqual(errors, []);

  const citizen = await browser.newContext({ viewport: { width: 390, height: 844 }, locale: "de-DE", bypassCSP: true });
  const page = await citizen.newPage();
  await page.goto(`${base}/meetings/${id}`);
  await Promise.all([page.waitForURL(/\/persons\/\d+$/), page.click(`.rollcall a[href='/persons/${anna}']`)]);
  assert.match(await page.textContent(`tr[data-item='${pub.id}'] .choice`), /Nein/);
  await page.screenshot({ path: join(shots, "live-console-3-person.png"), fullPage: true });
  await axe(page, "person's page");
  await page.goto(`${base}/persons/${anna}?lang=en`);
  await axe(page, "person's page (English)");
  for (const c of [chairCtx, displayCtx, citizen]) await c.close();
});
