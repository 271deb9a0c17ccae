// Ratsmappe — the chair's console on the office's meeting page: start and
// end the session, record attendance (present, excused, absent, a deputy
// for a member) with the quorum, call an item, open a vote on it and close
// it — from the ballots or with counts entered by hand for a show of hands. It follows the live view (Server-Sent Events)
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
    attendance: "Attendance", present: "present", excused: "excused", absent: "absent", allPresent: "Everyone present",
    marked: (n, s) => `Recorded: ${n} – ${s}.`, allDone: (n) => `Recorded: all ${n} members present.`, deputyFor: (n) => `deputy for ${n}`,
    deputyTitle: "Deputy", deputy: "Deputy (person)", deputyOf: "Sitting for (member)", deputyAdd: "Record the deputy",
    deputyAsk: (d, m) => `${d} sits as deputy for ${m} and votes for that seat. ${m} must not be recorded present.`,
    deputyDone: (d, m) => `Recorded: ${d} sits as deputy for ${m}.`,
    hand: "Counted by hand (show of hands)", handHint: (n) => `At most ${n} votes together (members entitled to vote now).`,
    handClose: "Close with these counts",
    handAsk: (y, n, a) => `Close the vote with the counts entered by hand: Yes ${y}, No ${n}, Abstain ${a}? The result is shown on the chamber display at once.`,
    handDone: (y, n, a) => `Vote closed with the counts entered by hand: Yes ${y}, No ${n}, Abstain ${a}.`,
    quorum: (p, r) => `Quorate: ${p} seats taken, ${r} required.`, noquorum: (p, r) => `Not quorate: ${p} seats taken, ${r} required.`,
    item: "Agenda item", call: "Call this item", current: (x) => `Current item: ${x}`, none: "No item called.",
    kind: "Kind of vote", rule: "Majority", reason: "Reason to vote without quorum (only if not quorate)",
    kinds: { open: "open (counts)", named: "roll call (named)", secret: "secret" },
    rules: { simple: "simple majority", absolute: "absolute majority", two_thirds: "two thirds" },
    openVote: "Open the vote", close: "Close the vote",
    voted: (n, m) => `${n} of ${m} have voted.`, votePanel: "Vote",
    adopted: "adopted", rejected: "rejected", counts: (y, n, a) => `Yes ${y}, No ${n}, Abstain ${a}`,
    np: "non-public",
    checkins: "Checked in on the tablet, to confirm", confirm: "Confirm present", confirmFor: (n) => `Confirm: ${n} present`,
    arrived: (t) => `arrived ${t}`, left: (t) => `left ${t}`,
    speakers: "List of speakers", floor: (n) => `Speaking now: ${n}`, noFloor: "Nobody has the floor.", noWaiting: "No one waiting to speak.",
    give: "Give the floor", giveTo: (n) => `Give the floor to ${n}`, endSpeech: "End the speech",
    limit: "Speaking time per person (minutes, 0: none)", factionLimit: "Speaking time per faction (minutes, 0: none)", setLimit: "Set the speaking time",
    limitDone: (p, f) => `Speaking time: ${p ? p + " min per person" : "no limit per person"}, ${f ? f + " min per faction" : "no limit per faction"}.`,
    choice: { yes: "yes", no: "no", abstain: "abstain" }, excluded: (x) => `Did not take part (excluded): ${x}`,
  } : {
    before: "Noch nicht eröffnet.", running: "Die Sitzung läuft.", ended: "Die Sitzung ist beendet.",
    start: "Sitzung eröffnen", end: "Sitzung schließen", endConfirm: "Die Sitzung jetzt schließen?",
    attendance: "Anwesenheit", present: "anwesend", excused: "entschuldigt", absent: "abwesend", allPresent: "Alle anwesend",
    marked: (n, s) => `Eingetragen: ${n} – ${s}.`, allDone: (n) => `Eingetragen: alle ${n} Mitglieder anwesend.`, deputyFor: (n) => `in Vertretung für ${n}`,
    deputyTitle: "Vertretung", deputy: "Vertretung (Person)", deputyOf: "in Vertretung für (Mitglied)", deputyAdd: "Vertretung eintragen",
    deputyAsk: (d, m) => `${d} sitzt in Vertretung für ${m} und stimmt für diesen Sitz ab. ${m} darf nicht als anwesend eingetragen sein.`,
    deputyDone: (d, m) => `Eingetragen: ${d} sitzt in Vertretung für ${m}.`,
    hand: "Von Hand gezählt (Handzeichen)", handHint: (n) => `Zusammen höchstens ${n} Stimmen (jetzt stimmberechtigte Mitglieder).`,
    handClose: "Mit diesen Zahlen schließen",
    handAsk: (y, n, a) => `Die Abstimmung mit den von Hand gezählten Stimmen schließen: Ja ${y}, Nein ${n}, Enthaltung ${a}? Das Ergebnis erscheint sofort auf der Saalanzeige.`,
    handDone: (y, n, a) => `Abstimmung mit den von Hand gezählten Stimmen geschlossen: Ja ${y}, Nein ${n}, Enthaltung ${a}.`,
    quorum: (p, r) => `Beschlussfähig: ${p} Sitze besetzt, ${r} nötig.`, noquorum: (p, r) => `Nicht beschlussfähig: ${p} Sitze besetzt, ${r} nötig.`,
    item: "Tagesordnungspunkt", call: "Punkt aufrufen", current: (x) => `Aufgerufen: ${x}`, none: "Kein Punkt aufgerufen.",
    kind: "Art der Abstimmung", rule: "Mehrheit", reason: "Begründung für eine Abstimmung ohne Beschlussfähigkeit (nur falls nicht beschlussfähig)",
    kinds: { open: "offen (Zählung)", named: "namentlich", secret: "geheim" },
    rules: { simple: "einfache Mehrheit", absolute: "absolute Mehrheit", two_thirds: "Zweidrittelmehrheit" },
    openVote: "Abstimmung eröffnen", close: "Abstimmung schließen",
    voted: (n, m) => `${n} von ${m} haben abgestimmt.`, votePanel: "Abstimmung",
    adopted: "angenommen", rejected: "abgelehnt", counts: (y, n, a) => `Ja ${y}, Nein ${n}, Enthaltung ${a}`,
    np: "nichtöffentlich",
    checkins: "Am Tablet angemeldet, zu bestätigen", confirm: "Anwesend bestätigen", confirmFor: (n) => `Bestätigen: ${n} anwesend`,
    arrived: (t) => `gekommen ${t}`, left: (t) => `gegangen ${t}`,
    speakers: "Redeliste", floor: (n) => `Es spricht: ${n}`, noFloor: "Niemand hat das Wort.", noWaiting: "Keine Wortmeldungen.",
    give: "Wort erteilen", giveTo: (n) => `Wort erteilen: ${n}`, endSpeech: "Rede beenden",
    limit: "Redezeit je Person (Minuten, 0: keine)", factionLimit: "Redezeit je Fraktion (Minuten, 0: keine)", setLimit: "Redezeit festlegen",
    limitDone: (p, f) => `Redezeit: ${p ? p + " Min. je Person" : "keine Grenze je Person"}, ${f ? f + " Min. je Fraktion" : "keine Grenze je Fraktion"}.`,
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
  // ask(text, ok) is office.js's confirmation dialog: the consequence in
  // words, Cancel the default.
  const ask = window.ask || ((text) => Promise.resolve(confirm(text)));

  const error = h("div", { role: "alert", class: "form-error", hidden: true, tabindex: "-1" });
  const state = h("p", { id: "live-state", role: "status" }, T.before);
  const startBtn = h("button", { type: "button", id: "live-start", class: "primary" }, T.start);
  const endBtn = h("button", { type: "button", id: "live-end" }, T.end);
  const quorum = h("p", { id: "live-quorum", role: "status" });
  const allBtn = h("button", { type: "button", id: "live-all-present" }, T.allPresent);
  const table = h("tbody");
  // Members who checked in on their tablet wait here for the office's
  // confirmation; until then they count for nothing.
  const checkins = h("ul", { id: "live-checkins", class: "live-checkins", "aria-labelledby": "h-live-checkins" });
  const checkinBox = h("div", { hidden: true }, h("h4", { id: "h-live-checkins" }, T.checkins), checkins);
  const clock = (iso) => new Date(iso).toLocaleTimeString(en ? "en-GB" : "de-DE", { hour: "2-digit", minute: "2-digit", timeZone: "Europe/Berlin" });
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
  // The called item's speaker list: who speaks, who waits, the time.
  const floor = h("p", { id: "live-floor" }, T.noFloor);
  const endSpeechBtn = h("button", { type: "button", id: "live-end-speech", hidden: true }, T.endSpeech);
  const waiting = h("ol", { id: "live-queue", class: "live-checkins" });
  const limitIn = h("input", { id: "live-limit", name: "seconds", type: "number", min: "0", step: "1", inputmode: "numeric" });
  const factionIn = h("input", { id: "live-faction-limit", name: "faction_seconds", type: "number", min: "0", step: "1", inputmode: "numeric" });
  const limitForm = h("form", { id: "live-limit-form" },
    h("p", {}, h("label", { for: "live-limit" }, T.limit), limitIn),
    h("p", {}, h("label", { for: "live-faction-limit" }, T.factionLimit), factionIn),
    h("p", {}, h("button", { type: "submit", id: "live-set-limit" }, T.setLimit)));
  const speakersBox = h("section", { id: "live-speakers", "aria-labelledby": "h-live-speakers", hidden: true },
    h("h4", { id: "h-live-speakers" }, T.speakers), h("p", {}, floor, " ", endSpeechBtn), waiting, limitForm);
  let currentItem = 0;
  let limitsShown = "";
  const closeBtn = h("button", { type: "button", id: "live-close", hidden: true }, T.close);
  const done = h("p", { id: "live-done", role: "status" });
  const deputySel = h("select", { id: "live-deputy", name: "person" }, options("live-persons").map((o) => o.cloneNode(true)));
  const deputyFor = h("select", { id: "live-deputy-for", name: "substitute_for" });
  const deputyForm = h("form", { id: "live-deputy-form", class: "live-deputy" },
    h("h4", { id: "h-live-deputy" }, T.deputyTitle),
    h("p", {}, h("label", { for: "live-deputy" }, T.deputy), deputySel),
    h("p", {}, h("label", { for: "live-deputy-for" }, T.deputyOf), deputyFor),
    h("p", {}, h("button", { type: "submit", id: "live-deputy-add" }, T.deputyAdd)));
  const handInput = (k) => h("input", { id: `live-hand-${k}`, name: k, type: "number", min: "0", step: "1", inputmode: "numeric", required: true });
  const hands = { yes: handInput("yes"), no: handInput("no"), abstain: handInput("abstain") };
  const handHint = h("p", { id: "live-hand-hint", class: "hint" });
  const handForm = h("form", { id: "live-hand-form", hidden: true },
    h("fieldset", { class: "choice live-hand", "aria-describedby": "live-hand-hint" }, h("legend", {}, T.hand),
      Object.entries(hands).map(([k, input]) => h("p", {}, h("label", { for: input.id }, T.choice[k]), input)),
      handHint, h("p", {}, h("button", { type: "submit", id: "live-close-hand" }, T.handClose))));

  root.append(error, h("p", { class: "live-row" }, state, " ", startBtn, " ", endBtn),
    h("h3", { id: "h-live-att" }, T.attendance), quorum,
    checkinBox, h("table", { class: "live-attendance", "aria-labelledby": "h-live-att" }, table), h("p", {}, allBtn), deputyForm, done,
    h("h3", {}, T.votePanel),
    h("p", {}, h("label", { for: "live-item" }, T.item), itemSel), h("p", {}, callBtn), current, speakersBox,
    h("form", { id: "live-vote-form" },
      h("p", {}, h("label", { for: "live-kind" }, T.kind), kindSel),
      h("p", {}, h("label", { for: "live-rule" }, T.rule), ruleSel),
      h("p", {}, h("label", { for: "live-reason" }, T.reason), reason),
      h("p", {}, openBtn)),
    vote, h("p", {}, closeBtn), handForm);

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

  let shown = ""; // the attendance last drawn, to redraw only on a change
  async function loadAttendance() {
    att = await call("GET", `/api/v1/meetings/${id}/attendance`);
    const key = JSON.stringify(att);
    if (key === shown) return;
    shown = key;
    const rec = new Map(att.attendees.map((a) => [a.person, a]));
    for (const a of att.attendees) if (a.name) names.set(a.person, a.name);
    const people = [...new Set([...att.members, ...att.attendees.map((a) => a.person)])];
    table.replaceChildren(...people.map((p) => {
      const a = rec.get(p) || {};
      const st = a.status || "";
      const name = names.get(p) || String(p);
      const btn = (s) => h("button", { type: "button", "aria-pressed": String(st === s), class: st === s ? "primary" : "",
        "data-person": p, "data-status": s, "aria-label": `${name}: ${T[s]}`, onclick: act(() => mark(p, s, a.substitute_for)) }, T[s]);
      const who = h("th", { scope: "row" }, name);
      if (a.substitute_for) who.append(h("br"), h("span", { class: "muted" }, T.deputyFor(names.get(a.substitute_for) || a.substitute_for)));
      // Late arrival and early leaving, as the record keeps them.
      const times = [a.arrived_at && T.arrived(clock(a.arrived_at)), a.left_at && T.left(clock(a.left_at))].filter(Boolean);
      const when = times.length ? [h("br"), h("span", { class: "muted live-times" }, times.join(", "))] : [];
      return h("tr", { "data-person": p }, who, h("td", {}, btn("present"), " ", btn("excused"), " ", btn("absent"), ...when));
    }));
    const asked = att.checkins || [];
    checkinBox.hidden = asked.length === 0;
    checkins.replaceChildren(...asked.map((c) => {
      const name = names.get(c.person) || String(c.person);
      const label = c.substitute_for ? `${name} (${T.deputyFor(names.get(c.substitute_for) || c.substitute_for)})` : name;
      return h("li", {}, label, " ", h("button", { type: "button", "data-person": c.person, "aria-label": T.confirmFor(label),
        onclick: act(() => mark(c.person, "present", c.substitute_for)) }, T.confirm));
    }));
    // A deputy sits for a member with voting right.
    const chosen = deputyFor.value;
    deputyFor.replaceChildren(...att.members.map((p) => h("option", { value: p }, names.get(p) || String(p))));
    if (chosen) deputyFor.value = chosen;
    showQuorum(att.quorum);
  }
  function showQuorum(q) {
    quorum.textContent = q.reached ? T.quorum(q.present, q.required) : T.noquorum(q.present, q.required);
    quorum.dataset.reached = String(q.reached);
  }
  // mark records person's status (keeping the seat a deputy holds) and
  // says in words what was recorded.
  async function mark(person, status, substituteFor) {
    const body = { status };
    if (substituteFor) body.substitute_for = substituteFor;
    await call("PUT", `/api/v1/meetings/${id}/attendance/${person}`, body);
    await loadAttendance();
    done.textContent = T.marked(names.get(person) || person, T[status]);
  }
  deputyForm.addEventListener("submit", act(async () => {
    const d = +deputySel.value, m = +deputyFor.value;
    const dn = names.get(d) || d, mn = names.get(m) || m;
    if (!(await ask(T.deputyAsk(dn, mn), T.deputyAdd))) return;
    await call("PUT", `/api/v1/meetings/${id}/attendance/${d}`, { status: "present", substitute_for: m });
    await loadAttendance();
    done.textContent = T.deputyDone(dn, mn);
  }));
  handForm.addEventListener("submit", act(async () => {
    const c = Object.fromEntries(Object.entries(hands).map(([k, input]) => [k, +input.value]));
    if (!(await ask(T.handAsk(c.yes, c.no, c.abstain), T.handClose))) return;
    await call("POST", `/api/v1/votes/${openVote}/close`, c);
    for (const input of Object.values(hands)) input.value = "";
    done.textContent = T.handDone(c.yes, c.no, c.abstain);
  }));

  startBtn.addEventListener("click", act(() => call("POST", `/api/v1/meetings/${id}/start`)));
  endBtn.addEventListener("click", act(async () => {
    if (await ask(T.endConfirm, T.end)) await call("POST", `/api/v1/meetings/${id}/end`);
  }));
  // "Alle anwesend" records one member after the other; until it is done
  // it is not offered again, and it says when it is done.
  allBtn.addEventListener("click", act(async () => {
    const status = new Map(att.attendees.map((a) => [a.person, a.status]));
    allBtn.disabled = true;
    try {
      for (const p of att.members) if (status.get(p) !== "present") await call("PUT", `/api/v1/meetings/${id}/attendance/${p}`, { status: "present" });
    } finally {
      allBtn.disabled = false;
    }
    await loadAttendance();
    done.textContent = T.allDone(att.members.length);
  }));
  callBtn.addEventListener("click", act(() => call("PUT", `/api/v1/meetings/${id}/current`, { item: +itemSel.value })));
  document.getElementById("live-vote-form").addEventListener("submit", act(async () => {
    await call("PUT", `/api/v1/meetings/${id}/current`, { item: +itemSel.value });
    const body = { kind: kindSel.value, rule: ruleSel.value };
    if (reason.value.trim()) body.quorum_reason = reason.value.trim();
    const v = await call("POST", `/api/v1/items/${itemSel.value}/votes`, body);
    openVote = v.id;
  }));
  endSpeechBtn.addEventListener("click", act(() => call("POST", `/api/v1/meetings/${id}/speech/end`)));
  limitForm.addEventListener("submit", act(async () => {
    const p = Math.max(0, Math.round(+limitIn.value || 0)), f = Math.max(0, Math.round(+factionIn.value || 0));
    await call("PUT", `/api/v1/items/${currentItem}/speaking-limit`, { seconds: p * 60, faction_seconds: f * 60 });
    done.textContent = T.limitDone(p, f);
  }));
  closeBtn.addEventListener("click", act(() => call("POST", `/api/v1/votes/${openVote}/close`, {})));

  function show(s) {
    state.textContent = s.running ? T.running : s.ended_at ? T.ended : T.before;
    startBtn.hidden = s.running || !!s.ended_at;
    endBtn.hidden = !s.running;
    showQuorum(s.attendance.quorum);
    current.textContent = s.current ? T.current(`${s.current.number} ${s.current.title}`) : T.none;
    currentItem = s.current ? s.current.id : 0;
    const sp = s.speakers;
    speakersBox.hidden = !s.running || !s.current || !sp;
    if (sp) {
      floor.textContent = sp.current ? T.floor(sp.current.name) : T.noFloor;
      endSpeechBtn.hidden = !sp.current;
      const queue = sp.waiting || [];
      waiting.replaceChildren(...(queue.length ? queue.map((w) => h("li", {}, w.name, " ",
        h("button", { type: "button", "data-person": w.person, "aria-label": T.giveTo(w.name),
          onclick: act(() => call("POST", `/api/v1/items/${currentItem}/speakers/${w.person}/start`)) }, T.give)))
        : [h("li", { class: "muted" }, T.noWaiting)]));
      // The limits as set, unless the chair is typing new ones.
      const limits = `${currentItem}/${sp.limit_seconds}/${sp.faction_limit_seconds || 0}`;
      if (limits !== limitsShown && !limitForm.contains(document.activeElement)) {
        limitsShown = limits;
        limitIn.value = String(Math.round((sp.limit_seconds || 0) / 60));
        factionIn.value = String(Math.round((sp.faction_limit_seconds || 0) / 60));
      }
    }
    const v = s.vote;
    vote.replaceChildren();
    closeBtn.hidden = true;
    handForm.hidden = true;
    if (v && v.state === "open") {
      openVote = v.id;
      vote.append(h("p", { id: "live-voted" }, `${T.kinds[v.kind]}, ${T.rules[v.rule]}: ${T.voted(v.voted, v.entitled)}`));
      closeBtn.hidden = false;
      // A named vote is never counted by hand: its record is the roll call.
      handForm.hidden = v.kind === "named";
      handHint.textContent = T.handHint(v.entitled);
      for (const input of Object.values(hands)) input.max = String(v.entitled);
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
  // Check-ins from the tablets are not part of the live view; while the
  // session runs the console asks for them every few seconds.
  setInterval(() => { if (root.dataset.running === "true" && !document.hidden) loadAttendance().catch(() => {}); }, 4000);
})();
