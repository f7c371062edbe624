// Searchable pickers: every <select data-picker-url> becomes a Tom Select box that loads its options
// from that URL as one types (?q=...). The endpoint answers {"results": [{value, text, detail, group}]};
// results with a group are shown under its title. The page carries only the options already chosen.
// A <select data-picker="local"> (a few fixed options, such as statuses in a list's filters) becomes the
// same box over its own options: typed to narrow, clicked to add, removed with its ×, no Ctrl-click.
(function () {
  "use strict";

  function escape(text) {
    const span = document.createElement("span");
    span.textContent = text == null ? "" : String(text);
    return span.innerHTML;
  }

  function setUp(select) {
    if (select.tomselect || typeof TomSelect === "undefined") return;
    const url = select.dataset.pickerUrl;
    const multiple = select.multiple;
    const groups = new Set();
    const picker = new TomSelect(select, {
      valueField: "value",
      labelField: "text",
      searchField: ["text", "detail"],
      optgroupField: "group",
      optgroupLabelField: "label",
      optgroupValueField: "value",
      lockOptgroupOrder: true,
      placeholder: select.dataset.placeholder || "Type to search…",
      allowEmptyOption: !multiple,
      plugins: multiple ? ["remove_button"] : [],
      maxOptions: 50,
      preload: "focus",
      loadThrottle: 200,
      shouldLoad: () => true,
      load(query, callback) {
        const separator = url.includes("?") ? "&" : "?";
        fetch(`${url}${separator}q=${encodeURIComponent(query)}`, {
          headers: { Accept: "application/json" },
          credentials: "same-origin",
        })
          .then((response) => (response.ok ? response.json() : { results: [] }))
          .then((data) => {
            for (const option of data.results) {
              if (option.group && !groups.has(option.group)) {
                groups.add(option.group);
                picker.addOptionGroup(option.group, { value: option.group, label: option.group });
              }
            }
            callback(data.results);
          })
          .catch(() => callback());
      },
      render: {
        option(data) {
          const detail = data.detail ? ` <small class="text-body-secondary">${escape(data.detail)}</small>` : "";
          return `<div>${escape(data.text)}${detail}</div>`;
        },
        item(data) {
          return `<div>${escape(data.text)}</div>`;
        },
        optgroup_header(data) {
          return `<div class="optgroup-header">${escape(data.label)}</div>`;
        },
        no_results() {
          return '<div class="no-results">Nothing found</div>';
        },
        loading() {
          return '<div class="spinner-border spinner-border-sm m-2" role="status"><span class="visually-hidden">Loading…</span></div>';
        },
      },
      onItemAdd() {
        if (!multiple) this.blur();
      },
    });
    keepLabel(select);
  }

  function setUpLocal(select) {
    if (select.tomselect || typeof TomSelect === "undefined") return;
    const multiple = select.multiple;
    new TomSelect(select, {
      placeholder: select.dataset.placeholder || "Type to search…",
      allowEmptyOption: !multiple,
      plugins: multiple ? ["remove_button"] : [],
      maxOptions: null,
      hidePlaceholder: false,
      render: {
        no_results() {
          return '<div class="no-results">Nothing found</div>';
        },
      },
      onItemAdd() {
        this.setTextboxValue("");
        if (!multiple) this.blur();
      },
    });
    keepLabel(select);
  }

  // Tom Select moves the label to its own search box; the original select, kept for the form, keeps the
  // label's name through aria-labelledby so that it is never a control without a name.
  function keepLabel(select) {
    const label = document.getElementById(`${select.id}-ts-label`);
    if (label) select.setAttribute("aria-labelledby", label.id);
  }

  function setUpAll(root) {
    root.querySelectorAll("select[data-picker-url]").forEach(setUp);
    root.querySelectorAll('select[data-picker="local"]').forEach(setUpLocal);
  }

  document.addEventListener("DOMContentLoaded", () => setUpAll(document));
  document.addEventListener("htmx:load", (event) => setUpAll(event.target));
})();
