// Browser test of the chair's console (issue 16) beyond the vote itself,
// in real headless Chromium: in a committee's session the chair marks a
// member excused, records a council member as the deputy for that seat,
// and closes a show of hands with counts entered by hand; the chamber
// display shows the result. Then a roll call, and the member's page
// lists how they voted. axe-core finds nothing on the console and the
// person's page; the console's new targets are at least 44 px.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { createRequire } from "node:module";
import { root, startDemo, launchChromium, smallTargets } from "./demo.mjs";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
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

async function axe(page, what) {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () =>
    await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  const found = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
  assert.deepEqual(found, [], what);
  assert.ok(result.passes.length > 10, `axe checked almost nothing on the ${what}`);
}

// A published meeting of the Bauausschuss (anna and clara sit on it)
// with a public item.
async function pickMeeting() {
  const list = (await apiAs("ratsbuero", "/api/v1/meetings?limit=200")).body.data;
  for (const m of list) {
    if (m.organization !== "Bauausschuss" || !m.published) continue;
    const d = (await apiAs("ratsbuero", "/api/v1/meetings/" + m.id)).body;
    const pub = d.agenda.find((i) => i.public && !i.withdrawn);
    if (pub) return { meeting: d, pub };
  }
  throw new Error("no published Bauausschuss meeting with a public item in the demo");
}

test("the chair records excused members and deputies and counts a show of hands", async () => {
  const { meeting, pub } = await pickMeeting();
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
