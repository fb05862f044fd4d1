// Check-in marks over a door's bad network: each mark is one small POST, queued and sent
// again until it arrives (the server saves the same mark twice as once). Without this
// script every button still posts its form and the page comes back to the household.
// No words are written here: they come from the page, in the reader's language.
(() => {
  const FIRST_RETRY = 1000;
  const LONGEST_RETRY = 30000;
  /** Marks not yet saved, by the form's address: a newer mark replaces an older one. */
  const queue = new Map();
  let sending = false;
  let timer = null;
  let delay = FIRST_RETRY;

  const words = () => document.querySelector("[data-checkin]")?.dataset || {};

  function say(text) {
    const live = document.querySelector("[data-mark-status]");
    if (!live) return;
    live.textContent = "";
    // A moment later, so the same words said twice are announced twice.
    window.setTimeout(() => (live.textContent = text), 50);
  }

  function show(form, text, kind) {
    const state = form.querySelector("[data-mark-state]");
    if (!state) return;
    state.textContent = text;
    state.dataset.kind = kind;
  }

  function press(form, value) {
    form.querySelectorAll("button[name=status]").forEach((button) => {
      button.setAttribute("aria-pressed", String(button.value === value));
    });
  }

  function waiting() {
    const text = navigator.onLine ? words().waiting : words().offline;
    queue.forEach((item) => show(item.form, text || "", "waiting"));
  }

  function later() {
    waiting();
    if (!navigator.onLine) return; // the "online" event sends them
    window.clearTimeout(timer);
    timer = window.setTimeout(flush, delay);
    delay = Math.min(delay * 2, LONGEST_RETRY);
  }

  async function send(item) {
    try {
      return await fetch(item.form.action, {
        method: "POST",
        body: item.body,
        headers: { Accept: "application/json" },
        credentials: "same-origin",
      });
    } catch {
      return null; // no network: kept, and tried again
    }
  }

  // One mark at a time, oldest first: a household's later mark never overtakes its earlier.
  async function flush() {
    window.clearTimeout(timer);
    if (sending) return;
    sending = true;
    try {
      while (queue.size) {
        if (!navigator.onLine) return later();
        const [key, item] = queue.entries().next().value;
        const response = await send(item);
        if (!response || response.status >= 500 || response.status === 429) return later();
        delay = FIRST_RETRY;
        let answer = {};
        try {
          answer = await response.json();
        } catch {
          answer = {};
        }
        if (queue.get(key) !== item) continue; // changed while on its way: send the new one
        queue.delete(key);
        // A page instead of JSON (signed out: the login page) is not a saved mark.
        if (response.ok && answer.ok) {
          show(item.form, answer.message, "saved");
          say(answer.message);
          const tally = document.querySelector("[data-tally]");
          if (tally && answer.summary) tally.textContent = answer.summary;
        } else {
          // Refused (marks closed, the form expired, signed out): said, not sent again.
          const text = answer.message || words().failed || "";
          show(item.form, text, "error");
          say(text);
        }
      }
    } finally {
      sending = false;
    }
  }

  function mark(form, value) {
    const body = new FormData(form);
    body.set("status", value);
    // The newest mark of a household goes last, after everyone else's waiting ones.
    queue.delete(form.action);
    queue.set(form.action, { form, body });
    press(form, value);
    show(form, words().waiting || "", "waiting");
    flush();
  }

  document.addEventListener("submit", (event) => {
    const form = event.target.closest("form[data-mark]");
    const button = event.submitter;
    if (!form || !button || button.name !== "status") return;
    event.preventDefault();
    mark(form, button.value);
  });

  // A different number of seats after a household was marked came: send the mark again.
  document.addEventListener("change", (event) => {
    const form = event.target.closest?.("form[data-mark]");
    if (!form || event.target.name !== "seats_present") return;
    const pressed = form.querySelector("button[name=status][aria-pressed=true]");
    if (pressed && pressed.value !== "absent") mark(form, pressed.value);
  });

  window.addEventListener("online", () => flush());
  window.addEventListener("offline", () => waiting());
  // Leaving with marks still to send would lose them: the browser asks first.
  window.addEventListener("beforeunload", (event) => {
    if (!queue.size) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // Back from a form posted without this script's help: start at the household's row.
  document.addEventListener("DOMContentLoaded", () => {
    const row = location.hash ? document.getElementById(location.hash.slice(1)) : null;
    if (row?.matches(".checkin-row") && !document.querySelector(".error-summary")) row.focus();
  });
})();
