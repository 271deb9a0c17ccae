// The real binary with the demo council on a free port, and Debian's
// Chromium: what every browser test and the reader benchmark start with.
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { chromium } from "playwright-core";
import { createRequire } from "node:module";
import assert from "node:assert/strict";

export const root = new URL("../../", import.meta.url).pathname;

// startDemo builds ./cmd/ratsmappe, serves the demo council from a fresh
// data directory and resolves when the server prints its address (within
// timeout ms). stderr is the server's log destination ("inherit" or
// "ignore").
export async function startDemo({ timeout = 120000, stderr = "inherit", env = {} } = {}) {
  const bin = join(mkdtempSync(join(tmpdir(), "rm-e2e-bin-")), "ratsmappe");
  execFileSync("go", ["build", "-o", bin, "./cmd/ratsmappe"], { cwd: root, stdio: "inherit" });
  const data = mkdtempSync(join(tmpdir(), "rm-e2e-data-"));
  const server = spawn(bin, ["serve", "--demo", "--data", data, "--addr", "127.0.0.1:0"], { stdio: ["ignore", "pipe", stderr], env: { ...process.env, ...env } });
  // The binary (75 MB) and the data directory go with the test: removed
  // when the server exits, or when this process does (a test that never
  // stopped its server stops it then). Each CI run otherwise left about
  // 600 MB in the temporary directory.
  const cleanup = () => {
    for (const dir of [dirname(bin), data]) {
      try { rmSync(dir, { recursive: true, force: true }); } catch {}
    }
  };
  server.on("exit", cleanup);
  process.on("exit", () => {
    if (server.exitCode === null && server.signalCode === null) server.kill();
    cleanup();
  });
  const base = await new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error("server did not start: " + out)), timeout);
    server.stdout.on("data", (b) => {
      out += b;
      const m = out.match(/listening on (http:\/\/\S+)/);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
  });
  // account returns the demo account called name (with its API token).
  const account = (name) => JSON.parse(readFileSync(join(data, "demo-accounts.json"), "utf8")).find((a) => a.name === name);
  return {
    server,
    bin,
    base,
    data,
    account,
    // apiAs asks the API at path as the demo account called name; the
    // body is parsed JSON, or text.
    apiAs: async (name, path, opts = {}) => {
      const resp = await fetch(base + path, { ...opts, headers: { Authorization: "Bearer " + account(name).token, ...(opts.headers || {}) } });
      return { status: resp.status, body: resp.headers.get("content-type")?.includes("json") ? await resp.json() : await resp.text() };
    },
  };
}

// launchChromium starts Debian's Chromium headless, as the tests need it.
export function launchChromium() {
  return chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
}

// searchReady resolves once the server at base answers searches: it
// builds its search index on first start and answers 503 until then.
export async function searchReady(base) {
  for (let i = 0; i < 600; i++) {
    if ((await fetch(base + "/api/v1/search?q=Haushalt")).ok) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("search index not built within a minute");
}

// smallTargets lists the visible interactive elements of page smaller
// than min px in either direction (WCAG 2.5.8's targets). Elements moved
// off-screen, like the skip link until it is focused, are not targets.
export function smallTargets(page, min) {
  return page.evaluate((min) => {
    const out = [];
    for (const el of document.querySelectorAll("a[href], button, input:not([type=hidden]), select, textarea, summary")) {
      const r = el.getBoundingClientRect();
      if (!r.width || !r.height || getComputedStyle(el).visibility === "hidden" || r.right < 0 || r.bottom < 0) continue;
      if (r.width < min - 0.5 || r.height < min - 0.5) {
        out.push(`${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""} "${(el.textContent || el.value || "").trim().slice(0, 40)}" ${r.width.toFixed(0)}×${r.height.toFixed(0)}`);
      }
    }
    return out;
  }, min);
}

// axe runs axe-core's WCAG 2.1 A and AA rules on page and fails on any
// violation; what names the page in the message. At least min rules must
// have been checked (a small page, such as the livestream overlay, has
// few to check).
export async function axe(page, what, min = 10) {
  const source = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
  await page.addScriptTag({ content: source });
  const result = await page.evaluate(async () =>
    await window.axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] } }));
  const found = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).slice(0, 3).join(", ")})`);
  assert.deepEqual(found, [], what);
  assert.ok(result.passes.length > min, `axe checked almost nothing on the ${what}: ${result.passes.length} rules`);
}
