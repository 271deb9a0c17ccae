// The reader app: meeting list → agenda → document. Every reader path is
// served the same shell; this script routes by location. Online it reads
// the JSON API (which applies the visibility policy); offline it reads the
// copies kept on the device (store.js).
import * as store from "./store.js";

const texts = JSON.parse(document.getElementById("reader-texts").textContent || "{}");
export const lang = document.documentElement.lang || "de";

// t returns the text of key with %1, %2 … replaced by args.
export function t(key, ...args) {
  let s = texts[key] ?? key;
  args.forEach((a, i) => { s = s.replace("%" + (i + 1), a); });
  return s;
}

// h builds an element: h("a", {href: "/x", class: "c"}, "text", child…).
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on")) el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (k === "text") el.textContent = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

const main = document.getElementById("main");
const statusEl = document.getElementById("status");

let sayTimer = 0;

// say announces msg (a live region) and shows it for a few seconds.
export function say(msg) {
  statusEl.textContent = msg;
  clearTimeout(sayTimer);
  sayTimer = setTimeout(() => { statusEl.textContent = ""; }, 5000);
}

export let me = null;

export function fmtBytes(n) {
  const u = ["B", "KB", "MB", "GB"];
  let i = 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return n.toLocaleString(lang, { maximumFractionDigits: i ? 1 : 0 }) + " " + u[i];
}

const fmtDate = (s) => new Date(s).toLocaleString(lang === "en" ? "en-GB" : "de-DE", {
  weekday: "short", day: "numeric", month: "long", year: "numeric", hour: "2-digit", minute: "2-digit", timeZone: "Europe/Berlin",
});

export async function api(path, opts = {}) {
  const resp = await fetch(path, { credentials: "same-origin", ...opts, headers: { Accept: "application/json", ...(opts.headers || {}) } });
  if (resp.status === 401) {
    location.href = "/login?next=" + encodeURIComponent(location.pathname);
    throw new Error("signed out");
  }
  if (!resp.ok) throw Object.assign(new Error(path + ": " + resp.status), { status: resp.status });
  return resp.json();
}

// who returns the signed-in account, from the server when online (and
// remembered for offline use).
async function who() {
  try {
    const m = await api("/api/v1/reader/me");
    localStorage.setItem("ratsmappe-me", JSON.stringify({ account: m.account, name: m.name, committees: m.committees || [] }));
    return m;
  } catch (e) {
    if (e.message === "signed out") throw e;
    const m = JSON.parse(localStorage.getItem("ratsmappe-me") || "null");
    if (!m) throw e;
    return { ...m, csrf: "", offline: true };
  }
}

// sync sends the queued annotation writes with a fresh CSRF token.
export async function sync() {
  if (!navigator.onLine) return updatePending();
  try {
    const m = await api("/api/v1/reader/me");
    me.csrf = m.csrf;
    await store.flush(m.csrf);
    await store.pull();
  } catch { /* stays queued */ }
  return updatePending();
}

// updatePending shows how many writes wait to be sent (and keeps the
// count in body[data-pending] for tests).
export async function updatePending() {
  const n = (await store.all("queue")).length;
  const el = document.getElementById("pending");
  if (el) el.textContent = n ? t("pending", n) : "";
  document.body.dataset.pending = String(n);
  document.dispatchEvent(new CustomEvent("reader:synced", { detail: n }));
  return n;
}

function offlineBanner() {
  document.body.classList.toggle("offline", !navigator.onLine);
  const el = document.getElementById("netstate");
  if (el) el.textContent = navigator.onLine ? "" : t("is_offline");
}

// header is the bar above every reader page: where the member is (the
// crumbs) and the language on the left; who is signed in and the sign-out
// on the right, away from the language switch, since signing out clears
// the device.
export function header(...crumbs) {
  const other = lang === "en" ? "de" : "en";
  return h("header", { class: "bar" },
    h("nav", { "aria-label": t("back_meetings") }, crumbs),
    h("a", { class: "lang", href: "?lang=" + other, hreflang: other, lang: other }, t("language")),
    h("span", { id: "netstate", class: "net" }),
    h("span", { id: "pending", class: "pending" }),
    h("form", { method: "post", action: "/logout", class: "signout", onsubmit: signOut },
      me?.name ? h("span", { class: "who meta" }, t("signed_in_as", me.name)) : null,
      h("input", { type: "hidden", name: "csrf_token", value: me?.csrf || "" }),
      h("button", { type: "submit", class: "quiet" }, t("signout"))),
  );
}

