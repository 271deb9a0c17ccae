// Browser test of the council office's pages in real headless Chromium
// (Debian's /usr/bin/chromium, driven by playwright-core): sign in, create
// a meeting, add a public and a non-public item, upload a PDF by the file
// field, reorder with the arrow buttons, publish — then a citizen sees the
// public item and its document and only a stub of the other.
//
// The server is the real binary with the demo council on a free port.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { root, startDemo, launchChromium } from "./demo.mjs";
import { makePDF } from "./minipdf.mjs";

const shots = join(root, "web/e2e/screenshots");
let server, base, account, browser;

before(async () => {
  ({ server, base, account } = await startDemo());
  browser = await launchChromium();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.kill();
});

// samplePDF is the upload: a PDF the test makes itself (any real PDF
// will do here), so that the test runs on a clone without the corpus.
function samplePDF() {
  return {
    name: "Beschlussvorlage-Feuerwache-Nord.pdf",
    mimeType: "application/pdf",
    buffer: makePDF([
      ["Beschlussvorlage: Neubau der Feuerwache Nord", "", "Der Bauausschuss empfiehlt dem Gemeinderat den Neubau", "der Feuerwache Nord an der Hertzstraße."],
      ["Kosten und Finanzierung", "", "Die Kosten betragen 12,4 Millionen Euro."],
    ]),
  };
}

test("the office builds, fills and publishes a meeting; citizens see their share", async () => {
  const page = await browser.newPage({ viewport: { width: 1024, height: 1366 }, locale: "de-DE" });
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));

  await page.goto(base + "/login?next=/office");
  await page.fill("#name", "ratsbuero");
  await page.fill("#password", account("ratsbuero").password);
  await page.click("form[action='/login'] button.primary");
  await page.waitForURL("**/office");

  await page.selectOption("#org", { label: "Bauausschuss" });
  await page.fill("#mname", "Sondersitzung aus dem Browsertest");
  await page.fill("#mstart", "2027-01-20T17:00");
  await page.fill("#mloc", "Rathaus, Saal 2");
  await page.click("form[data-then=meeting] button.primary");
  await page.waitForURL("**/office/meetings/*");
  const meetingID = page.url().split("/").pop();

  const addItem = async (number, title, isPublic) => {
    await page.fill("#ni-n", number);
    await page.fill("#ni-t", title);
    if (isPublic) await page.check("form[data-action$='/items'] input[name=public][value=true]");
    await page.click("form[data-action$='/items'] button.primary");
    await page.waitForSelector(`ol.agenda .title:has-text("${title}")`);
  };
  await addItem("Ö 1", "Neubau Feuerwache Nord", true);
  await addItem("N 1", "Grundstücksankauf Müllerstraße", false);

  // Upload to the public item through its file field; progress, then the
  // document appears, non-public until released.
  await page.click("ol.agenda li:first-child summary");
  await page.setInputFiles("ol.agenda li:first-child form.upload.drop input[type=file]", samplePDF());
  await page.waitForSelector("ol.agenda li:first-child .docs a", { state: "attached", timeout: 60000 });
  // The panel stays open after the upload: the document is released there.
  await page.click("ol.agenda li:first-child .docs button:has-text('freigeben')");
  await page.waitForSelector("ol.agenda li:first-child .docs .badge:text-is('öffentlich')", { state: "attached" });

  // Reorder with the keyboard-friendly arrow button.
  await page.click("ol.agenda li:nth-child(2) button.up");
  await page.waitForTimeout(300);
  await page.reload();
  assert.equal((await page.textContent("ol.agenda li:first-child .number")).trim(), "N 1");
  await page.screenshot({ path: join(shots, "office-meeting.png") });

  await page.click("form[data-action$='/publish'] button.primary");
  await page.click("#confirm-dialog button[value=ok]"); // the consequence, confirmed
  await page.waitForSelector("strong:has-text('veröffentlicht')");
  assert.deepEqual(errors, []);

  // A citizen, in a fresh context without the office's cookie.
  const citizen = await browser.newPage({ locale: "de-DE" });
  await citizen.goto(base + "/meetings/" + meetingID);
  const text = await citizen.textContent("main");
  assert.match(text, /Neubau Feuerwache Nord/);
  assert.doesNotMatch(text, /Müllerstraße/);
  assert.match(text, /Nichtöffentlicher Tagesordnungspunkt/);
  const link = await citizen.getAttribute("ol.agenda a[href^='/files/']", "href");
  const resp = await citizen.request.get(base + link);
  assert.equal(resp.status(), 200);
  assert.equal(resp.headers()["content-type"], "application/pdf");
  await citizen.screenshot({ path: join(shots, "citizen-meeting.png") });
});
