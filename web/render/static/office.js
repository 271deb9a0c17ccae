// Ratsmappe — the council office's pages. Every change goes through the
// JSON API with the page's CSRF token; errors are shown in the form they
// came from, in the words the server chose.
"use strict";

const csrf = document.querySelector('meta[name="csrf-token"]').content;
const en = document.documentElement.lang === "en";
const t = {
  error: en ? "Error" : "Fehler",
  lost: en ? "The connection was lost. Please try again." : "Die Verbindung ist abgebrochen. Bitte versuchen Sie es erneut.",
  uploading: en ? (n) => "Uploading and checking “" + n + "” …" : (n) => "Lade „" + n + "“ hoch und prüfe es …",
  accepted: en ? (n, p) => "“" + n + "” accepted: " + p + (p === 1 ? " page." : " pages.") : (n, p) => "„" + n + "“ angenommen: " + p + (p === 1 ? " Seite." : " Seiten."),
  removed: en ? "Removed: " : "Entfernt: ",
  rejected: en ? (n) => "“" + n + "” refused: " : (n) => "„" + n + "“ abgelehnt: ",
};

async function call(method, url, body) {
  const opts = { method, headers: { "X-CSRF-Token": csrf }, credentials: "same-origin" };
  if (body !== undefined) {
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  const resp = await fetch(url, opts);
  let data = null;
  try { data = await resp.json(); } catch (e) { /* 204 */ }
  if (!resp.ok) {
    const msg = (data && (en && data.message_en || data.message)) || (t.error + " " + resp.status);
    throw new Error(msg);
  }
  return data;
}

function showError(form, err) {
  const box = form.querySelector(".form-error") || form.querySelector(".upload-status");
  if (box) {
    box.textContent = err.message;
    box.hidden = false;
    box.focus && box.setAttribute("tabindex", "-1");
  } else {
    alert(err.message);
  }
}

// ask shows the page's confirmation dialog with text (the consequence in
// words) and okLabel on its confirming button; it resolves to true only
// if the clerk confirms. Cancel is the dialog's default.
function ask(text, okLabel) {
  const dialog = document.getElementById("confirm-dialog");
  if (!dialog || !dialog.showModal) return Promise.resolve(confirm(text));
  dialog.querySelector("#confirm-text").textContent = text;
  const ok = dialog.querySelector("#confirm-ok");
  ok.dataset.label = ok.dataset.label || ok.textContent;
  ok.textContent = okLabel || ok.dataset.label;
  dialog.returnValue = "";
  dialog.showModal();
  return new Promise((resolve) => dialog.addEventListener("close", () => resolve(dialog.returnValue === "ok"), { once: true }));
}

// confirmText is what el (a form or button) asks before it acts, or "".
// A publication form with a time asks about that time.
function confirmText(el) {
  const at = el.tagName === "FORM" && el.querySelector('input[name="at"]');
  if (at && at.value && el.dataset.confirmAt) {
    const [d, tm] = at.value.split("T");
    const [y, mo, day] = d.split("-");
    return el.dataset.confirmAt.replace("{time}", day + "." + mo + "." + y + ", " + tm);
  }
  return el.dataset.confirm || "";
}

// reload shows the page again after a change made from el; a per-item
// panel el was in stays open (an uploaded document is released there).
function reload(el) {
  const li = el && el.closest && el.closest("li[id^='item-']");
  history.replaceState(null, "", li ? "#" + li.id : location.pathname + location.search);
  location.reload();
}

// The panel named in the address is open, as it was before the reload.
if (location.hash.startsWith("#item-")) {
  const d = document.querySelector(location.hash + " > details");
  if (d) d.open = true;
}

// Typing a number fixes it by hand.
for (const input of document.querySelectorAll("input[data-fixes]")) {
  input.addEventListener("input", () => { document.getElementById(input.dataset.fixes).checked = true; });
}

function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.type === "submit" || el.type === "button" || el.type === "file") continue;
    if (el.type === "radio") {
      if (el.checked) body[el.name] = el.dataset.type === "bool" ? el.value === "true" : el.value;
    } else if (el.dataset.type === "bool" || el.type === "checkbox") {
      body[el.name] = el.checked;
    } else if (el.dataset.type === "int") {
      body[el.name] = parseInt(el.value, 10);
    } else if (el.value !== "" || el.defaultValue !== "") {
      body[el.name] = el.value;
    }
  }
  return body;
}