// confirmDialog shows a modal dialog with title, the body's elements and
// two buttons; it resolves true if the member chose ok.
export function confirmDialog(title, body, ok, { danger = false } = {}) {
  return new Promise((resolve) => {
    const dlg = h("dialog", { class: "confirm-dialog", "aria-labelledby": "confirm-h" },
      h("form", { method: "dialog" },
        h("h2", { id: "confirm-h" }, title),
        ...body,
        h("div", { class: "buttons" },
          h("button", { type: "submit", value: "ok", class: danger ? "primary danger" : "primary", id: "confirm-ok" }, ok),
          h("button", { type: "submit", value: "cancel", id: "confirm-cancel", autofocus: true }, t("cancel")))));
    dlg.addEventListener("close", () => {
      dlg.remove();
      resolve(dlg.returnValue === "ok");
    });
    document.body.append(dlg);
    dlg.showModal();
  });
}

// signOut leaves nothing of the member on the device: her offline copies,
// notes and queue are deleted before the sign-out is sent. Unsent notes
// are sent first; what would still be lost, and the offline copies that
// go, are named in a confirmation before anything is deleted.
async function signOut(e) {
  e.preventDefault();
  const form = e.target;
  if (!navigator.onLine) {
    say(t("signout_offline"));
    return;
  }
  const unsent = await sync();
  const stored = await store.all("meetings");
  const bytes = stored.reduce((n, m) => n + (m.size || 0), 0);
  const items = [
    stored.length === 0 ? t("signout_nomeetings") : stored.length === 1 ? t("signout_meeting1", fmtBytes(bytes)) : t("signout_meetings", stored.length, fmtBytes(bytes)),
    unsent === 1 ? t("signout_note1") : unsent > 1 ? t("signout_notes", unsent) : null,
  ].filter(Boolean);
  const ok = await confirmDialog(t("signout_title"), [
    h("p", {}, t("signout_intro")),
    h("ul", { id: "signout-what" }, items.map((x) => h("li", {}, x))),
    h("p", { class: "meta" }, t("signout_kept")),
  ], t("signout_confirm"), { danger: true });
  if (!ok) return;
  form.elements.csrf_token.value = me.csrf;
  if ("serviceWorker" in navigator && "PushManager" in window) await forgetPush();
  await store.wipe();
  localStorage.removeItem("ratsmappe-me");
  form.submit();
}

// ---- meeting list ----

