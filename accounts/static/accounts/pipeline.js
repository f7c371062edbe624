// The pipeline board: drag a card (or use its Move link) to change an opportunity's status.
// The card moves at once and goes back where it was if the server refuses the move. A column shows
// its first cards only, so its totals come from the server and follow each move by difference; more
// cards come by "Load more" (htmx, on click or when scrolled into view).
(function () {
  "use strict";

  const board = document.getElementById("pipeline-board");
  if (!board) return;
  const alertBox = document.getElementById("pipeline-alert");
  const moveForm = document.getElementById("pipeline-move-form");
  const moveFormHome = {parent: moveForm.parentNode, next: moveForm.nextSibling};
  const money = new Intl.NumberFormat("en-US", {minimumFractionDigits: 2, maximumFractionDigits: 2});
  let dragged = null;

  function csrfToken() {
    // base.html puts the token in the body's hx-headers; the cookie is the fallback.
    try {
      const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
    } catch (error) {
      // fall through to the cookie
    }
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function cents(value) {
    // Amounts are added in whole cents so the totals match the server's decimal sums.
    return Math.round(parseFloat(value || "0") * 100);
  }

  // Each column's figures, in cents, as the server summed them; moves change them by difference.
  const figures = new Map();
  board.querySelectorAll(".pipeline-column").forEach((column) => {
    figures.set(column, {
      count: parseInt(column.dataset.count || "0", 10),
      total: cents(column.dataset.total),
      weighted: cents(column.dataset.weighted),
    });
  });

  function shift(column, sign, budget, weighted) {
    const figure = figures.get(column);
    figure.count += sign;
    figure.total += sign * budget;
    figure.weighted += sign * weighted;
    column.querySelector("[data-role=count]").textContent = String(figure.count);
    column.querySelector("[data-role=total]").textContent = money.format(figure.total / 100);
    column.querySelector("[data-role=weighted]").textContent = money.format(figure.weighted / 100);
    column.querySelector(".pipeline-empty").hidden = column.querySelector(".pipeline-card") !== null;
    const switchCount = switcher && switcher.querySelector(`[data-show-status="${CSS.escape(column.dataset.status)}"] [data-switch-count]`);
    if (switchCount) switchCount.textContent = String(figure.count);
  }

  // On a phone the board shows one column at a time; the switcher's buttons choose it (CSS keeps every
  // column on wider screens, where the switcher is hidden).
  const switcher = document.getElementById("pipeline-switcher");

  function showStatus(status) {
    board.querySelectorAll(".pipeline-column").forEach((column) => {
      column.classList.toggle("pipeline-column-current", column.dataset.status === status);
    });
    switcher.querySelectorAll("[data-show-status]").forEach((button) => {
      const current = button.dataset.showStatus === status;
      button.setAttribute("aria-pressed", String(current));
      button.classList.toggle("btn-secondary", current);
      button.classList.toggle("btn-outline-secondary", !current);
    });
  }

  if (switcher) {
    switcher.hidden = false;
    board.classList.add("pipeline-one-column");
    const first = board.querySelector(".pipeline-column .pipeline-card");
    showStatus(first ? columnOf(first).dataset.status : board.querySelector(".pipeline-column").dataset.status);
    switcher.addEventListener("click", (event) => {
      const button = event.target.closest("[data-show-status]");
      if (button) showStatus(button.dataset.showStatus);
    });
  }

  function showMessage(text, kind) {
    const alert = document.createElement("div");
    alert.className = `alert alert-${kind} alert-dismissible fade show`;
    alert.setAttribute("role", kind === "danger" ? "alert" : "status");
    alert.textContent = text;
    const close = document.createElement("button");
    close.type = "button";
    close.className = "btn-close";
    close.setAttribute("data-bs-dismiss", "alert");
    close.setAttribute("aria-label", "Close");
    alert.appendChild(close);
    alertBox.replaceChildren(alert);
  }

  function columnOf(element) {
    return element.closest(".pipeline-column");
  }

  function closeMoveForm() {
    moveForm.hidden = true;
    moveFormHome.parent.insertBefore(moveForm, moveFormHome.next);
  }

  function moveCard(card, column) {
    const from = columnOf(card);
    if (!column || from === column || card.classList.contains("moving")) return;
    if (card.contains(moveForm)) closeMoveForm();
    const origin = {parent: card.parentNode, next: card.nextSibling};
    const name = card.getAttribute("aria-label");
    const budget = cents(card.dataset.budget);
    const weighted = cents(card.dataset.weighted);
    const list = column.querySelector(".pipeline-cards");
    list.insertBefore(card, list.firstChild);
    card.classList.add("moving");
    shift(from, -1, budget, weighted);
    shift(column, 1, budget, weighted);
    const body = new URLSearchParams({status: column.dataset.status, next: board.dataset.next || ""});
    // The card's Move link leads to its plain form; the same address takes the move.
    fetch(new URL(card.querySelector(".pipeline-move-link").href).pathname, {
      method: "POST",
      credentials: "same-origin",
      headers: {"X-CSRFToken": csrfToken(), Accept: "application/json"},
      body,
    })
      .then(async (response) => {
        let data = {};
        try {
          data = await response.json();
        } catch (error) {
          data = {};
        }
        if (!response.ok) throw new Error(data.error || `The move was refused (HTTP ${response.status}).`);
        const template = document.createElement("template");
        template.innerHTML = data.card_html.trim();
        const fresh = template.content.firstElementChild;
        card.replaceWith(fresh);
        // The status may change the probability (and so the weighted amount): count what is stored.
        shift(column, -1, budget, weighted);
        shift(column, 1, cents(fresh.dataset.budget), cents(fresh.dataset.weighted));
        showMessage(`${name} moved to ${data.status_label}.`, "success");
      })
      .catch((error) => {
        card.classList.remove("moving");
        origin.parent.insertBefore(card, origin.next && origin.next.parentNode === origin.parent ? origin.next : null);
        shift(column, -1, budget, weighted);
        shift(from, 1, budget, weighted);
        showMessage(`${name}: ${error.message}`, "danger");
      });
  }

  board.addEventListener("dragstart", (event) => {
    const card = event.target.closest && event.target.closest(".pipeline-card");
    if (!card || card.getAttribute("draggable") !== "true" || card.classList.contains("moving")) {
      event.preventDefault();
      return;
    }
    dragged = card;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", card.dataset.opportunityId);
    card.classList.add("dragging");
  });

  board.addEventListener("dragend", () => {
    if (dragged) dragged.classList.remove("dragging");
    dragged = null;
    board.querySelectorAll(".drop-target").forEach((column) => column.classList.remove("drop-target"));
  });

  board.addEventListener("dragover", (event) => {
    const column = columnOf(event.target);
    if (!dragged || !column || column === columnOf(dragged)) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    board.querySelectorAll(".drop-target").forEach((other) => other !== column && other.classList.remove("drop-target"));
    column.classList.add("drop-target");
  });

  board.addEventListener("dragleave", (event) => {
    const column = columnOf(event.target);
    if (column && !column.contains(event.relatedTarget)) column.classList.remove("drop-target");
  });

  board.addEventListener("drop", (event) => {
    const column = columnOf(event.target);
    if (!dragged || !column) return;
    event.preventDefault();
    column.classList.remove("drop-target");
    const card = dragged;
    dragged = null;
    card.classList.remove("dragging");
    moveCard(card, column);
  });

  // The keyboard way: a card's Move link opens the board's one move form in that card (without
  // scripts, the link leads to the card's own form page instead).
  board.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest(".pipeline-move-link");
    if (!link) return;
    event.preventDefault();
    const card = link.closest(".pipeline-card");
    if (card.classList.contains("moving")) return;
    link.parentNode.appendChild(moveForm);
    moveForm.querySelector("select[name=status]").value = columnOf(card).dataset.status;
    moveForm.hidden = false;
    moveForm.querySelector("select[name=status]").focus();
  });

  moveForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const card = moveForm.closest(".pipeline-card");
    const status = moveForm.querySelector("select[name=status]").value;
    const column = board.querySelector(`.pipeline-column[data-status="${CSS.escape(status)}"]`);
    if (!card) return;
    if (column === columnOf(card)) {
      closeMoveForm();
      return;
    }
    moveCard(card, column);
  });

  moveForm.querySelector("[data-role=cancel]").addEventListener("click", closeMoveForm);

  // A card moved into a column while its next page was on the way may come in that page too: keep one.
  // htmx:load fires on each element a swap adds, once it is in the page.
  board.addEventListener("htmx:load", (event) => {
    const card = event.target;
    if (!card.classList || !card.classList.contains("pipeline-card")) return;
    const twins = board.querySelectorAll(`.pipeline-card[data-opportunity-id="${CSS.escape(card.dataset.opportunityId)}"]`);
    if (twins.length > 1) card.remove();
  });

  board.addEventListener("htmx:responseError", (event) => {
    const text = event.detail.xhr && event.detail.xhr.responseText;
    const said = new DOMParser().parseFromString(text || "", "text/html").body.textContent.trim();
    showMessage(said || "The next cards could not be loaded.", "danger");
  });
})();
