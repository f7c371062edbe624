// The pipeline board: drag a card (or pick a status and press Move) to change an opportunity's status.
// The card moves at once and goes back where it was if the server refuses the move.
(function () {
  "use strict";

  const board = document.getElementById("pipeline-board");
  if (!board) return;
  const alertBox = document.getElementById("pipeline-alert");
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

  function refreshTotals() {
    board.querySelectorAll(".pipeline-column").forEach((column) => {
      const cards = column.querySelectorAll(".pipeline-card");
      let total = 0;
      let weighted = 0;
      cards.forEach((card) => {
        total += cents(card.dataset.budget);
        weighted += cents(card.dataset.weighted);
      });
      column.querySelector("[data-role=count]").textContent = String(cards.length);
      column.querySelector("[data-role=total]").textContent = money.format(total / 100);
      column.querySelector("[data-role=weighted]").textContent = money.format(weighted / 100);
      column.querySelector(".pipeline-empty").hidden = cards.length > 0;
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

  function moveCard(card, column) {
    const from = columnOf(card);
    if (!column || from === column || card.classList.contains("moving")) return;
    const origin = {parent: card.parentNode, next: card.nextSibling};
    const name = card.getAttribute("aria-label");
    const list = column.querySelector(".pipeline-cards");
    list.insertBefore(card, list.firstChild);
    card.classList.add("moving");
    refreshTotals();
    const body = new URLSearchParams({status: column.dataset.status});
    fetch(card.dataset.moveUrl, {
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
        refreshTotals();
        showMessage(`${name} moved to ${data.status_label}.`, "success");
      })
      .catch((error) => {
        card.classList.remove("moving");
        origin.parent.insertBefore(card, origin.next && origin.next.parentNode === origin.parent ? origin.next : null);
        const select = card.querySelector("select[name=status]");
        if (select) select.value = from.dataset.status;
        refreshTotals();
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

  // The keyboard fallback: with scripts on, the status form moves the card in place instead of reloading.
  board.addEventListener("submit", (event) => {
    const form = event.target.closest(".pipeline-move-form");
    if (!form) return;
    event.preventDefault();
    const card = form.closest(".pipeline-card");
    const status = form.querySelector("select[name=status]").value;
    const column = board.querySelector(`.pipeline-column[data-status="${CSS.escape(status)}"]`);
    moveCard(card, column);
  });
})();