async function pageMeetings() {
  document.title = t("meetings") + " – Ratsmappe";
  const stored = await store.all("meetings");
  const offlineIDs = new Set(stored.map((m) => m.meeting.id));
  let meetings;
  let offline = false;
  try {
    // Two bounded pages instead of every meeting: the upcoming ones from
    // (about) yesterday on, and the most recent past ones, newest first.
    // Dates are whole days, so each side takes a day's margin.
    const day = (ms) => new Date(ms).toISOString().slice(0, 10);
    const cut = Date.now() - 12 * 3600e3;
    const [up, past] = await Promise.all([
      api(`/api/v1/meetings?from=${day(cut - 24 * 3600e3)}&limit=200`),
      api(`/api/v1/meetings?to=${day(cut + 48 * 3600e3)}&order=desc&limit=40`),
    ]);
    const byID = new Map();
    for (const m of [...up.data, ...past.data]) byID.set(m.id, m);
    meetings = [...byID.values()];
  } catch (e) {
    if (e.message === "signed out") return;
    meetings = stored.map((m) => ({ ...m.meeting, organization: m.meeting.organization }));
    offline = true;
  }
  // A member sees her own committees' meetings first; the choice is
  // remembered on the device. Without committees (staff, guests) there is
  // nothing to choose.
  const mine = new Set(me?.committees || []);
  const canFilter = mine.size > 0 && meetings.some((m) => mine.has(m.organization));
  const onlyMine = canFilter && localStorage.getItem("ratsmappe-filter") !== "all";
  const shown = onlyMine ? meetings.filter((m) => mine.has(m.organization)) : meetings;
  const now = Date.now() - 12 * 3600e3;
  const upcoming = shown.filter((m) => new Date(m.start) >= now).sort((a, b) => new Date(a.start) - new Date(b.start));
  const past = shown.filter((m) => new Date(m.start) < now).sort((a, b) => new Date(b.start) - new Date(a.start)).slice(0, 30);
  const empty = offline ? t("none_offline") : onlyMine ? t("none_mine") : t("none");
  const list = (ms) => ms.length ? h("ul", { class: "meetings" }, ms.map((m) => h("li", {},
    h("a", { href: "/reader/meetings/" + m.id }, h("span", { class: "name" }, m.name)),
    h("span", { class: "when" }, fmtDate(m.start) + (m.location ? " · " + m.location : "")),
    offlineIDs.has(m.id) ? h("span", { class: "badge offline" }, t("offline_ready")) : null,
  ))) : h("p", { class: "empty" }, empty);
  const choose = (all) => () => {
    localStorage.setItem("ratsmappe-filter", all ? "all" : "mine");
    pageMeetings();
  };
  const filter = canFilter ? h("div", { class: "filter", role: "group", "aria-label": t("show") },
    h("button", { type: "button", id: "filter-mine", "aria-pressed": String(onlyMine), onclick: choose(false) }, t("mine")),
    h("button", { type: "button", id: "filter-all", "aria-pressed": String(!onlyMine), onclick: choose(true) }, t("all_committees")),
    onlyMine && meetings.length > shown.length
      ? h("span", { class: "meta" }, meetings.length - shown.length === 1 ? t("hidden_other1") : t("hidden_other", meetings.length - shown.length)) : null) : null;
  main.replaceChildren(
    header(h("a", { href: "/" }, t("portal"))),
    h("h1", {}, offline ? t("offline_list") : t("meetings")),
    offline ? null : noticesSection(),
    filter,
    offline && !stored.length ? h("p", { class: "empty" }, t("none_offline")) : h("div", {},
      h("section", { "aria-labelledby": "h-up" }, h("h2", { id: "h-up" }, t("upcoming")), list(upcoming)),
      h("section", { "aria-labelledby": "h-past" }, h("h2", { id: "h-past" }, t("past")), list(past))),
  );
}

// ---- what changed, and push on this device ----

// noticesSection lists what changed in the member's meetings (the same
// notices e-mail and push carry, each built from what she may see), with
// the switch for push notifications on this device. It fills itself in.
function noticesSection() {
  const list = h("ul", { class: "notices", id: "notices" });
  const head = h("h2", { id: "h-notices" }, t("notices"));
  const markRead = h("button", { type: "button", class: "quiet", id: "notices-read", hidden: true }, t("notices_read"));
  const sec = h("section", { class: "notices-box", "aria-labelledby": "h-notices" },
    h("div", { class: "notices-head" }, head, markRead), list, pushSwitch());
  api("/api/v1/notices?limit=20").then((r) => {
    const ns = r.notices || [];
    if (!ns.length) {
      list.replaceWith(h("p", { class: "empty", id: "notices" }, t("notices_none")));
      return;
    }
    head.textContent = r.unread ? t("notices_unread", r.unread) : t("notices");
    list.replaceChildren(...ns.map((n) => h("li", { class: n.read ? "read" : "unread" },
      h("a", { href: n.url }, lang === "en" ? n.text_en : n.text),
      h("span", { class: "when meta" }, fmtDate(n.created)))));
    if (r.unread) {
      markRead.hidden = false;
      markRead.onclick = async () => {
        await fetch("/api/v1/notices/read", { method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf }, body: JSON.stringify({ upto: ns[0].id }) });
        head.textContent = t("notices");
        markRead.hidden = true;
        list.querySelectorAll("li.unread").forEach((li) => li.classList.replace("unread", "read"));
        say(t("notices_marked"));
      };
    }
  }).catch(() => list.replaceWith(h("p", { class: "empty", id: "notices" }, t("notices_unavailable"))));
  return sec;
}

const b64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const unb64url = (s) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

// pushSubscription returns this device's push subscription, if any.
async function pushSubscription() {
  const reg = await navigator.serviceWorker.ready;
  return reg.pushManager.getSubscription();
}

