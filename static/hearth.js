// Small progressive enhancements; every page works without them.
document.addEventListener("DOMContentLoaded", () => {
  // Move focus to an error summary so screen readers announce what went wrong.
  const summary = document.querySelector("[data-focus-on-load]");
  if (summary) summary.focus();

  // Preselect the browser's own time zone on sign-up when the form has not been filled.
  const zone = document.querySelector("select[name=timezone][data-guess]");
  if (zone && !summary && window.Intl) {
    const guess = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (guess && [...zone.options].some((o) => o.value === guess)) zone.value = guess;
  }
});

// "Copy link" buttons: copy the linked field's text and say so to screen readers too.
document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.querySelector(button.dataset.copy);
  const status = document.querySelector(".copy-status");
  try {
    await navigator.clipboard.writeText(source.value);
    if (status) status.textContent = "Link copied.";
  } catch {
    source.select();
    if (status) status.textContent = "Select the link and copy it.";
  }
});

// Booking buttons say what they do: "Book 2 seats" follows the seats field as it changes.
function labelSeatButton(field) {
  const button = field.form && field.form.querySelector("button[data-seat-label]");
  if (!button) return;
  const text = field.value.trim();
  const count = /^\d+$/.test(text) ? Number(text) : 0;
  const max = Number(button.dataset.seatMax) || Infinity;
  button.textContent =
    count >= 1 && count <= max
      ? button.dataset.seatLabel.replace("{seats}", count === 1 ? "1 seat" : `${count} seats`)
      : button.dataset.seatPlain;
}
document.addEventListener("input", (event) => {
  if (event.target instanceof HTMLInputElement && event.target.name === "seats") {
    labelSeatButton(event.target);
  }
});
// A page restored from history keeps what was typed: match the buttons to it.
window.addEventListener("pageshow", () => {
  document.querySelectorAll("input[name=seats]").forEach(labelSeatButton);
});
