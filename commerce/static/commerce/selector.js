// The customer selector: find a customer as one types (name, e-mail, phone), see it, edit it, or make a new
// one. It knows nothing of where customers live: it reads the fields and customers from the selector API
// given in data-selector-api (GET fields, GET customers/?q=, GET/PATCH customers/<reference>/, POST
// customers/), so another backend (an external CRM) shows here with the same look and behaviour.
//
//   <div data-customer-selector data-selector-api="/api/commerce/selector/"></div>
//
// The element fires "customer-selector:change" with detail {reference, label} (or null when cleared),
// "customer-selector:unavailable" when the customers cannot be reached (the API answered 503), and
// has .customerSelector with clear() and focus(). Keyboard: arrows move in the results, Enter chooses,
// Escape closes them.
(function () {
  "use strict";

  let counter = 0;

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function el(tag, attributes, children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = value;
      else if (key === "className") node.className = value;
      else node.setAttribute(key, value === true ? "" : value);
    }
    for (const child of children || []) if (child) node.appendChild(child);
    return node;
  }

  async function request(method, url, body) {
    const options = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.headers["X-CSRFToken"] = csrfToken();
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, options);
    } catch (error) {
      return { status: 0, body: null };
    }
    let data = null;
    try {
      data = await response.json();
    } catch (error) {
      data = null;
    }
    return { status: response.status, body: data };
  }

  // {field key: [messages]} from the API's standardized validation errors ("values.name" or "name").
  function fieldErrors(body) {
    const found = {};
    for (const error of (body && body.errors) || []) {
      const key = (error.attr || "__all__").replace(/^values\./, "").replace(/^non_field_errors$/, "__all__");
      (found[key] = found[key] || []).push(error.detail);
    }
    return found;
  }

  function firstMessage(body, fallback) {
    const errors = (body && body.errors) || [];
    return errors.length ? errors.map((e) => e.detail).join(" ") : fallback;
  }

  class CustomerSelector {
    constructor(root) {
      this.root = root;
      this.api = root.dataset.selectorApi;
      this.id = `customer-selector-${++counter}`;
      this.fields = [];
      this.results = [];
      this.active = -1;
      this.customer = null;
      this.searchToken = 0;
      this.build();
      this.ready = this.loadFields();
    }

    build() {
      const id = this.id;
      this.input = el("input", {
        id: `${id}-search`, className: "form-control", type: "search", autocomplete: "off", role: "combobox",
        "aria-expanded": "false", "aria-controls": `${id}-results`, "aria-autocomplete": "list",
        placeholder: "Name, e-mail or phone", "aria-keyshortcuts": this.root.dataset.shortcut || null,
      });
      this.list = el("ul", { id: `${id}-results`, className: "list-group customer-selector-results", role: "listbox",
        "aria-label": "Customers found", hidden: true });
      this.message = el("div", { className: "form-text", role: "status", "aria-live": "polite", id: `${id}-message` });
      this.newButton = el("button", { type: "button", className: "btn btn-outline-primary btn-sm mt-2", text: "New customer" });
      this.searchBox = el("div", { className: "position-relative" }, [
        el("label", { className: "form-label", for: `${id}-search`, text: "Find a customer" }),
        this.input, this.list, this.message, this.newButton,
      ]);
      this.detail = el("div", { className: "card mt-2", hidden: true, "aria-live": "polite" });
      this.formBox = el("div", { className: "mt-2", hidden: true });
      this.root.replaceChildren(this.searchBox, this.detail, this.formBox);

      this.input.addEventListener("input", () => this.search());
      this.input.addEventListener("keydown", (event) => this.onKey(event));
      this.input.addEventListener("blur", () => window.setTimeout(() => this.close(), 150));
      this.list.addEventListener("mousedown", (event) => event.preventDefault());
      this.list.addEventListener("click", (event) => {
        const option = event.target.closest("[role=option]");
        if (option) this.choose(Number(option.dataset.index));
      });
      this.newButton.addEventListener("click", () => this.showForm("create"));
    }

    async loadFields() {
      const { status, body } = await request("GET", this.api);
      if (status === 200) this.fields = body.fields;
      else this.say("The customer fields could not be loaded; reload the page.");
    }

    say(text) {
      this.message.textContent = text || "";
    }

    focus() {
      (this.customer ? this.detail.querySelector("button") : this.input).focus();
    }

    async search() {
      const query = this.input.value.trim();
      const token = ++this.searchToken;
      if (query.length < 2) {
        this.results = [];
        this.render();
        this.say("");
        return;
      }
      const url = `${this.api}customers/?q=${encodeURIComponent(query)}&limit=10`;
      const { status, body } = await request("GET", url);
      if (token !== this.searchToken) return; // an answer to an older query
      if (status === 503 || status === 0) {
        this.results = [];
        this.render();
        this.say(firstMessage(body, "The customers cannot be reached now."));
        this.root.dispatchEvent(new CustomEvent("customer-selector:unavailable", { bubbles: true }));
        return;
      }
      this.results = status === 200 ? body.results : [];
      this.active = this.results.length ? 0 : -1;
      this.render();
      this.say(this.results.length ? `${this.results.length}${body.has_more ? "+" : ""} found` : "No customer found");
    }

    listText(customer) {
      return this.fields
        .filter((field) => field.in_list && field.key !== "name" && customer.values[field.key])
        .sort((a, b) => (a.list_position || 0) - (b.list_position || 0))
        .map((field) => customer.values[field.key])
        .join(" · ");
    }

    render() {
      this.list.replaceChildren(
        ...this.results.map((customer, index) =>
          el("li", {
            id: `${this.id}-option-${index}`, role: "option", "data-index": index,
            "aria-selected": index === this.active ? "true" : "false",
            className: `list-group-item list-group-item-action${index === this.active ? " active" : ""}`,
          }, [el("span", { className: "fw-semibold", text: customer.label }),
              el("small", { className: "d-block", text: this.listText(customer) })])
        )
      );
      const open = this.results.length > 0;
      this.list.hidden = !open;
      this.input.setAttribute("aria-expanded", open ? "true" : "false");
      if (open && this.active >= 0) this.input.setAttribute("aria-activedescendant", `${this.id}-option-${this.active}`);
      else this.input.removeAttribute("aria-activedescendant");
    }

    close() {
      this.results = [];
      this.render();
    }

    onKey(event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!this.results.length) return;
        event.preventDefault();
        const step = event.key === "ArrowDown" ? 1 : -1;
        this.active = (this.active + step + this.results.length) % this.results.length;
        this.render();
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (this.active >= 0) this.choose(this.active);
      } else if (event.key === "Escape") {
        this.close();
      }
    }

    choose(index) {
      const customer = this.results[index];
      if (!customer) return;
      this.close();
      this.select(customer);
    }

    select(customer) {
      this.customer = customer;
      this.input.value = "";
      this.searchBox.hidden = true;
      this.formBox.hidden = true;
      this.showDetail();
      this.root.dispatchEvent(new CustomEvent("customer-selector:change", {
        bubbles: true, detail: { reference: customer.reference, label: customer.label },
      }));
    }

    clear() {
      this.customer = null;
      this.detail.hidden = true;
      this.formBox.hidden = true;
      this.searchBox.hidden = false;
      this.say("");
      this.root.dispatchEvent(new CustomEvent("customer-selector:change", { bubbles: true, detail: null }));
    }

    displayValue(field, value) {
      if (field.type === "boolean") return { true: "Yes", false: "No" }[value] || "";
      if (field.type === "choice") {
        const choice = field.choices.find((c) => c.value === value);
        return choice ? choice.label : "";
      }
      return value;
    }

    async showDetail() {
      await this.ready;
      const customer = this.customer;
      const rows = [];
      for (const field of this.fields.filter((f) => f.in_detail)) {
        const value = this.displayValue(field, customer.values[field.key] || "");
        rows.push(el("dt", { className: "col-5", text: field.label }));
        rows.push(el("dd", { className: "col-7", text: value || "—", "data-field": field.key }));
      }
      const edit = el("button", { type: "button", className: "btn btn-outline-secondary btn-sm", text: "Edit" });
      const change = el("button", { type: "button", className: "btn btn-outline-secondary btn-sm ms-2", text: "Change customer" });
      edit.addEventListener("click", () => this.showForm("edit"));
      change.addEventListener("click", () => { this.clear(); this.input.focus(); });
      this.detail.replaceChildren(el("div", { className: "card-body" }, [
        el("h3", { className: "h6 card-title", id: `${this.id}-chosen`, text: customer.label }),
        el("dl", { className: "row mb-2 small" }, rows),
        edit, change,
      ]));
      this.detail.hidden = false;
    }

    async showForm(mode) {
      await this.ready; // the forms are made of the fields, read once when the page opens
      const editing = mode === "edit";
      const fields = this.fields.filter((f) => (editing ? f.in_edit : f.in_create));
      const required = (field) => (editing && field.required_on_edit !== null && field.required_on_edit !== undefined
        ? field.required_on_edit : field.required);
      const prefix = `${this.id}-${mode}`;
      const summary = el("div", { className: "alert alert-danger", role: "alert", hidden: true, tabindex: "-1" });
      const controls = fields.map((field) => {
        const id = `${prefix}-${field.key}`;
        const value = editing ? this.customer.values[field.key] || "" : "";
        let control;
        const choices = field.type === "boolean"
          ? [{ value: "true", label: "Yes" }, { value: "false", label: "No" }] : field.choices;
        if (field.type === "choice" || field.type === "boolean") {
          control = el("select", { id, name: field.key, className: "form-select", required: required(field) },
            [el("option", { value: "", text: "—" }),
             ...choices.map((c) => el("option", { value: c.value, text: c.label, selected: c.value === value }))]);
        } else {
          const type = { email: "email", phone: "tel", number: "number", date: "date" }[field.type] || "text";
          control = el("input", { id, name: field.key, type, className: "form-control", value,
            maxlength: field.max_length, required: required(field), autocomplete: "off" });
        }
        const feedback = el("div", { className: "invalid-feedback", id: `${id}-error` });
        return el("div", { className: "mb-2", "data-field": field.key }, [
          el("label", { className: "form-label", for: id, text: field.label + (required(field) ? " (required)" : "") }),
          control, feedback,
        ]);
      });
      const save = el("button", { type: "submit", className: "btn btn-primary btn-sm", text: editing ? "Save" : "Create customer" });
      const cancel = el("button", { type: "button", className: "btn btn-outline-secondary btn-sm ms-2", text: "Cancel" });
      const form = el("form", { novalidate: true, "aria-labelledby": `${prefix}-title` }, [
        el("h3", { className: "h6", id: `${prefix}-title`, text: editing ? "Edit customer" : "New customer" }),
        summary, ...controls, save, cancel,
      ]);
      cancel.addEventListener("click", () => {
        this.formBox.hidden = true;
        if (this.customer) { this.detail.hidden = false; this.focus(); }
        else { this.searchBox.hidden = false; this.input.focus(); }
      });
      form.addEventListener("submit", (event) => { event.preventDefault(); this.submit(form, mode, summary, save); });
      this.formBox.replaceChildren(form);
      this.formBox.hidden = false;
      this.searchBox.hidden = true;
      this.detail.hidden = true;
      const first = form.querySelector("input, select");
      if (first) first.focus();
    }

    showErrors(form, summary, errors) {
      let firstInvalid = null;
      for (const group of form.querySelectorAll("[data-field]")) {
        const control = group.querySelector("input, select");
        const feedback = group.querySelector(".invalid-feedback");
        const messages = errors[group.dataset.field];
        control.classList.toggle("is-invalid", Boolean(messages));
        if (messages) {
          feedback.textContent = messages.join(" ");
          control.setAttribute("aria-describedby", feedback.id);
          control.setAttribute("aria-invalid", "true");
          firstInvalid = firstInvalid || control;
        } else {
          feedback.textContent = "";
          control.removeAttribute("aria-describedby");
          control.removeAttribute("aria-invalid");
        }
      }
      const known = new Set([...form.querySelectorAll("[data-field]")].map((g) => g.dataset.field));
      const other = Object.entries(errors).filter(([key]) => !known.has(key)).flatMap(([, m]) => m);
      summary.textContent = other.join(" ");
      summary.hidden = other.length === 0;
      if (firstInvalid) firstInvalid.focus();
      else if (other.length) summary.focus();
    }

    async submit(form, mode, summary, save) {
      const values = {};
      for (const control of form.querySelectorAll("input[name], select[name]")) values[control.name] = control.value;
      save.disabled = true;
      const editing = mode === "edit";
      const url = editing ? `${this.api}customers/${encodeURIComponent(this.customer.reference)}/` : `${this.api}customers/`;
      const body = editing ? { values, version: this.customer.version } : { values };
      const { status, body: answer } = await request(editing ? "PATCH" : "POST", url, body);
      save.disabled = false;
      if (status === 200 || status === 201) {
        this.select(answer);
        this.say(editing ? "Customer saved." : "Customer created.");
        return;
      }
      if (status === 503) this.root.dispatchEvent(new CustomEvent("customer-selector:unavailable", { bubbles: true }));
      if (status === 400) this.showErrors(form, summary, fieldErrors(answer));
      else if (status === 0) this.showErrors(form, summary, { __all__: ["No answer from the server; try again."] });
      else this.showErrors(form, summary, { __all__: [firstMessage(answer, "The customer could not be saved.")] });
    }
  }

  function setUp(root) {
    if (!root.customerSelector) root.customerSelector = new CustomerSelector(root);
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.querySelectorAll("[data-customer-selector]").forEach(setUp);
  });
})();