// pushSwitch is the member's choice to get push notifications on this
// device: the browser asks for permission, subscribes with the server's
// key and the server keeps the subscription for her account.
function pushSwitch() {
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return h("p", { class: "meta" }, t("push_unsupported"));
  }
  // A switch (a button, so that it is a full-size touch target).
  const box = h("button", { type: "button", role: "switch", id: "push-toggle", class: "switch", "aria-checked": "false" }, t("push_label"));
  const state = h("span", { class: "meta", id: "push-state", "aria-live": "polite" });
  const set = (on) => box.setAttribute("aria-checked", String(on));
  (async () => {
    const sub = await pushSubscription().catch(() => null);
    set(!!sub && Notification.permission === "granted");
  })();
  box.addEventListener("click", async () => {
    const want = box.getAttribute("aria-checked") !== "true";
    box.disabled = true;
    try {
      if (want) {
        if (await Notification.requestPermission() !== "granted") {
          state.textContent = t("push_denied");
          return;
        }
        const { public_key: key } = await api("/api/v1/push/key");
        const reg = await navigator.serviceWorker.ready;
        let sub = await reg.pushManager.getSubscription();
        // A subscription made with another server key cannot be used.
        if (sub && sub.options && sub.options.applicationServerKey && b64url(sub.options.applicationServerKey) !== key) {
          await sub.unsubscribe();
          sub = null;
        }
        if (!sub) sub = await reg.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: unb64url(key) });
        const resp = await fetch("/api/v1/push/subscriptions", { method: "POST", credentials: "same-origin",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf },
          body: JSON.stringify({ ...sub.toJSON(), device: navigator.userAgentData?.platform || navigator.platform || "" }) });
        if (!resp.ok) {
          const e = await resp.json().catch(() => ({}));
          throw new Error((lang === "en" ? e.message_en : e.message) || String(resp.status));
        }
        set(true);
        state.textContent = t("push_on");
      } else {
        await forgetPush();
        set(false);
        state.textContent = t("push_off");
      }
    } catch (e) {
      state.textContent = t("push_failed", e.message);
    } finally {
      box.disabled = false;
    }
  });
  return h("p", { class: "push" }, box, " ", state);
}

