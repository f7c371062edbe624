// The order form with the CRM connector on: choosing a customer in the customer selector fills in the CRM
// reference field named by the selector's data-fill (the reference can also be typed there).
(function () {
  "use strict";

  document.addEventListener("customer-selector:change", (event) => {
    const fill = event.target.dataset.fill;
    const target = fill ? document.querySelector(fill) : null;
    if (target) target.value = event.detail ? event.detail.reference : "";
  });
})();
