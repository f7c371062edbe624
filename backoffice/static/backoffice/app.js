// Behaviour shared by every page, wired by data- attributes (the Content-Security-Policy forbids
// inline event handlers):
//   data-confirm="Question?"   on a button or link: ask first; cancelling stops the click.
//   data-copy-target="#id"     on a button: copy that field's value to the clipboard.
//   data-autosubmit            on a select or input: submit its form when the value changes.
//   data-open-dialog="id"      on a link or button: open that <dialog> as a modal instead of following
//                              the link (which leads to the same form as a page, without scripts).
//   data-close-dialog          on a button inside a <dialog>: close it.
//   data-select-all="form-id"  on a checkbox: tick or untick every "ids" checkbox of that form; the
//                              form's #bulk-count says how many are ticked.
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
    const opener = event.target.closest("[data-open-dialog]");
    const dialog = opener && document.getElementById(opener.dataset.openDialog);
    if (dialog && typeof dialog.showModal === "function") {
      event.preventDefault();
      dialog.showModal();
      return;
    }
    const closer = event.target.closest("[data-close-dialog]");
    if (closer && closer.closest("dialog")) {
      closer.closest("dialog").close();
      return;
    }
    const copier = event.target.closest("[data-copy-target]");
    if (copier) {
      const field = document.querySelector(copier.dataset.copyTarget);
      if (field && navigator.clipboard) navigator.clipboard.writeText(field.value);
    }
  });

  function tickedBoxes(form) {
    return Array.from(document.querySelectorAll(`input[type=checkbox][name=ids][form="${form.id}"]`));
  }

  function countTicked(form) {
    const boxes = tickedBoxes(form);
    const ticked = boxes.filter((box) => box.checked).length;
    const counter = form.querySelector("#bulk-count");
    if (counter) counter.textContent = ticked ? `${ticked} ticked` : "None ticked";
    const all = document.querySelector(`[data-select-all="${form.id}"]`);
    if (all) {
      all.checked = ticked > 0 && ticked === boxes.length;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
    }
  }

  document.addEventListener("change", (event) => {
    const field = event.target.closest("[data-autosubmit]");
    if (field && field.form) field.form.submit();
    const all = event.target.closest("[data-select-all]");
    const box = all || event.target.closest("input[type=checkbox][name=ids][form]");
    const form = box && document.getElementById(all ? all.dataset.selectAll : box.getAttribute("form"));
    if (!form) return;
    if (all) tickedBoxes(form).forEach((item) => { item.checked = all.checked; });
    countTicked(form);
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
