// Werkmaat web chat: a thin client of /chat/api/messages. The transcript is kept in this
// browser tab only (sessionStorage), so a reload keeps it and closing the tab forgets it.
(function () {
  "use strict";
  const log = document.getElementById("log");
  const form = document.getElementById("composer");
  const input = document.getElementById("text");
  const KEY = "werkmaat-transcript";
  let transcript = [];
  try { transcript = JSON.parse(sessionStorage.getItem(KEY) || "[]"); } catch (e) { transcript = []; }

  function save() {
    // voice notes and files are not kept: a reload shows the text without them
    const light = transcript.slice(-300).map(function (m) {
      return (m.audio || m.file)
        ? Object.assign({}, m, { audio: "", file: "", text: m.text || "🔊" }) : m;
    });
    try { sessionStorage.setItem(KEY, JSON.stringify(light)); } catch (e) { /* full */ }
  }

  function render(entry, live) {
    const li = document.createElement("li");
    li.className = "msg " + (entry.me ? "msg--me" : "msg--bot");
    li.setAttribute("dir", entry.dir || "auto");
    if (entry.lang) li.setAttribute("lang", entry.lang);
    const text = document.createElement("div");
    text.className = "msg__text";
    text.textContent = entry.text;
    li.appendChild(text);
    if (entry.audio) {
      const audio = document.createElement("audio");
      audio.controls = true;
      audio.autoplay = live;
      audio.src = entry.audio;
      li.appendChild(audio);
    }
    if (entry.file) {
      const link = document.createElement("a");
      link.className = "msg__file";
      link.href = entry.file;
      link.download = entry.file_name || "werkmaat.json";
      link.textContent = "📎 " + (entry.file_name || "werkmaat.json");
      li.appendChild(link);
    }
    if (live && entry.buttons && entry.buttons.length) {
      const box = document.createElement("div");
      box.className = "buttons";
      entry.buttons.forEach(function (row) {
        const r = document.createElement("div");
        r.className = "buttons__row";
        row.forEach(function (b) {
          const btn = document.createElement("button");
          btn.type = "button";
          btn.textContent = b.label;
          btn.dataset.payload = b.payload;
          btn.addEventListener("click", function () { send({ payload: b.payload }, b.label); });
          r.appendChild(btn);
        });
        box.appendChild(r);
      });
      li.appendChild(box);
    }
    log.appendChild(li);
    li.scrollIntoView({ block: "end" });
  }

  function clearButtons() {
    document.querySelectorAll(".buttons").forEach(function (b) { b.remove(); });
  }

  function show(entries) {
    entries.forEach(function (e) { render(e, true); });
  }

  async function send(body, echo) {
    clearButtons();
    if (echo) {
      const mine = { me: true, text: echo, dir: "auto" };
      transcript.push(mine); render(mine, false);
    }
    let data;
    try {
      const res = await fetch("/chat/api/messages", {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
      data = await res.json();
    } catch (e) {
      data = { messages: [{ text: "⚠️ " + (log.dataset.offline || ""), dir: "auto", buttons: [] }] };
    }
    const fresh = data.messages.map(function (m) {
      return { me: false, text: m.text, dir: m.dir, lang: m.lang, buttons: m.buttons,
               audio: m.audio || "", file: m.file || "", file_name: m.file_name || "" };
    });
    transcript.forEach(function (m) { m.buttons = []; });  // only the newest buttons stay live
    fresh.forEach(function (m) { transcript.push(m); });
    save();
    fresh.forEach(function (m) { render(m, true); });
    if (fresh.length && fresh[fresh.length - 1].lang) {
      document.documentElement.lang = fresh[fresh.length - 1].lang;
    }
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    send({ text: text }, text);
  });
  input.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter" && !ev.shiftKey) { ev.preventDefault(); form.requestSubmit(); }
  });

  // A counselor may write at any time: ask for news every few seconds.
  const LAST = "werkmaat-last-update";
  async function poll() {
    const after = parseInt(sessionStorage.getItem(LAST) || "0", 10) || 0;
    try {
      const res = await fetch("/chat/api/updates?after=" + after, { credentials: "same-origin" });
      const data = await res.json();
      data.messages.forEach(function (m) {
        const entry = { me: false, text: m.text, dir: m.dir, lang: m.lang, buttons: m.buttons || [] };
        if (entry.buttons.length) {  // a reminder's answer buttons replace older ones
          transcript.forEach(function (t) { t.buttons = []; });
          document.querySelectorAll(".buttons").forEach(function (b) { b.remove(); });
        }
        transcript.push(entry); render(entry, entry.buttons.length > 0);
      });
      if (data.messages.length) save();
      sessionStorage.setItem(LAST, String(data.last || after));
    } catch (e) { /* offline for a moment: the next round asks again */ }
  }
  setInterval(poll, 4000);

  if (transcript.length) {
    show(transcript);
  } else {
    send({ start: true }, null);
  }
})();
