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
