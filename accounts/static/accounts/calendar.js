// The week and day views' hour grid: drag an event to another hour or day to move it, or its lower edge
// to change its end. Times snap to a quarter of an hour; the event keeps its length when moved. The
// change goes through the server (with the version the page read) and the page then shows it as stored.
//
// With the keyboard: on an event, M opens the Move dialog (its start and end, to a quarter of an hour).
// An occurrence of a repeating event, dragged or moved with the keyboard, asks in the same dialog whether
// only it or every occurrence moves. After a move the page shows the change and focus is back on the event.
(function () {
  "use strict";

  const grid = document.getElementById("calendar-grid");
  if (!grid) return;
  const alertBox = document.getElementById("calendar-alert");
  const dialog = document.getElementById("calendar-move-dialog");
  const FOCUS_KEY = "calendar-focus";
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
    if (current.entry.dataset.occurrence) {
      openMove(current.entry, start, end);  // only this occurrence, or every one?
      return;
    }
    send(current.entry, start, end);
  });

  // --- the Move dialog (keyboard, and the question a repeating event asks) ---------------------------

  function openMove(entry, start, end) {
    const form = dialog.querySelector("form");
    dialog.entry = entry;
    dialog.querySelector("#calendar-move-title").textContent = `Move “${entry.dataset.title}”`;
    form.elements.start.value = format(start);
    form.elements.end.value = format(end);
    form.elements.start.dataset.length = String(end - start);
    const repeating = Boolean(entry.dataset.occurrence);
    dialog.querySelector("#calendar-move-scope").hidden = !repeating;
    dialog.querySelector("#calendar-move-occurrence").checked = true;
    dialog.querySelector("#calendar-move-error").textContent = "";
    dialog.showModal();
    const dropped = repeating && start !== parse(entry.dataset.start);
    (dropped ? form.querySelector("[name=scope]:checked") : form.elements.start).focus();
  }

  if (dialog) {
    const form = dialog.querySelector("form");
    // Changing the start keeps the length, as dragging does; the end can then be changed on its own.
    form.elements.start.addEventListener("change", () => {
      if (!form.elements.start.value) return;
      const length = Number(form.elements.start.dataset.length || 0);
      form.elements.end.value = format(parse(form.elements.start.value) + length);
    });
    form.elements.end.addEventListener("change", () => {
      if (form.elements.start.value && form.elements.end.value) {
        const length = parse(form.elements.end.value) - parse(form.elements.start.value);
        form.elements.start.dataset.length = String(length);
      }
    });
    dialog.querySelector("#calendar-move-cancel").addEventListener("click", () => dialog.close());
    dialog.addEventListener("close", () => {
      if (dialog.entry && !dialog.sending) dialog.entry.focus();
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const error = dialog.querySelector("#calendar-move-error");
      if (!form.elements.start.value || !form.elements.end.value) {
        error.textContent = "Give the new start and end.";
        return;
      }
      const start = parse(form.elements.start.value);
      const end = parse(form.elements.end.value);
      if (end < start) {
        error.textContent = "The event cannot end before it starts.";
        form.elements.end.focus();
        return;
      }
      const scope = form.querySelector("[name=scope]:checked");
      dialog.sending = true;
      dialog.close();
      dialog.sending = false;
      send(dialog.entry, start, end, dialog.entry.dataset.occurrence ? scope.value : "");
    });
  }

  grid.addEventListener("keydown", (event) => {
    const entry = event.target.closest && event.target.closest(".calendar-entry[draggable=true]");
    if (!entry || !dialog || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.key !== "m" && event.key !== "M") return;
    event.preventDefault();
    openMove(entry, parse(entry.dataset.start), parse(entry.dataset.end));
  });

  // After a move the page is drawn anew: focus goes back to the event moved, where it now is.
  try {
    const wanted = JSON.parse(sessionStorage.getItem(FOCUS_KEY) || "null");
    sessionStorage.removeItem(FOCUS_KEY);
    if (wanted) {
      const same = `.calendar-entry[data-event="${Number(wanted.id)}"]`;
      const target = grid.querySelector(`${same}[data-start="${CSS.escape(String(wanted.start))}"]`) ||
        grid.querySelector(same);
      if (target) {
        target.scrollIntoView({block: "center"});
        target.focus();
      }
    }
  } catch (error) {
    // No session storage: focus stays where the browser puts it.
  }

  function send(entry, start, end, scope) {
    entry.classList.add("opacity-50");
    const body = new URLSearchParams({start: format(start), end: format(end), version: entry.dataset.version});
    if (scope) {
      body.set("scope", scope);
      body.set("occurrence", entry.dataset.occurrence);
    }
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
        try {
          sessionStorage.setItem(FOCUS_KEY, JSON.stringify({id: data.id, start: data.focus}));
        } catch (error) {
          // focus is not kept without session storage
        }
        window.location.reload();
      })
      .catch((error) => {
        entry.classList.remove("opacity-50");
        showError(error.message);
        entry.focus();
      });
  }
})();
