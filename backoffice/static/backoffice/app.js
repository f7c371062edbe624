// Behaviour shared by every page, wired by data- attributes (the Content-Security-Policy forbids
// inline event handlers):
//   data-confirm="Question?"   on a button or link: ask first; cancelling stops the click.
//   data-copy-target="#id"     on a button: copy that field's value to the clipboard.
//   data-autosubmit            on a select or input: submit its form when the value changes.
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
})();