// Forms that talk to the API.
for (const form of document.querySelectorAll("form.api")) {
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const question = confirmText(form);
    if (question && !(await ask(question, form.dataset.confirmOk))) return;
    const button = form.querySelector('button[type="submit"]');
    if (button) button.disabled = true;
    try {
      const data = await call(form.dataset.method, form.dataset.action, formBody(form));
      if (form.dataset.consult && data && data.id) {
        await call("POST", form.dataset.consult.replace("{id}", data.id), { agenda_item_id: parseInt(form.dataset.item, 10), role: "Beratung" });
      }
      if (form.dataset.then === "meeting" && data && data.id) {
        location.href = "/office/meetings/" + data.id;
      } else {
        reload(form);
      }
    } catch (err) {
      showError(form, err);
    } finally {
      if (button) button.disabled = false;
    }
  });
}

// Single buttons that talk to the API.
for (const btn of document.querySelectorAll("button.api-action")) {
  btn.addEventListener("click", async () => {
    const question = confirmText(btn);
    if (question && !(await ask(question, btn.dataset.confirmOk))) return;
    btn.disabled = true;
    try {
      await call(btn.dataset.method, btn.dataset.action, btn.dataset.body ? JSON.parse(btn.dataset.body) : undefined);
      reload(btn);
    } catch (err) {
      btn.disabled = false;
      alert(err.message);
    }
  });
}

// Uploads with a progress bar; the server's refusal (typed, in plain
// words) is shown next to the field.
function upload(url, file, progress) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", url);
    xhr.setRequestHeader("X-CSRF-Token", csrf);
    xhr.upload.onprogress = (e) => { if (e.lengthComputable) progress.value = Math.round(100 * e.loaded / e.total); };
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch (e) { /* empty */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else reject(new Error((data && (en && data.message_en || data.message)) || (t.error + " " + xhr.status)));
    };
    xhr.onerror = () => reject(new Error(t.lost));
    const fd = new FormData();
    fd.append("file", file);
    xhr.send(fd);
  });
}

async function handleFiles(form, files) {
  const status = form.querySelector(".upload-status");
  const progress = form.querySelector("progress");
  progress.hidden = false;
  form.classList.remove("refused");
  let ok = 0;
  for (const file of files) {
    status.textContent = t.uploading(file.name);
    progress.value = 0;
    try {
      let url = form.dataset.upload;
      const note = form.querySelector('input[name="note"]');
      if (note && note.value) url += (url.includes("?") ? "&" : "?") + "note=" + encodeURIComponent(note.value);
      const title = file.name.replace(/\.pdf$/i, "");
      if (!form.dataset.upload.includes("/versions")) url += (url.includes("?") ? "&" : "?") + "title=" + encodeURIComponent(title);
      const added = await upload(url, file, progress);
      if (form.dataset.attach) await call("POST", form.dataset.attach, { document_id: added.document, title });
      if (form.dataset.minutes) {
        const pub = form.querySelector('input[name="public"]:checked');
        await call("POST", form.dataset.minutes, { document_id: added.document, public: !!pub && pub.value === "true" });
      }
      ok++;
      let msg = t.accepted(file.name, added.pages);
      if (added.sanitized && added.sanitized.length) msg += " " + t.removed + added.sanitized.join(", ") + ".";
      status.textContent = msg;
    } catch (err) {
      // Not a full blue bar: the refusal, in red, in words.
      form.classList.add("refused");
      progress.hidden = true;
      status.textContent = t.rejected(file.name) + err.message;
      return;
    }
  }
  if (ok) reload(form);
}

for (const form of document.querySelectorAll("form.upload")) {
  const input = form.querySelector('input[type="file"]');
  input.addEventListener("change", () => handleFiles(form, input.files));
  if (form.classList.contains("drop")) {
    form.addEventListener("dragover", (e) => { e.preventDefault(); form.classList.add("over"); });
    form.addEventListener("dragleave", () => form.classList.remove("over"));
    form.addEventListener("drop", (e) => {
      e.preventDefault();
      form.classList.remove("over");
      if (e.dataTransfer.files.length) handleFiles(form, e.dataTransfer.files);
    });
  }
}

