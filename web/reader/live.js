// The live panel on the reader's agenda page: while the session runs it
// follows the live view (Server-Sent Events, filtered for this member by
// the server) and shows the item being discussed, an open vote with large
// Ja / Nein / Enthaltung buttons, and the result once closed. A member
// who sees the current item only as its stub (excluded from it) is told
// that they do not take part; the server refuses their ballot anyway.
import { t, h, me, say } from "./app.js";

// follow adds the live panel to the agenda page of meeting id (manifest:
// the agenda as the server showed it to this member).
export function follow(id, manifest) {
  if (!("EventSource" in window) || !navigator.onLine) return;
  const stub = new Set(manifest.agenda.filter((it) => it.stub).map((it) => it.id));
  const panel = h("section", { id: "live", class: "live", "aria-labelledby": "live-h", hidden: true });
  const anchor = document.querySelector("#main .offline");
  anchor ? anchor.before(panel) : document.getElementById("main").append(panel);

  // mine is this device's ballot in the open vote: {vote, choice}; of a
  // secret vote only that one was cast, never the choice.
  let mine = null;
  let last = null;

  // send makes one of the panel's writes; it answers whether the server
  // took it, and the JSON it answered (a refusal's reason and message).
  async function send(method, url, json) {
    const headers = { Accept: "application/json", "X-CSRF-Token": me.csrf };
    if (json !== undefined) headers["Content-Type"] = "application/json";
    const resp = await fetch(url, { method, credentials: "same-origin", headers, body: json === undefined ? undefined : JSON.stringify(json) });
    let body = {};
    try { body = await resp.json(); } catch { /* 202 or 204 without a body */ }
    return { ok: resp.ok, body };
  }
  // refused says a refusal in the server's words.
  const refused = (body) => say(((document.documentElement.lang === "en" && body.message_en) || body.message) || t("error"));

  // checkin is this device's state of the member's check-in: "" (none),
  // "sent" (waiting for the office), "no" (not a seat of this body).
  let checkin = "";
  async function checkIn() {
    const { ok, body } = await send("POST", `/api/v1/meetings/${id}/checkin`, {});
    if (ok || body.reason === "already_present") {
      checkin = "sent";
      say(t("live_checked_in"));
    } else {
      if (body.reason === "not_a_seat") checkin = "no";
      refused(body);
    }
    render(last);
  }

  // speak asks to speak on item (or withdraws the request): the chair
  // gives the floor from the console.
  async function speak(item, withdraw) {
    const { ok, body } = withdraw
      ? await send("DELETE", `/api/v1/items/${item}/speakers/${me.person}`)
      : await send("POST", `/api/v1/items/${item}/speakers`);
    if (!ok) refused(body);
  }

  async function ballot(vote, choice) {
    const { ok, body } = await send("PUT", `/api/v1/votes/${vote.id}/ballot`, { choice });
    if (ok) {
      mine = { vote: vote.id, choice: vote.kind === "secret" ? "" : choice };
      say(vote.kind === "secret" ? t("live_cast_secret") : t("live_cast", t("live_" + choice)));
    } else if (body.reason === "excluded") {
      mine = { vote: vote.id, excluded: true };
    } else if (body.reason === "already_voted") {
      mine = { vote: vote.id, choice: "" };
    } else {
      refused(body);
    }
    render(last);
  }

  function render(s) {
    if (!s) return;
    panel.hidden = !s.running && !s.vote;
    const kids = [h("h2", { id: "live-h" }, s.running ? t("live_running") : t("live_title"))];
    // A member not yet recorded present may check in from the tablet;
    // the office confirms it, and only then does it count.
    const present = (s.attendance?.present || []).some((p) => p.id === me.person);
    if (s.running && me.person && !present && checkin !== "no") {
      kids.push(checkin === "sent"
        ? h("p", { id: "live-checked", class: "live-note" }, t("live_checked_in"))
        : h("p", {}, h("button", { type: "button", id: "live-checkin", class: "live-checkin", onclick: checkIn }, t("live_checkin"))));
    }
    const cur = s.current;
    if (cur) {
      kids.push(h("p", { class: "live-item" }, t("live_current") + " ",
        h("a", { href: "#item-" + cur.id }, cur.number + " " + cur.title)));
    }
    const v = s.vote;
    // The speaker list of the called item: ask to speak, see one's place.
    if (s.running && cur && !stub.has(cur.id) && me.person && s.speakers) {
      const place = (s.speakers.waiting || []).findIndex((w) => w.person === me.person);
      if (s.speakers.current?.person === me.person) {
        kids.push(h("p", { id: "live-floor", class: "live-note" }, t("live_floor")));
      } else if (place >= 0) {
        kids.push(h("p", { id: "live-waiting", class: "live-note" }, t("live_waiting", place + 1)),
          h("p", {}, h("button", { type: "button", id: "live-unspeak", class: "live-checkin", onclick: () => speak(cur.id, true) }, t("live_unspeak"))));
      } else {
        kids.push(h("p", {}, h("button", { type: "button", id: "live-speak", class: "live-checkin", onclick: () => speak(cur.id, false) }, t("live_speak"))));
      }
    }
    if (cur && stub.has(cur.id)) {
      kids.push(h("p", { id: "live-excluded", class: "live-note" }, t("live_excluded")));
    } else if (v && v.state === "open") {
      const my = mine && mine.vote === v.id ? mine : null;
      kids.push(h("p", { class: "live-open" }, t("live_vote_open", t("live_kind_" + v.kind)) + " " + t("live_voted", v.voted, v.entitled)));
      if (my?.excluded) {
        kids.push(h("p", { id: "live-excluded", class: "live-note" }, t("live_excluded")));
      } else if (my && v.kind === "secret") {
        kids.push(h("p", { id: "live-mine", class: "live-note" }, t("live_cast_secret")));
      } else {
        if (my?.choice) kids.push(h("p", { id: "live-mine", class: "live-note" }, t("live_cast", t("live_" + my.choice))));
        kids.push(h("div", { class: "live-ballot", role: "group", "aria-label": t("live_ballot") },
          ["yes", "no", "abstain"].map((c) => h("button", {
            type: "button", class: "live-choice " + c, id: "live-" + c, "aria-pressed": my ? String(my.choice === c) : null,
            onclick: () => ballot(v, c),
          }, t("live_" + c)))));
      }
    } else if (v && v.result) {
      const r = v.result;
      kids.push(h("p", { id: "live-result", class: "live-result " + (r.adopted ? "adopted" : "rejected"), "data-adopted": String(r.adopted) },
        h("strong", {}, r.adopted ? t("live_adopted") : t("live_rejected")), " – ",
        t("live_counts", r.yes, r.no, r.abstain)));
      if (r.named?.length) {
        kids.push(h("ul", { class: "live-named" }, r.named.map((n) => h("li", {}, (v.names?.[n.person] || n.person) + ": " + t("live_" + n.choice)))));
      }
    }
    panel.replaceChildren(...kids);
  }

  const es = new EventSource(`/api/v1/meetings/${id}/live`);
  es.addEventListener("state", (e) => {
    last = JSON.parse(e.data);
    render(last);
  });
  es.addEventListener("gone", () => { es.close(); panel.hidden = true; });
  window.addEventListener("pagehide", () => es.close(), { once: true });
}
