// Behaviour of forms, wired by data- attributes (the Content-Security-Policy forbids inline scripts):
//   data-show-for="id or name" data-show-values="A B"   show the block only while that field (a select by
//        id, or a group of radio buttons by name, in the same form) has one of the values. Without
//        JavaScript every block shows.
//   data-row-template="prefix"   on a <template>: "add a row" for the formset of that prefix; a button
//        data-add-row="prefix" copies it with __prefix__ numbered and counts it in TOTAL_FORMS.
//   data-remove-row   on a button inside [data-row]: tick the row's DELETE box and hide it.
// A form shown again with errors moves the focus to its first invalid field.
(function () {
  "use strict";

  function controlValue(block) {
    const form = block.closest("form") || document;
    const key = block.dataset.showFor;
    const byId = document.getElementById(key);
    if (byId && form.contains(byId)) return byId.value;
    const named = form.elements ? form.elements.namedItem(key) : null;
    return named ? named.value : "";
  }

  function refresh(root) {
    root.querySelectorAll("[data-show-for]").forEach((block) => {
      const values = block.dataset.showValues.split(" ");
      block.hidden = !values.includes(controlValue(block));
    });
  }

  function addRow(prefix) {
    const template = document.querySelector(`template[data-row-template="${prefix}"]`);
    const total = document.getElementById(`id_${prefix}-TOTAL_FORMS`);
    if (!template || !total) return;
    const index = Number(total.value);
    const html = template.innerHTML.replace(/__prefix__/g, String(index));
    const holder = document.createElement("tbody");
    holder.innerHTML = html;
    const row = holder.firstElementChild;
    template.parentElement.insertBefore(row, template);
    total.value = String(index + 1);
    const first = row.querySelector("input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select");
    if (first) first.focus();
  }

  function removeRow(button) {
    const row = button.closest("[data-row]");
    if (!row) return;
    const box = row.querySelector("input[type=checkbox][name$='-DELETE']");
    if (box) box.checked = true;
    row.hidden = true;
    const next = row.parentElement.querySelector("[data-row]:not([hidden]) input:not([type=hidden])");
    const adder = document.querySelector(`[data-add-row="${row.dataset.row}"]`);
    (next || adder || document.body).focus();
  }

  function focusFirstError() {
    const invalid = document.querySelector(
      "main form input.is-invalid, main form select.is-invalid, main form textarea.is-invalid"
    );
    if (!invalid) return;
    // A picker's own select is hidden: its search box takes the focus instead.
    if (invalid.tomselect) invalid.tomselect.focus();
    else invalid.focus();
  }

  document.addEventListener("change", (event) => {
    const form = event.target.closest("form");
    if (form) refresh(form);
  });

  document.addEventListener("click", (event) => {
    const adder = event.target.closest("[data-add-row]");
    if (adder) {
      event.preventDefault();
      addRow(adder.dataset.addRow);
      return;
    }
    const remover = event.target.closest("[data-remove-row]");
    if (remover) {
      event.preventDefault();
      removeRow(remover);
    }
  });

  document.addEventListener("DOMContentLoaded", () => {
    refresh(document);
    document.querySelectorAll("[data-js-only]").forEach((element) => {
      element.hidden = false;
    });
    // After the pickers are set up (picker.js runs on the same event), so that one can take the focus.
    window.setTimeout(focusFirstError, 0);
  });
  document.addEventListener("htmx:load", (event) => refresh(event.target));
})();
