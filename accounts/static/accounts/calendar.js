// The week and day views' hour grid: drag an event to another hour or day to move it, or its lower edge
// to change its end. Times snap to a quarter of an hour; the event keeps its length when moved. The
// change goes through the server (with the version the page read) and the page then shows it as stored.
(function () {
  "use strict";

  const grid = document.getElementById("calendar-grid");
  if (!grid) return;
  const alertBox = document.getElementById("calendar-alert");
  const DAY = 24 * 60;
  const SNAP = 15;
  let drag = null;

  function csrfToken() {
    try {
      const headers = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (headers["X-CSRFToken"]) return headers["X-CSRFToken"];
    } catch (error) {
      // fall through to the cookie
    }
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  // Wall-clock times as plain numbers: minutes since 1970-01-01 00:00 of the grid's own clock.
  function parse(text) {
    const [date, time] = text.split("T");
    const [year, month, day] = date.split("-").map(Number);
    const [hour, minute] = time.split(":").map(Number);
    return Date.UTC(year, month - 1, day, hour, minute) / 60000;
  }

  function format(minutes) {
    const value = new Date(minutes * 60000);
    const pad = (number) => String(number).padStart(2, "0");
    return `${value.getUTCFullYear()}-${pad(value.getUTCMonth() + 1)}-${pad(value.getUTCDate())}` +
      `T${pad(value.getUTCHours())}:${pad(value.getUTCMinutes())}`;
  }

  function minuteAt(column, clientY) {
    const box = column.getBoundingClientRect();
    return Math.max(0, Math.min(DAY, ((clientY - box.top) / box.height) * DAY));
  }

  function snap(minutes) {
    return Math.round(minutes / SNAP) * SNAP;
  }

  function showError(text) {
    const alert = document.createElement("div");
    alert.className = "alert alert-danger mt-2";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    alertBox.replaceChildren(alert);
  }

  grid.addEventListener("dragstart", (event) => {
    const handle = event.target.closest && event.target.closest("[data-resize]");
    const entry = event.target.closest && event.target.closest(".calendar-entry[draggable=true]");
    if (!entry) return;
    const column = entry.closest(".calendar-day-body");
    drag = {
      entry,
      resize: Boolean(handle),
      start: parse(entry.dataset.start),
      end: parse(entry.dataset.end),
      // Where in the event it was taken, so it lands where the pointer lets it go.
      grabbed: minuteAt(column, event.clientY) - minuteAt(column, entry.getBoundingClientRect().top),
    };
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", entry.dataset.event);
    entry.classList.add("dragging");
  });

  grid.addEventListener("dragend", () => {
    if (drag) drag.entry.classList.remove("dragging");
    grid.querySelectorAll(".drop-target").forEach((column) => column.classList.remove("drop-target"));
  });

  grid.addEventListener("dragover", (event) => {
    const column = event.target.closest && event.target.closest(".calendar-day-body");
    if (!drag || !column) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "move";
    grid.querySelectorAll(".drop-target").forEach((other) => other !== column && other.classList.remove("drop-target"));
    column.classList.add("drop-target");
  });

  grid.addEventListener("drop", (event) => {
    const column = event.target.closest && event.target.closest(".calendar-day-body");
    if (!drag || !column) return;
    event.preventDefault();
    const current = drag;
    drag = null;
    current.entry.classList.remove("dragging");
    column.classList.remove("drop-target");
    const midnight = parse(`${column.dataset.date}T00:00`);
    let start = current.start;
    let end = current.end;
    if (current.resize) {
      end = Math.max(midnight + snap(minuteAt(column, event.clientY)), start + SNAP);
    } else {
      start = midnight + snap(minuteAt(column, event.clientY) - current.grabbed);
      end = start + (current.end - current.start);
    }
    if (start === current.start && end === current.end) return;
    send(current.entry, start, end);
  });

  function send(entry, start, end) {
    entry.classList.add("opacity-50");
    const body = new URLSearchParams({start: format(start), end: format(end), version: entry.dataset.version});
    fetch(grid.dataset.moveUrl.replace("/0/", `/${entry.dataset.event}/`), {
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
        if (!response.ok) throw new Error(data.error || `The change was refused (HTTP ${response.status}).`);
        window.location.reload();
      })
      .catch((error) => {
        entry.classList.remove("opacity-50");
        showError(error.message);
      });
  }
})();
