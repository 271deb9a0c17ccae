// Accessibility (WCAG 2.1 AA, as BITV 2.0 asks) of every portal page type,
// checked with axe-core in real headless Chromium: zero violations.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { startDemo, launchChromium, searchReady as ready } from "./demo.mjs";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");
let server, base, browser, account;
const searchReady = () => ready(base);

before(async () => {
  ({ server, base, account } = await startDemo());
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.kill();
});

// One page of each type, found by following the portal's own links.
async function pages() {
  const api = await (await fetch(base + "/api/v1/meetings")).json();
  const meeting = api.data.find((m) => true);
  const detail = await (await fetch(base + "/api/v1/meetings/" + meeting.id)).json();
  const item = detail.agenda.find((i) => i.documents.length && i.papers);
  const person = (await (await fetch(base + "/organizations/1")).text()).match(/href="(\/persons\/\d+)"/)[1];
  await searchReady();
  return [
    "/", "/meetings", "/meetings/" + meeting.id, "/organizations", "/organizations/1", person,
    "/papers/" + item.papers[0].id, "/documents/" + item.documents[0].id, "/login", "/meetings/999999",
    "/search", "/search?q=Haushalt", "/search?q=Haushalt&kind=draft_resolution&from=2020-01-01", "/search?q=Quappwurzelbaum",
    "/documents/" + item.documents[0].id + "/diff?from=1",
  ];
}

test("the search box suggests words while typing, and works without JavaScript", async () => {
  await searchReady();
  const context = await browser.newContext({ locale: "de-DE" });
  const page = await context.newPage();
  await page.goto(base + "/search");
  await page.fill("#search-q", "Hausha");
  await page.waitForFunction(() => document.querySelectorAll("#search-suggestions option").length > 0, null, { timeout: 10000 });
  const first = await page.$eval("#search-suggestions option", (o) => o.value);
  assert.match(first.toLowerCase(), /^hausha/);
  await context.close();

  const noJS = await browser.newContext({ locale: "de-DE", javaScriptEnabled: false });
  const p2 = await noJS.newPage();
  await p2.goto(base + "/");
  await p2.fill("#header-q", "Haushalt");
  await Promise.all([p2.waitForNavigation(), p2.press("#header-q", "Enter")]);
  assert.match(p2.url(), /\/search\?q=Haushalt/);
  const link = await p2.$eval("ol.hits a.button", (a) => a.getAttribute("href"));
  assert.match(link, /^\/api\/v1\/documents\/\d+\/versions\/\d+\/file#page=\d+$/);
  await noJS.close();
});

test("every portal page type has no axe-core violations (WCAG 2.1 AA)", async () => {
  const list = await pages();
  for (const lang of ["de-DE", "en-US"]) {
    // The page's CSP forbids inline scripts, axe included; bypass it for the check only.
    const context = await browser.newContext({ locale: lang, bypassCSP: true });
    const page = await context.newPage();
    for (const path of list) {
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto(base + path);
        await page.addScriptTag({ content: axeSource });
        const result = await page.evaluate(async () =>
          await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
        const found = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
        assert.deepEqual(found, [], `${path} (${lang}, ${width}px)`);
        assert.ok(result.passes.length > 10, `axe checked almost nothing on ${path}`);
      }
    }
    await context.close();
  }
});

// The reader's pages — meeting list, agenda, a document with its side
// panel open, in day and night mode — signed in as a demo member.
test("the reader's pages have no axe-core violations (WCAG 2.1 AA)", async () => {
  const anna = account("anna");
  const auth = { Authorization: "Bearer " + anna.token };
  const meetings = (await (await fetch(base + "/api/v1/meetings", { headers: auth })).json()).data;
  let meeting, doc;
  for (const m of meetings) {
    const man = await (await fetch(base + `/api/v1/reader/meetings/${m.id}/manifest`, { headers: auth })).json();
    doc = man.documents?.find((d) => d.item);
    if (doc) { meeting = m.id; break; }
  }
  for (const lang of ["de-DE", "en-US"]) {
    const context = await browser.newContext({ locale: lang, bypassCSP: true });
    const page = await context.newPage();
    await page.goto(base + "/login?next=/reader/");
    await page.fill("#name", "anna");
    await page.fill("#password", anna.password);
    await page.click("form[action='/login'] button.primary");
    await page.waitForURL("**/reader/");
    // On a phone the toolbar folds its controls under "Mehr".
    const unfold = async (sel) => {
      if (!(await page.locator(sel).isVisible()) && await page.locator("#more").isVisible()) await page.click("#more");
    };
    const views = [
      ["/reader/", null],
      ["/reader/meetings/" + meeting, null],
      [`/reader/meetings/${meeting}/documents/${doc.id}`, "#thumbs-toggle"],
      [`/reader/meetings/${meeting}/documents/${doc.id}`, "#night"],
      // The note dialog, opened from a search hit.
      [`/reader/meetings/${meeting}/documents/${doc.id}`, async () => {
        await unfold("#q");
        await page.fill("#q", "der");
        await page.press("#q", "Enter");
        await page.waitForSelector("#note-text:not([disabled])");
        await page.click("#note-text");
        await page.waitForSelector("dialog[open] textarea");
      }],
    ];
    for (const [path, click] of views) {
      for (const width of [1280, 390]) {
        await page.setViewportSize({ width, height: 900 });
        await page.goto(base + path);
        await page.waitForSelector("body[data-ready]");
        if (typeof click === "function") await click();
        else if (click) {
          await unfold(click);
          await page.click(click);
        }
        await page.waitForTimeout(300);
        await page.addScriptTag({ content: axeSource });
        const result = await page.evaluate(async () =>
          await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
        const found = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
        assert.deepEqual(found, [], `${path} ${typeof click === "string" ? click : click ? "note dialog" : ""} (${lang}, ${width}px)`);
        assert.ok(result.passes.length > 10, `axe checked almost nothing on ${path}`);
      }
    }
    await context.close();
  }
});
