// Ratsmappe — the chamber display (/meetings/{id}/display) and the
// livestream overlay (/meetings/{id}/overlay, data-mode="overlay"). Both
// follow the live session as the public sees it: the stream is read with
// fetch and no credentials, so a screen left signed in shows nothing of a
// non-public item but its public stub — and the overlay not even that: it
// shows only public items. It reconnects after a break.
"use strict";

(function () {
  const root = document.getElementById("display");
  if (!root) return;
  const en = document.documentElement.lang === "en";
  const overlay = root.dataset.mode === "overlay";
  const T = en ? {
    before: "The session has not started yet.", running: "The session is running.", ended: "The session has ended.",
    lost: "Connection lost – reconnecting …", gone: "This meeting is not public.",
    open: (n, m) => `Vote in progress – ${n} of ${m} have voted`,
    adopted: "Adopted", rejected: "Rejected", yes: "Yes", no: "No", abstain: "Abstain",
    quorum: (p, r) => `Quorate: ${p} present, ${r} required`, noquorum: (p, r) => `Not quorate: ${p} present, ${r} required`,
    kinds: { open: "open vote", named: "roll-call vote", secret: "secret ballot" },
    speaker: (n) => `Speaking: ${n}`, time: (a, b) => `${a} of ${b}`, left: (f, x) => `${f}: ${x} left`,
  } : {
    before: "Die Sitzung hat noch nicht begonnen.", running: "Die Sitzung läuft.", ended: "Die Sitzung ist beendet.",
    lost: "Verbindung unterbrochen – verbinde neu …", gone: "Diese Sitzung ist nicht öffentlich.",
    open: (n, m) => `Abstimmung läuft – ${n} von ${m} haben abgestimmt`,
    adopted: "Angenommen", rejected: "Abgelehnt", yes: "Ja", no: "Nein", abstain: "Enthaltung",
    quorum: (p, r) => `Beschlussfähig: ${p} anwesend, ${r} erforderlich`, noquorum: (p, r) => `Nicht beschlussfähig: ${p} anwesend, ${r} erforderlich`,
    kinds: { open: "offene Abstimmung", named: "namentliche Abstimmung", secret: "geheime Abstimmung" },
    speaker: (n) => `Es spricht: ${n}`, time: (a, b) => `${a} von ${b}`, left: (f, x) => `${f} noch ${x}`,
  };
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => { const e = document.createElement(tag); if (cls) e.className = cls; if (text !== undefined) e.textContent = text; return e; };

  function show(s) {
    $("d-state").textContent = s.running ? T.running : s.ended_at ? T.ended : T.before;
    // The overlay goes on air: of a non-public item it shows nothing at
    // all, not even the stub the public agenda has.
    const cur = overlay && s.current && !s.current.public ? null : s.current;
    root.classList.toggle("empty", !cur);
    $("d-item").hidden = !cur;
    if (cur) {
      $("d-number").textContent = cur.number;
      $("d-title").textContent = cur.title;
    }
    const sp = cur && s.speakers && s.speakers.current;
    $("d-speaker").hidden = !sp;
    speech = null;
    if (sp) {
      const f = (s.speakers.factions || []).find((x) => x.faction === sp.faction);
      speech = { name: sp.name, started: Date.parse(sp.started_at), limit: s.speakers.limit_seconds,
        faction: f, factionLimit: s.speakers.faction_limit_seconds };
    }
    tick();
    const box = $("d-vote");
    box.replaceChildren();
    const v = cur && s.vote;
    if (v && v.state === "open") {
      box.append(el("p", "d-open", T.open(v.voted, v.entitled)), el("p", "d-kind", T.kinds[v.kind] || v.kind));
    } else if (v && v.result) {
      const r = v.result;
      box.append(el("p", "d-result " + (r.adopted ? "adopted" : "rejected"), r.adopted ? T.adopted : T.rejected));
      const dl = el("dl", "d-counts");
      for (const [k, n] of [["yes", r.yes], ["no", r.no], ["abstain", r.abstain]]) {
        const d = el("div", "d-count " + k);
        d.append(el("dt", "", T[k]), el("dd", "", String(n)));
        dl.append(d);
      }
      box.append(dl);
      if (r.named && r.named.length) {
        const ul = el("ul", "d-named");
        for (const n of r.named) ul.append(el("li", "", `${(v.names || {})[n.person] || n.person}: ${T[n.choice] || n.choice}`));
        box.append(ul);
      }
    }
    const q = s.attendance && s.attendance.quorum;
    if ($("d-quorum")) $("d-quorum").textContent = q && s.running ? (q.reached ? T.quorum(q.present, q.required) : T.noquorum(q.present, q.required)) : "";
    root.dataset.version = String((+root.dataset.version || 0) + 1);
  }

  // The speech running now, and its time against the limits per person
  // and per faction (the faction's finished speeches plus this one),
  // counted on the screen's clock every second.
  let speech = null;
  const mmss = (n) => `${Math.floor(n / 60)}:${String(n % 60).padStart(2, "0")}`;
  function tick() {
    if (!speech) { $("d-speaker").textContent = ""; return; }
    const took = Math.max(0, Math.floor((Date.now() - speech.started) / 1000));
    const parts = [T.speaker(speech.name) + (speech.faction ? ` (${speech.faction.name})` : "")];
    if (speech.limit) parts.push(T.time(mmss(took), mmss(speech.limit)));
    if (speech.faction && speech.factionLimit) parts.push(T.left(speech.faction.name, mmss(Math.max(0, speech.factionLimit - speech.faction.used_seconds - took))));
    $("d-speaker").textContent = parts.join(" · ");
  }
  setInterval(tick, 1000);

  // follow reads the Server-Sent Events of the live view with fetch (an
  // EventSource would send the display's cookies) and calls show.
  async function follow() {
    const url = `/api/v1/meetings/${root.dataset.meeting}/live`;
    for (;;) {
      try {
        const resp = await fetch(url, { credentials: "omit", headers: { Accept: "text/event-stream" } });
        if (resp.status === 404) { $("d-state").textContent = T.gone; return; }
        if (!resp.ok || !resp.body) throw new Error(String(resp.status));
        const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
        let buf = "";
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += value;
          let i;
          while ((i = buf.indexOf("\n\n")) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            let event = "message", data = "";
            for (const line of block.split("\n")) {
              if (line.startsWith("event: ")) event = line.slice(7);
              else if (line.startsWith("data: ")) data += line.slice(6);
            }
            if (event === "state") show(JSON.parse(data));
            else if (event === "gone") { $("d-state").textContent = T.gone; $("d-item").hidden = true; $("d-speaker").hidden = true; $("d-vote").replaceChildren(); root.classList.add("empty"); return; }
          }
        }
      } catch (e) { /* reconnect below */ }
      $("d-state").textContent = T.lost;
      await new Promise((r) => setTimeout(r, 5000));
    }
  }

  $("d-full")?.addEventListener("click", () => {
    if (document.fullscreenElement) document.exitFullscreen();
    else document.documentElement.requestFullscreen?.();
  });
  follow();
})();
