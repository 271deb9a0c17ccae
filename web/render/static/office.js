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
  accepted: en ? (n, p) => "“" + n + "” accepted: " + p + " pages." : (n, p) => "„" + n + "“ angenommen: " + p + " Seiten.",
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

function formBody(form) {
  const body = {};
  for (const el of form.elements) {
    if (!el.name || el.type === "submit" || el.type === "button" || el.type === "file") continue;
    if (el.dataset.type === "bool" || el.type === "checkbox") {
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
        location.reload();
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
    if (btn.dataset.confirm && !confirm(btn.dataset.confirm)) return;
    btn.disabled = true;
    try {
      await call(btn.dataset.method, btn.dataset.action, btn.dataset.body ? JSON.parse(btn.dataset.body) : undefined);
      location.reload();
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
        const pub = form.querySelector('input[name="public"]');
        await call("POST", form.dataset.minutes, { document_id: added.document, public: !!(pub && pub.checked) });
      }
      ok++;
      let msg = t.accepted(file.name, added.pages);
      if (added.sanitized && added.sanitized.length) msg += " " + t.removed + added.sanitized.join(", ") + ".";
      status.textContent = msg;
    } catch (err) {
      status.textContent = t.rejected(file.name) + err.message;
      return;
    }
  }
  if (ok) location.reload();
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
for (const list of document.querySelectorAll("ol[data-reorder]")) {
  let dragged = null;
  const save = async () => {
    const ids = [...list.children].map((li) => parseInt(li.dataset.id, 10));
    try { await call("PUT", list.dataset.reorder, { items: ids }); } catch (err) { alert(err.message); location.reload(); }
  };
  for (const li of list.children) {
    li.addEventListener("dragstart", (e) => { dragged = li; e.dataTransfer.effectAllowed = "move"; li.classList.add("dragging"); });
    li.addEventListener("dragend", () => { li.classList.remove("dragging"); dragged = null; });
    li.addEventListener("dragover", (e) => {
      if (!dragged || dragged === li) return;
      e.preventDefault();
      const r = li.getBoundingClientRect();
      list.insertBefore(dragged, e.clientY < r.top + r.height / 2 ? li : li.nextSibling);
    });
    li.addEventListener("drop", (e) => { e.preventDefault(); save(); });
    li.querySelector("button.up").addEventListener("click", () => {
      if (li.previousElementSibling) { list.insertBefore(li, li.previousElementSibling); save(); li.querySelector("button.up").focus(); }
    });
    li.querySelector("button.down").addEventListener("click", () => {
      if (li.nextElementSibling) { list.insertBefore(li.nextElementSibling, li); save(); li.querySelector("button.down").focus(); }
    });
  }
}
