// Behaviour shared by every page, wired by data- attributes (the Content-Security-Policy forbids
// inline event handlers):
//   data-confirm="Question?"   on a button or link: ask first; cancelling stops the click.
//   data-copy-target="#id"     on a button: copy that field's value to the clipboard.
//   data-autosubmit            on a select or input: submit its form when the value changes.
// And the keyboard shortcut "/" (outside a text field) to the top bar's search; Escape closes its results.
(function () {
  "use strict";

  document.addEventListener("click", (event) => {
    const confirmer = event.target.closest("[data-confirm]");
    if (confirmer && !window.confirm(confirmer.dataset.confirm)) {
      event.preventDefault();
      event.stopImmediatePropagation();
      return;
    }
    const copier = event.target.closest("[data-copy-target]");
    if (copier) {
      const field = document.querySelector(copier.dataset.copyTarget);
      if (field && navigator.clipboard) navigator.clipboard.writeText(field.value);
    }
  });

  document.addEventListener("change", (event) => {
    const field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
  });

  document.addEventListener("keydown", (event) => {
    const search = document.getElementById("global-search-input");
    if (!search) return;
    if (event.key === "Escape" && event.target === search) {
      document.getElementById("global-search-results").replaceChildren();
      return;
    }
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.target.closest("input, textarea, select, [contenteditable]")) return;
    event.preventDefault();
    search.focus();
    search.select();
  });
})();
