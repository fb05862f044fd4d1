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
