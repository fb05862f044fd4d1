// Small progressive enhancements; every page works without them. No words are written
// here: what the script says comes from the page, in the reader's language.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to what the page says happened: an error summary first, else the
  // confirmation at the top, so screen readers announce it and the eye starts there.
  const summary = document.querySelector(".error-summary[data-focus-on-load]");
  const said = summary || document.querySelector("[data-focus-on-load]");
  if (said) said.focus();

  // Preselect the browser's own time zone on sign-up when the form has not been filled.
  const zone = document.querySelector("select[name=timezone][data-guess]");
  if (zone && !summary && window.Intl) {
    const guess = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (guess && [...zone.options].some((o) => o.value === guess)) zone.value = guess;
  }
});

// "Copy link" buttons: copy the linked field's text and say so to screen readers too,
// in the button's own words (data-copied, data-copy-failed).
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  const status = document.querySelector(".copy-status");
  try {
    await navigator.clipboard.writeText(source.value);
    if (status) status.textContent = button.dataset.copied || "";
  } catch {
    source.select();
    if (status) status.textContent = button.dataset.copyFailed || "";
  }
});

// The workshop's booking button says what it will do ("Book 2 seats in 4 sessions"), in
// step with the seats field and the ticked sessions; its words come from the page, with
// "1 seat" … "6 seats" worded there for each number (words.seats[count - 1]), so any
// language's plurals are right.
function wordBooking(form) {
  const button = form.querySelector("[data-booking-button]");
  if (!button) return;
  const words = JSON.parse(button.dataset.words);
  const field = form.elements.namedItem("seats");
  const text = field ? field.value.trim() : "";
  const count = /^\d+$/.test(text) ? Number(text) : 0;
  const max = Number(button.dataset.seatMax) || Infinity;
  const ticked = [...form.querySelectorAll("input[name=sessions]:not([value=all])")].filter(
    (box) => box.checked,
  );
  const waiting = ticked.filter((box) => box.hasAttribute("data-waitlist")).length;
  const total = ticked.length;
  let key = "plain";
  if (count >= 1 && count <= max && total) {
    if (!waiting) key = total === 1 ? "book" : "book_many";
    else if (waiting === total) key = total === 1 ? "wait" : "wait_many";
    else key = "mixed";
  }
  const seats = words.seats[count - 1] || "";
  button.textContent = words[key]
    .replace("{seats}", seats)
    .replace("{sessions}", total)
    .replace("{waiting}", waiting);
}

// Ticking "All N sessions" ticks every session again (the CSS hides their boxes then).
function syncSessions(box) {
  if (box.value !== "all" || !box.checked) return;
  box.form.querySelectorAll("input[name=sessions]").forEach((other) => (other.checked = true));
}

document.addEventListener("input", (event) => {
  const target = event.target;
  if (!(target instanceof HTMLInputElement) || !target.form) return;
  if (target.name === "sessions") syncSessions(target);
  if (target.name === "sessions" || target.name === "seats") wordBooking(target.form);
});
// A page restored from history keeps what was typed: match the buttons to it.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("form[data-booking-form]").forEach(wordBooking);
});
