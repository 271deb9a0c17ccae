// The portal as a citizen lives in it on a phone (issue 17), in real
// headless Chromium against the demo council: the first search hit in the
// first screen, a newest-first order, a calendar to subscribe to
// (webcal://) with an address to copy, and no target under 24 px (WCAG
// 2.2, 2.5.8) on any portal page type. A screenshot of each check is kept
// in web/e2e/screenshots/portal-ux-*.png.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { root, startDemo, launchChromium, searchReady as ready, smallTargets } from "./demo.mjs";

const shots = join(root, "web/e2e/screenshots");
const phone = { width: 390, height: 844 };
let server, base, browser;
const searchReady = () => ready(base);

before(async () => {
  ({ server, base } = await startDemo());
  browser = await launchChromium();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

test("a citizen's search on a phone shows the first hit in the first screen, by relevance or newest first", async () => {
  await searchReady();
  const context = await browser.newContext({ viewport: phone, locale: "de-DE", hasTouch: true, isMobile: true });
  const page = await context.newPage();
  await page.goto(base + "/");
  await page.fill("#header-q", "Haushalt");
  assert.equal(await page.getAttribute("#header-q", "placeholder"), "Dokumente durchsuchen", "the header's search box says what it is");
  await Promise.all([page.waitForURL("**/search?q=Haushalt"), page.press("#header-q", "Enter")]);
  const first = page.locator("ol.hits > li").first();
  const box = await first.locator(".hit-title a").boundingBox();
  assert.ok(box && box.y + box.height <= phone.height, `first hit's title ends at ${box?.y + box?.height} px, below the first screen`);
  await page.screenshot({ path: join(shots, "portal-ux-1-search-phone.png") });

  // Newest first: the hits' dates do not go up.
  await page.click(".sort a:has-text('Neueste zuerst')");
  await page.waitForURL(/sort=newest/);
  assert.equal(await page.getAttribute(".sort a[aria-current]", "href").then((h) => /sort=newest/.test(h)), true);
  const dates = await page.$$eval("ol.hits > li", (lis) => lis.map((li) => li.querySelector("p.muted").textContent));
  const parsed = dates.map((s) => {
    const m = /(\d+)\. (\S+) (\d{4})/.exec(s);
    const months = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"];
    return m ? new Date(+m[3], months.indexOf(m[2]), +m[1]).getTime() : 0;
  });
  assert.ok(parsed.length > 1);
  for (let i = 1; i < parsed.length; i++) assert.ok(parsed[i] <= parsed[i - 1], `hit ${i + 1} (${dates[i]}) is newer than hit ${i} (${dates[i - 1]})`);
  const newestBox = await page.locator("ol.hits > li .hit-title a").first().boundingBox();
  assert.ok(newestBox.y + newestBox.height <= phone.height, "newest first: first hit in the first screen");
  // The filters keep the order; their form is folded but at hand.
  await page.click("details.filters > summary");
  await page.selectOption("#f-kind", "draft_resolution");
  await Promise.all([page.waitForURL(/kind=draft_resolution/), page.click("details.filters button[type=submit]")]);
  assert.match(page.url(), /sort=newest/);
  await page.screenshot({ path: join(shots, "portal-ux-2-search-newest.png") });
  await context.close();
});

test("the calendar is offered to subscribe to (webcal://) with an address to copy", async () => {
  const context = await browser.newContext({ viewport: phone, locale: "de-DE", permissions: ["clipboard-read", "clipboard-write"] });
  const page = await context.newPage();
  for (const path of ["/", "/organizations/1"]) {
    await page.goto(base + path);
    const webcal = await page.getAttribute(".subscribe a[href^='webcal:']", "href");
    assert.match(webcal, /^webcal:\/\/127\.0\.0\.1:\d+\/.*calendar\.ics$/, path);
    const address = await page.inputValue(".subscribe input[readonly]");
    assert.equal(address, webcal.replace(/^webcal:/, "http:"), "the address to copy is the same calendar");
    const ics = await fetch(address);
    assert.equal(ics.status, 200);
    assert.match(await ics.text(), /^BEGIN:VCALENDAR/);
    await page.click(".subscribe button[data-copy]");
    await page.waitForSelector(".subscribe button[data-copy]:has-text('kopiert')");
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), address);
  }
  await page.locator(".subscribe").screenshot({ path: join(shots, "portal-ux-3-calendar.png") });
  await context.close();
});

test("no target under 24 px on any portal page type on a phone, header included", async () => {
  await searchReady();
  const api = await (await fetch(base + "/api/v1/meetings")).json();
  const meeting = api.data[0];
  const detail = await (await fetch(base + "/api/v1/meetings/" + meeting.id)).json();
  const item = detail.agenda.find((i) => i.documents.length && i.papers);
  const paths = ["/", "/meetings", "/meetings/" + meeting.id, "/organizations", "/organizations/1", "/papers/" + item.papers[0].id,
    "/documents/" + item.documents[0].id, "/search", "/search?q=Haushalt", "/search?q=Haushalt&sort=newest", "/login",
    "/documents/" + item.documents[0].id + "/diff?from=1"];
  const context = await browser.newContext({ viewport: phone, locale: "de-DE", hasTouch: true });
  const page = await context.newPage();
  const found = [];
  for (const path of paths) {
    await page.goto(base + path);
    for (const s of await smallTargets(page, 24)) found.push(`${path}: ${s}`);
  }
  await page.goto(base + "/");
  await page.screenshot({ path: join(shots, "portal-ux-4-targets-phone.png") });
  assert.deepEqual(found, []);
  await context.close();
});

test("the meeting list on a phone is a bounded page with a way on, not one long scroll", async () => {
  const context = await browser.newContext({ viewport: phone, locale: "de-DE" });
  const page = await context.newPage();
  await page.goto(base + "/meetings");
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  assert.ok(height < 3000, `the meeting list is ${height} px long on a phone`);
  assert.ok(await page.locator("a[href*='cursor=']").count() > 0, "a link leads on to more meetings");
  await page.screenshot({ path: join(shots, "portal-ux-5-meetings-phone.png") });
  await context.close();
});