// forgetPush removes this device's push subscription (signing out clears
// the device).
async function forgetPush() {
  try {
    const sub = await pushSubscription();
    if (!sub) return;
    await fetch("/api/v1/push/subscriptions", { method: "DELETE", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": me.csrf }, body: JSON.stringify({ endpoint: sub.endpoint }) });
    await sub.unsubscribe();
  } catch { /* best effort: the server forgets it at the push service's 410 */ }
}

// ---- agenda ----

// adoptReads takes the versions the member last read on any device, as
// the manifest lists them, into the device's record.
async function adoptReads(manifest) {
  for (const d of manifest.documents) {
    if (!d.last_read) continue;
    const local = await store.get("reads", d.id);
    if (!local || local.version < d.last_read) await store.put("reads", { document: d.id, version: d.last_read, at: Date.now() });
  }
}

async function badges(d) {
  const read = await store.get("reads", d.id);
  if (!read) return [h("span", { class: "badge new" }, t("badge_new"))];
  if (read.version < d.version) {
    return [h("a", { class: "badge changed", href: `/documents/${d.id}/diff?from=${read.version}&to=${d.version}` }, t("badge_changed"))];
  }
  return [];
}

async function pageAgenda(id) {
  let manifest = null;
  let stored = await store.get("meetings", id);
  let missing = false;
  try {
    manifest = await api(`/api/v1/reader/meetings/${id}/manifest`);
  } catch (e) {
    if (e.message === "signed out") return;
    missing = e.status === 404;
    if (missing) stored && await store.removeMeeting(id);
    manifest = missing ? null : stored;
  }
  if (!manifest) {
    main.replaceChildren(header(h("a", { href: "/reader/" }, t("back_meetings"))),
      h("h1", {}, missing ? t("not_found") : t("meeting_not_offline")));
    return;
  }
  const m = manifest.meeting;
  document.title = m.name + " – Ratsmappe";
  const docsByID = new Map(manifest.documents.map((d) => [d.id, d]));
  await adoptReads(manifest);
  const docLink = async (d) => h("li", {},
    h("a", { href: `/reader/meetings/${id}/documents/${d.id}` }, d.title),
    " ", h("span", { class: "meta" }, t("version", d.version) + " · " + (d.pages === 1 ? t("page_one") : t("pages", d.pages)) + " · " + fmtBytes(d.size)),
    d.late ? h("span", { class: "badge late" }, t("late")) : null,
    ...(await badges(d)));

  const progress = h("progress", { id: "progress", max: "1", value: "0", hidden: true, "aria-label": t("download") });
  const space = h("p", { id: "space", class: "meta" });
  const info = h("p", { id: "offline-info", role: "status" });
  const showSpace = async () => {
    if (!navigator.storage?.estimate) return;
    const est = await navigator.storage.estimate();
    space.textContent = t("space", fmtBytes(est.usage || 0), fmtBytes(est.quota || 0));
  };
  const doSync = async () => {
    if (!navigator.onLine) return;
    progress.hidden = false;
    progress.value = 0;
    try {
      const fresh = await api(`/api/v1/reader/meetings/${id}/manifest`);
      const moved = await store.syncMeeting(fresh, (done, total) => {
        progress.max = Math.max(total, 1);
        progress.value = done;
      });
      progress.value = progress.max;
      info.textContent = t("offline_done", fresh.documents.length, fmtBytes(moved));
      document.body.dataset.lastSyncBytes = String(moved);
      stored = fresh;
      renderControls();
    } catch (e) {
      info.textContent = t("error");
    }
    showSpace();
  };
  const controls = h("div", { class: "offline-controls" });
  const renderControls = () => {
    controls.replaceChildren(...[
      stored
        ? h("span", { class: "badge offline" }, t("offline_ready"))
        : h("button", { type: "button", class: "primary", id: "make-offline", onclick: doSync }, t("offline_make")),
      stored ? h("button", { type: "button", id: "sync-offline", onclick: doSync }, t("offline_sync")) : null,
      stored ? h("button", { type: "button", id: "remove-offline", onclick: async () => {
        await store.removeMeeting(id);
        stored = null;
        info.textContent = t("removed");
        renderControls();
        showSpace();
      } }, t("offline_remove")) : null,
    ].filter(Boolean));
  };
  renderControls();

  const items = [];
  for (const it of manifest.agenda) {
    const docs = [];
    for (const did of it.documents) if (docsByID.has(did)) docs.push(await docLink(docsByID.get(did)));
    items.push(h("li", { id: "item-" + it.id, tabindex: "-1" },
      h("span", { class: "number" }, it.number), " ",
      h("span", { class: "title" }, it.title),
      !it.public ? h("span", { class: "badge np" }, t("nonpublic")) : null,
      docs.length ? h("ul", { class: "docs" }, docs) : null));
  }
  const others = [];
  for (const d of manifest.documents) if (!d.item) others.push(await docLink(d));
  main.replaceChildren(
    header(h("a", { href: "/reader/" }, t("back_meetings"))),
    h("h1", {}, m.name),
    h("p", { class: "meta" }, fmtDate(m.start) + (m.location ? " · " + m.location : "")),
    h("section", { class: "offline", "aria-label": t("offline_make") }, controls, progress, info, space),
    h("h2", {}, t("agenda")),
    h("ol", { class: "agenda" }, items),
    ...(others.length ? [h("h2", {}, t("other_docs")), h("ul", { class: "docs" }, others)] : []),
  );
  showSpace();
  // A meeting kept on the device is brought up to date whenever it is
  // opened online: only changed versions travel.
  if (stored && navigator.onLine) doSync();
  if (location.hash) document.getElementById(location.hash.slice(1))?.focus();
  // The live session's panel (votes on the tablet) loads only here.
  import("./live.js").then((live) => live.follow(id, manifest)).catch(() => {});
}

// ---- start ----

async function start() {
  document.body.classList.toggle("night", localStorage.getItem("ratsmappe-night") === "1");
  if (!document.body.dataset.pdfjs) return; // the shell says what is missing
  // The viewer (and PDF.js) load while we ask who is signed in.
  const viewerP = /\/documents\/\d+$/.test(location.pathname) ? import("./viewer.js") : null;
  try {
    me = await who();
  } catch {
    return;
  }
  store.setAccount(me.account);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/reader/sw.js", { scope: "/reader/" }).catch(() => {});
  }
  window.addEventListener("online", () => { offlineBanner(); sync(); });
  window.addEventListener("offline", offlineBanner);
  const p = location.pathname;
  let m;
  if ((m = /^\/reader\/meetings\/(\d+)\/documents\/(\d+)$/.exec(p))) {
    const viewer = await viewerP;
    await viewer.open(+m[1], +m[2], { main, header });
  } else if ((m = /^\/reader\/meetings\/(\d+)$/.exec(p))) {
    await pageAgenda(+m[1]);
  } else {
    await pageMeetings();
  }
  offlineBanner();
  await sync();
  document.body.dataset.ready = "1";
}

start();
