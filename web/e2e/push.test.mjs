// Web Push from the reader (issue 14), in real headless Chromium against
// the demo council: Anna switches on notifications on her tablet, the
// reader subscribes with the server's VAPID key and registers the
// subscription; the office adds an item to one of her meetings; the
// server's notice reaches the push service encrypted, and the push
// service's decryption shows what Anna is told. The reader's list of what
// changed shows the same.
//
// The push service is web-push-testing (npm), a local stand-in that checks
// the VAPID signature and decrypts the payload: browsers' own push
// services (Google's FCM for Chromium) are not reachable from test
// machines, so the page's PushManager.subscribe is pointed at it. The rest
// — the reader's switch, the server's key, encryption, the outbox, the
// notices worker — is the real path.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { root, startDemo, launchChromium, smallTargets } from "./demo.mjs";

const shots = join(root, "web/e2e/screenshots");
const tablet = { width: 1024, height: 1366 };
let server, base, account, apiAs, browser, pushService, pushURL;

function freePort() {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

async function pushPost(path, body) {
  const resp = await fetch(pushURL + path, { method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!resp.ok) throw new Error(`${path}: ${resp.status} ${await resp.text()}`);
  return resp.json();
}

before(async () => {
  const port = await freePort();
  pushService = spawn("node", [join(root, "node_modules/web-push-testing/src/bin/server.js"), String(port)],
    { cwd: mkdtempSync(join(tmpdir(), "rm-push-")), stdio: "ignore" });
  pushURL = `http://localhost:${port}`;
  for (let i = 0; ; i++) {
    try {
      if ((await fetch(pushURL + "/status", { method: "POST" })).ok) break;
    } catch { /* not yet */ }
    if (i > 300) throw new Error("web-push-testing did not start");
    await new Promise((r) => setTimeout(r, 100));
  }
  ({ server, base, account, apiAs } = await startDemo({ env: { RATSMAPPE_PUSH_HOSTS: "localhost", RATSMAPPE_PUSH_ALLOW_HTTP: "true" } }));
  browser = await launchChromium();
  mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  server?.kill();
  pushService?.kill();
});

test("notifications on the tablet: the reader subscribes, a change reaches the push service encrypted, and the reader lists it", async () => {
  const context = await browser.newContext({ viewport: tablet, locale: "de-DE", hasTouch: true });
  await context.grantPermissions(["notifications"], { origin: base });
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // The stand-in for the browser's push service (see the file's comment).
  let clientHash = "";
  await page.exposeFunction("testPushSubscribe", async (key) => {
    const { data } = await pushPost("/subscribe", { userVisibleOnly: "true", applicationServerKey: key });
    clientHash = data.clientHash;
    return data;
  });
  await page.addInitScript(() => {
    const b64 = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    const wrap = (data, key) => data && {
      endpoint: data.endpoint,
      options: { applicationServerKey: key },
      toJSON: () => ({ endpoint: data.endpoint, expirationTime: null, keys: data.keys }),
      unsubscribe: async () => { localStorage.removeItem("test-push"); return true; },
    };
    PushManager.prototype.subscribe = async function (opts) {
      const data = await window.testPushSubscribe(b64(opts.applicationServerKey));
      localStorage.setItem("test-push", JSON.stringify({ data, key: b64(opts.applicationServerKey) }));
      return wrap(data, opts.applicationServerKey);
    };
    PushManager.prototype.getSubscription = async function () {
      const s = JSON.parse(localStorage.getItem("test-push") || "null");
      return s && wrap(s.data, Uint8Array.from(atob(s.key.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)).buffer);
    };
  });

  await page.goto(base + "/login?next=/reader/");
  await page.fill("#name", "anna");
  await page.fill("#password", account("anna").password);
  await page.click("form[action='/login'] button.primary");
  await page.waitForURL("**/reader/");
  await page.waitForSelector("body[data-ready]");
  await page.waitForSelector("#push-toggle");
  assert.equal(await page.getAttribute("#push-toggle", "aria-checked"), "false");
  await page.click("#push-toggle");
  await page.waitForSelector("#push-toggle[aria-checked='true']");
  assert.match(await page.textContent("#push-state"), /erhält Mitteilungen/);
  const devices = await apiAs("anna", "/api/v1/push/subscriptions");
  assert.equal(devices.body.devices.length, 1, JSON.stringify(devices.body));
  assert.ok(clientHash, "the reader did not subscribe at the push service");
  assert.deepEqual(await smallTargets(page, 44), [], "targets under 44 px on the tablet");

  // The office adds an item to Anna's next published meeting.
  const me = (await apiAs("anna", "/api/v1/reader/me")).body;
  const today = new Date().toISOString().slice(0, 10);
  const { body: list } = await apiAs("anna", `/api/v1/meetings?from=${today}&limit=100`);
  const meeting = list.data.find((m) => (me.committees || []).includes(m.organization));
  assert.ok(meeting, "Anna has no upcoming meeting");
  const title = "Nachtrag: Sanierung der Turnhalle Am Anger";
  const added = await apiAs("ratsbuero", `/api/v1/meetings/${meeting.id}/items`, {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify({ number: "Ö 99", title, public: true }),
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));

  // The push service decrypts what reached it.
  let messages = [];
  for (let i = 0; i < 150 && !messages.length; i++) {
    await new Promise((r) => setTimeout(r, 200));
    messages = (await pushPost("/get-notifications", { clientHash })).data.messages;
  }
  assert.equal(messages.length, 1, "no push within 30 s");
  const push = JSON.parse(messages[0]);
  assert.match(push.title, new RegExp(meeting.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")));
  assert.match(push.body, /Sanierung der Turnhalle Am Anger/);
  assert.ok(push.tag && push.url.startsWith("/reader/meetings/"), JSON.stringify(push));

  // The reader's list shows the same, unread, and marks it read.
  await page.reload();
  await page.waitForSelector("#notices li.unread");
  assert.match(await page.textContent("#notices"), /Sanierung der Turnhalle Am Anger/);
  await page.screenshot({ path: join(shots, "push-1-notices.png") });
  await page.click("#notices-read");
  await page.waitForSelector("#notices li.read");
  assert.equal(await page.$("#notices li.unread"), null);

  // Switched off: the server forgets the device.
  await page.click("#push-toggle");
  await page.waitForSelector("#push-toggle[aria-checked='false']");
  assert.equal((await apiAs("anna", "/api/v1/push/subscriptions")).body.devices.length, 0);
  assert.deepEqual(errors, []);
  await context.close();
});
