// Agent console for the sandbox: lists each backend's conversations and lets a
// person answer as the agent. Data is only ever inserted as text, never as HTML.
"use strict";

const BACKENDS = ["bancroft", "gleap", "gurusup", "eusate", "bot"];
const HINTS = {
  bancroft: "Agent replies appear in GET …/messages/ (the widget polls).",
  gleap: "Notes are stored like Gleap stores them: the widget must never show them.",
  gurusup: "Agent replies appear in GET /threads/{md5(thread_fid)} (the widget polls).",
  eusate: "Agent replies are pushed on customer_support to the connected socket.",
  bot: "The bot cannot push: a reply here becomes the bot's next answer in that conversation.",
};
const CAN_RICH = new Set(["gleap", "bot"]);
const CAN_NOTE = new Set(["gleap"]);
const CAN_CLOSE = new Set(["bancroft", "gleap", "eusate"]);

let current = BACKENDS.includes(location.hash.slice(1)) ? location.hash.slice(1) : "bancroft";
const cards = new Map();

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c);
  return e;
}

// Plain text of a TipTap/ProseMirror doc.
function plain(v) {
  if (v == null) return "";
  if (typeof v === "string") return v;
  let out = v.text || "";
  for (const c of v.content || []) out += plain(c);
  if (["paragraph", "listItem", "heading"].includes(v.type) && !out.endsWith("\n")) out += "\n";
  return out;
}

function idOf(b, c) {
  if (b === "gleap") return c._id;
  if (b === "gurusup") return c.thread_fid;
  return c.id;
}

function titleOf(b, c) {
  switch (b) {
    case "bancroft": return `#${c.number} ${c.subject} (${c.status}) — ${c.requester.email}`;
    case "gleap": return `${c.title || "(untitled)"} [${c.type}, ${c.status}] — ticket ${c._id}`;
    case "gurusup": return `${c.thread_fid} — /threads/${c.thread}`;
    case "eusate": return `${c.id} — session ${c.session_id}, ${c.closed ? "closed" : "open"}, responder ${c.responder}`;
    default: return `conversation ${c.id} — ${c.turns} bot call(s), ${c.queued} queued`;
  }
}

// [author, text, css class] of one stored message.
function describe(b, c, m) {
  switch (b) {
    case "bancroft": return [m.sender_email, m.body, m.sender_email === c.requester.email ? "visitor" : ""];
    case "gleap": {
      const note = m.isNote === true || m.type === "NOTE";
      const who = m.session ? "visitor" : (m.bot ? "bot" : "agent");
      return [note ? `${who} (internal note)` : who, plain(m.comment).trim(), note ? "note" : (m.session ? "visitor" : "")];
    }
    case "gurusup": {
      const who = !m.is_customer_support_agent ? "visitor" : (m.user_fid === "gurusup-ai" ? "ai" : "agent");
      return [who, m.body, who === "visitor" ? "visitor" : ""];
    }
    case "eusate": return [m.sender, m.message, m.sender];
    default: return [m.from, m.from === "bot" ? plain(m.message).trim() : m.text, m.from];
  }
}
async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: body ? { "Content-Type": "application/json" } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(data.error || `HTTP ${res.status}`);
  return data;
}

function setStatus(text) {
  document.getElementById("status").textContent = text;
}

function card(b, c) {
  const id = idOf(b, c);
  const key = `${b}:${id}`;
  let entry = cards.get(key);
  if (!entry) {
    const h2 = el("h2");
    const msgs = el("ul", { class: "msgs" });
    const text = el("textarea", { "aria-label": "Agent reply", placeholder: "Answer as the agent…" });
    const form = el("form", {}, text);
    const rich = el("input", { type: "checkbox" });
    const note = el("input", { type: "checkbox" });
    if (CAN_RICH.has(b)) form.append(el("label", {}, rich, " rich (TipTap)"));
    if (CAN_NOTE.has(b)) form.append(el("label", {}, note, " internal note"));
    form.append(el("button", { type: "submit" }, "Send"));
    if (CAN_CLOSE.has(b)) {
      const close = el("button", { type: "button" }, "Close conversation");
      close.addEventListener("click", () => {
        api("POST", `/_sandbox/${b}/close`, { conversation: id })
          .then(() => { setStatus("closed"); refresh(); })
          .catch((e) => setStatus(e.message));
      });
      form.append(close);
    }
    form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      if (!text.value.trim()) return;
      const body = { conversation: id, text: text.value };
      if (CAN_RICH.has(b) && rich.checked) body.rich = true;
      if (CAN_NOTE.has(b) && note.checked) body.note = true;
      api("POST", `/_sandbox/${b}/reply`, body)
        .then(() => { text.value = ""; setStatus("sent"); refresh(); })
        .catch((e) => setStatus(e.message));
    });
    const root = el("section", { class: "conv" }, h2, msgs, form);
    entry = { root, h2, msgs };
    cards.set(key, entry);
  }
  entry.h2.textContent = titleOf(b, c);
  const items = (c.messages || []).map((m) => {
    const [who, txt, cls] = describe(b, c, m);
    return el("li", { class: cls || "" }, el("span", { class: "who" }, `${who}:`), txt || "");
  });
  entry.msgs.replaceChildren(...items);
  return entry.root;
}

async function refresh() {
  try {
    const list = await api("GET", `/_sandbox/${current}/conversations`);
    const container = document.getElementById("list");
    const nodes = list.slice().reverse().map((c) => card(current, c));
    if (nodes.length === 0) nodes.push(el("p", { class: "empty" }, "No conversations yet."));
    // Keep existing nodes (and what the person is typing) in place.
    container.replaceChildren(...nodes);
  } catch (e) {
    setStatus(`refresh failed: ${e.message}`);
  }
}

function showTab(b) {
  current = b;
  history.replaceState(null, "", `#${b}`);
  for (const btn of document.querySelectorAll("#tabs button")) {
    btn.setAttribute("aria-selected", String(btn.dataset.backend === b));
  }
  document.getElementById("hint").textContent = HINTS[b];
  refresh();
}

function init() {
  const tabs = document.getElementById("tabs");
  for (const b of BACKENDS) {
    const btn = el("button", { type: "button", "data-backend": b }, b);
    btn.addEventListener("click", () => showTab(b));
    tabs.append(btn);
  }
  document.getElementById("reset").addEventListener("click", () => {
    api("POST", "/_sandbox/reset").then(() => { cards.clear(); setStatus("reset"); refresh(); })
      .catch((e) => setStatus(e.message));
  });
  showTab(current);
  setInterval(refresh, 1500);
}

init();
