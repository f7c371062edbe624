// The conditions editor of the promotion form: each row shows the parameters of the kind chosen (and, for a
// kind with an operator, those that operator needs); rows in use and one empty row show, "Add a condition"
// shows the next. Without this script every row and parameter shows, and the server reads only the chosen kind's.
(function () {
  "use strict";

  function sync(row) {
    const kind = row.querySelector("[data-condition-kind]").value;
    row.querySelectorAll("[data-condition-params]").forEach((wrapper) => {
      let shown = wrapper.dataset.conditionParams === kind;
      if (shown && wrapper.dataset.shownFor) {
        const operator = row.querySelector(`[data-condition-params="${kind}"] [data-condition-operator]`);
        shown = Boolean(operator) && wrapper.dataset.shownFor.split(" ").includes(operator.value);
      }
      wrapper.hidden = !shown;
    });
  }

  function inUse(row) {
    return row.querySelector("[data-condition-kind]").value !== "" || row.querySelector("[data-condition-error], .is-invalid");
  }

  function setUp(editor) {
    const rows = Array.from(editor.querySelectorAll("[data-condition-row]"));
    const add = editor.querySelector("[data-condition-add]");
    let emptyShown = false;
    rows.forEach((row) => {
      if (inUse(row)) {
        row.hidden = false;
      } else {
        row.hidden = emptyShown;
        emptyShown = true;
      }
      sync(row);
      row.addEventListener("change", (event) => {
        if (event.target.matches("[data-condition-kind], [data-condition-operator]")) sync(row);
      });
    });
    const refresh = () => {
      add.hidden = !rows.some((row) => row.hidden);
    };
    refresh();
    add.addEventListener("click", () => {
      const next = rows.find((row) => row.hidden);
      if (next) {
        next.hidden = false;
        next.querySelector("[data-condition-kind]").focus();
      }
      refresh();
    });
  }

  document.querySelectorAll("[data-conditions-editor]").forEach(setUp);
})();
