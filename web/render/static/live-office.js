// Ratsmappe — the chair's console on the office's meeting page: start and
// end the session, record attendance (with the quorum), call an item, open
// a vote on it and close it. It follows the live view (Server-Sent Events)
// for how many have voted; of a secret vote nobody, the office neither,
// sees running counts or who chose what.
"use strict";

(function () {
  const root = document.getElementById("live-console");
  if (!root) return;
  const id = root.dataset.meeting;
  const en = document.documentElement.lang === "en";
  const T = en ? {
    before: "Not started.", running: "The session is running.", ended: "The session has ended.",
    start: "Open the session", end: "Close the session", endConfirm: "Close the session now?",
    attendance: "Attendance", present: "present", absent: "absent", allPresent: "Everyone present",
    quorum: (p, r) => `Quorate: ${p} seats taken, ${r} required.`, noquorum: (p, r) => `Not quorate: ${p} seats taken, ${r} required.`,
    item: "Agenda item", call: "Call this item", current: (x) => `Current item: ${x}`, none: "No item called.",
    kind: "Kind of vote", rule: "Majority", reason: "Reason to vote without quorum (only if not quorate)",
    kinds: { open: "open (counts)", named: "roll call (named)", secret: "secret" },
    rules: { simple: "simple majority", absolute: "absolute majority", two_thirds: "two thirds" },
    openVote: "Open the vote", close: "Close the vote",
    voted: (n, m) => `${n} of ${m} have voted.`, votePanel: "Vote",
    adopted: "adopted", rejected: "rejected", counts: (y, n, a) => `Yes ${y}, No ${n}, Abstain ${a}`,
    np: "non-public",
    choice: { yes: "yes", no: "no", abstain: "abstain" }, excluded: (x) => `Did not take part (excluded): ${x}`,
  } : {
    before: "Noch nicht eröffnet.", running: "Die Sitzung läuft.", ended: "Die Sitzung ist beendet.",
    start: "Sitzung eröffnen", end: "Sitzung schließen", endConfirm: "Die Sitzung jetzt schließen?",
    attendance: "Anwesenheit", present: "anwesend", absent: "abwesend", allPresent: "Alle anwesend",
    quorum: (p, r) => `Beschlussfähig: ${p} Sitze besetzt, ${r} nötig.`, noquorum: (p, r) => `Nicht beschlussfähig: ${p} Sitze besetzt, ${r} nötig.`,
    item: "Tagesordnungspunkt", call: "Punkt aufrufen", current: (x) => `Aufgerufen: ${x}`, none: "Kein Punkt aufgerufen.",
    kind: "Art der Abstimmung", rule: "Mehrheit", reason: "Begründung für eine Abstimmung ohne Beschlussfähigkeit (nur falls nicht beschlussfähig)",
    kinds: { open: "offen (Zählung)", named: "namentlich", secret: "geheim" },
    rules: { simple: "einfache Mehrheit", absolute: "absolute Mehrheit", two_thirds: "Zweidrittelmehrheit" },
    openVote: "Abstimmung eröffnen", close: "Abstimmung schließen",
    voted: (n, m) => `${n} von ${m} haben abgestimmt.`, votePanel: "Abstimmung",
    adopted: "angenommen", rejected: "abgelehnt", counts: (y, n, a) => `Ja ${y}, Nein ${n}, Enthaltung ${a}`,
    np: "nichtöffentlich",
    choice: { yes: "Ja", no: "Nein", abstain: "Enthaltung" }, excluded: (x) => `Nicht beteiligt (befangen): ${x}`,
  };

  // h builds an element: h("p", {id: "x"}, "text", child…).
  function h(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
      else if (k === "class") e.className = v;
      else e.setAttribute(k, v === true ? "" : v);
    }
    for (const c of kids.flat()) if (c !== null && c !== undefined && c !== false) e.append(c);
    return e;
  }
  const options = (tpl) => [...document.getElementById(tpl).content.querySelectorAll("option")];
  const names = new Map(options("live-persons").map((o) => [+o.value, o.textContent]));
  const items = options("live-items");

  // call(method, url, body) is office.js's (loaded before this script on
  // the same page): the JSON API with the page's CSRF token, refusals in
  // the server's words.
  const call = window.call;

  const error = h("div", { role: "alert", class: "form-error", hidden: true, tabindex: "-1" });
  const state = h("p", { id: "live-state", role: "status" }, T.before);
  const startBtn = h("button", { type: "button", id: "live-start", class: "primary" }, T.start);
  const endBtn = h("button", { type: "button", id: "live-end" }, T.end);
  const quorum = h("p", { id: "live-quorum", role: "status" });
  const allBtn = h("button", { type: "button", id: "live-all-present" }, T.allPresent);
  const table = h("tbody");
  const itemSel = h("select", { id: "live-item", name: "item" }, items.map((o) => {
    const c = o.cloneNode(true);
    if (o.dataset.public !== "true") c.textContent += ` (${T.np})`;
    return c;
  }));
  const callBtn = h("button", { type: "button", id: "live-call" }, T.call);
  const current = h("p", { id: "live-current" }, T.none);
  const kindSel = h("select", { id: "live-kind", name: "kind" }, Object.entries(T.kinds).map(([k, v]) => h("option", { value: k }, v)));
  const ruleSel = h("select", { id: "live-rule", name: "rule" }, Object.entries(T.rules).map(([k, v]) => h("option", { value: k }, v)));
  const reason = h("input", { id: "live-reason", name: "quorum_reason" });
  const openBtn = h("button", { type: "submit", id: "live-open", class: "primary" }, T.openVote);
  const vote = h("div", { id: "live-vote", role: "status", "aria-live": "polite" });
  const closeBtn = h("button", { type: "button", id: "live-close", hidden: true }, T.close);

  root.append(error, h("p", { class: "live-row" }, state, " ", startBtn, " ", endBtn),
    h("h3", { id: "h-live-att" }, T.attendance), quorum,
    h("table", { class: "live-attendance", "aria-labelledby": "h-live-att" }, table), h("p", {}, allBtn),
    h("h3", {}, T.votePanel),
    h("p", {}, h("label", { for: "live-item" }, T.item), itemSel), h("p", {}, callBtn), current,
    h("form", { id: "live-vote-form" },
      h("p", {}, h("label", { for: "live-kind" }, T.kind), kindSel),
      h("p", {}, h("label", { for: "live-rule" }, T.rule), ruleSel),
      h("p", {}, h("label", { for: "live-reason" }, T.reason), reason),
      h("p", {}, openBtn)),
    vote, h("p", {}, closeBtn));

  let att = null; // the attendance as GET …/attendance answers it
  let openVote = 0;

  const act = (fn) => async (e) => {
    e?.preventDefault?.();
    error.hidden = true;
    try { await fn(); } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
      error.focus();
    }
  };

  async function loadAttendance() {
    att = await call("GET", `/api/v1/meetings/${id}/attendance`);
    const status = new Map(att.attendees.map((a) => [a.person, a.status]));
    for (const a of att.attendees) if (a.name) names.set(a.person, a.name);
    const people = [...new Set([...att.members, ...att.attendees.map((a) => a.person)])];
    table.replaceChildren(...people.map((p) => {
      const st = status.get(p) || "";
      const name = names.get(p) || String(p);
      const btn = (s, label) => h("button", { type: "button", "aria-pressed": String(st === s), class: st === s ? "primary" : "",
        "data-person": p, "data-status": s, "aria-label": `${name}: ${label}`, onclick: act(() => mark(p, s)) }, label);
      return h("tr", { "data-person": p }, h("th", { scope: "row" }, name), h("td", {}, btn("present", T.present), " ", btn("absent", T.absent)));
    }));
    showQuorum(att.quorum);
  }
  function showQuorum(q) {
    quorum.textContent = q.reached ? T.quorum(q.present, q.required) : T.noquorum(q.present, q.required);
    quorum.dataset.reached = String(q.reached);
  }
  async function mark(person, status) {
    await call("PUT", `/api/v1/meetings/${id}/attendance/${person}`, { status });
    await loadAttendance();
  }

  startBtn.addEventListener("click", act(() => call("POST", `/api/v1/meetings/${id}/start`)));
  endBtn.addEventListener("click", act(async () => {
    if (confirm(T.endConfirm)) await call("POST", `/api/v1/meetings/${id}/end`);
  }));
  allBtn.addEventListener("click", act(async () => {
    const status = new Map(att.attendees.map((a) => [a.person, a.status]));
    for (const p of att.members) if (status.get(p) !== "present") await call("PUT", `/api/v1/meetings/${id}/attendance/${p}`, { status: "present" });
    await loadAttendance();
  }));
  callBtn.addEventListener("click", act(() => call("PUT", `/api/v1/meetings/${id}/current`, { item: +itemSel.value })));
  document.getElementById("live-vote-form").addEventListener("submit", act(async () => {
    await call("PUT", `/api/v1/meetings/${id}/current`, { item: +itemSel.value });
    const body = { kind: kindSel.value, rule: ruleSel.value };
    if (reason.value.trim()) body.quorum_reason = reason.value.trim();
    const v = await call("POST", `/api/v1/items/${itemSel.value}/votes`, body);
    openVote = v.id;
  }));
  closeBtn.addEventListener("click", act(() => call("POST", `/api/v1/votes/${openVote}/close`, {})));

  function show(s) {
    state.textContent = s.running ? T.running : s.ended_at ? T.ended : T.before;
    startBtn.hidden = s.running || !!s.ended_at;
    endBtn.hidden = !s.running;
    showQuorum(s.attendance.quorum);
    current.textContent = s.current ? T.current(`${s.current.number} ${s.current.title}`) : T.none;
    const v = s.vote;
    vote.replaceChildren();
    closeBtn.hidden = true;
    if (v && v.state === "open") {
      openVote = v.id;
      vote.append(h("p", { id: "live-voted" }, `${T.kinds[v.kind]}, ${T.rules[v.rule]}: ${T.voted(v.voted, v.entitled)}`));
      closeBtn.hidden = false;
    } else if (v && v.result) {
      const r = v.result;
      vote.append(h("p", { id: "live-result", "data-adopted": String(r.adopted) },
        h("strong", {}, r.adopted ? T.adopted : T.rejected), " – ", T.counts(r.yes, r.no, r.abstain)));
      if (r.named && r.named.length) {
        vote.append(h("ul", { class: "live-named" }, r.named.map((n) => h("li", {}, `${(v.names || {})[n.person] || n.person}: ${T.choice[n.choice]}`))));
      }
      if (r.excluded && r.excluded.length) {
        vote.append(h("p", {}, T.excluded(r.excluded.map((p) => (v.names || {})[p] || p).join(", "))));
      }
    }
    // One vote at a time, and only in a running session: the server
    // refuses otherwise too, but the chair should not be offered it.
    openBtn.disabled = !s.running || (v && v.state === "open");
    callBtn.disabled = !s.running;
    root.dataset.running = String(s.running);
    root.dataset.vote = v ? v.state : "";
  }

  // The console follows the live view as the office sees it.
  const es = new EventSource(`/api/v1/meetings/${id}/live`);
  es.addEventListener("state", (e) => {
    const s = JSON.parse(e.data);
    show(s);
    const seats = s.attendance.quorum.present;
    if (att && seats !== att.quorum.present) act(loadAttendance)();
  });
  act(loadAttendance)();
})();