// Agenda order: drag and drop, or the arrow buttons (keyboard, touch).
// Each move is saved at once; the server answers the renumbered agenda,
// which the list shows, with "Reihenfolge gespeichert" and an undo.
for (const list of document.querySelectorAll("ol[data-reorder]")) {
  let dragged = null;
  const toast = document.querySelector(".toast");
  const toastMsg = toast.querySelector(".toast-msg");
  const undo = toast.querySelector(".undo");
  const close = toast.querySelector(".toast-close");
  const undos = []; // earlier orders, the last move's last
  const order = () => [...list.children].map((li) => parseInt(li.dataset.id, 10));
  const say = (msg, canUndo) => {
    toastMsg.textContent = msg;
    toast.classList.toggle("shown", !!msg);
    undo.hidden = !canUndo;
    close.hidden = !msg;
  };
  // show puts the items in the order and with the numbers of the server's
  // answer, and marks numbers that are there twice.
  const show = (items) => {
    const seen = {};
    for (const it of items) seen[it.number] = (seen[it.number] || 0) + 1;
    if (items.map((it) => it.id).join() !== order().join()) {
      for (const it of items) {
        const li = list.querySelector(`li[data-id="${it.id}"]`);
        if (li) list.appendChild(li);
      }
    }
    for (const it of items) {
      const li = list.querySelector(`li[data-id="${it.id}"]`);
      if (!li) continue;
      li.querySelector(".row .number").textContent = it.number;
      li.querySelector("button.up").setAttribute("aria-label", it.number + " " + list.dataset.up);
      li.querySelector("button.down").setAttribute("aria-label", it.number + " " + list.dataset.down);
      const input = li.querySelector('input[name="number"]');
      if (input) { input.value = it.number; input.defaultValue = it.number; }
      let dup = li.querySelector(".badge.dup");
      if (seen[it.number] > 1 && !dup) {
        dup = document.createElement("span");
        dup.className = "badge dup";
        dup.textContent = list.dataset.duplicate;
        li.querySelector(".row .title").before(dup);
      } else if (seen[it.number] <= 1 && dup) {
        dup.remove();
      }
    }
    const warning = document.querySelector(".dup-warning");
    if (warning) warning.hidden = !Object.values(seen).some((n) => n > 1);
  };
  const save = async (msg) => {
    try {
      const data = await call("PUT", list.dataset.reorder, { items: order() });
      show(data.data);
      say(msg, undos.length > 0);
    } catch (err) {
      alert(err.message);
      location.reload();
    }
  };
  const moved = (before) => {
    if (before.join() === order().join()) return;
    undos.push(before);
    save(toast.dataset.saved);
  };
  undo.addEventListener("click", () => {
    const before = undos.pop();
    if (!before) return;
    for (const id of before) list.appendChild(list.querySelector(`li[data-id="${id}"]`));
    save(toast.dataset.undone).then(() => { if (undo.hidden) toastMsg.focus(); });
  });
  close.addEventListener("click", () => say("", false));
  let start = null; // the order when a drag began
  for (const li of list.children) {
    li.addEventListener("dragstart", (e) => { dragged = li; start = order(); e.dataTransfer.effectAllowed = "move"; li.classList.add("dragging"); });
    li.addEventListener("dragend", () => { li.classList.remove("dragging"); dragged = null; });
    li.addEventListener("dragover", (e) => {
      if (!dragged || dragged === li) return;
      e.preventDefault();
      const r = li.getBoundingClientRect();
      list.insertBefore(dragged, e.clientY < r.top + r.height / 2 ? li : li.nextSibling);
    });
    li.addEventListener("drop", (e) => { e.preventDefault(); if (start) moved(start); start = null; });
    li.querySelector("button.up").addEventListener("click", () => {
      if (!li.previousElementSibling) return;
      const before = order();
      list.insertBefore(li, li.previousElementSibling);
      moved(before);
      li.querySelector("button.up").focus();
    });
    li.querySelector("button.down").addEventListener("click", () => {
      if (!li.nextElementSibling) return;
      const before = order();
      list.insertBefore(li.nextElementSibling, li);
      moved(before);
      li.querySelector("button.down").focus();
    });
  }
}
