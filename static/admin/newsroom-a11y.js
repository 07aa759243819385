// Names for the admin's form controls that Django's own markup leaves without one.
//
// - A tabular inline (the byline, corrections, share links) labels its fields only by the column
//   headings, which a screen reader does not tie to the inputs, and on a phone the rows are
//   stacked (static/admin/newsroom.css), so the headings are not shown: each control is named
//   after its column, and each cell carries the heading in data-label for the stacked layout.
// - A date-and-time field is two inputs whose "Date:" and "Time:" are bare text.
// - The autocomplete fields (select2) render their own combobox and search field, outside the
//   <label for> of the select they replace: they are pointed at that label.
// Nothing here changes what a form sends.
(function () {
  "use strict";

  function ownText(element) {
    // The heading's words without its help icon's alt text, and without a trailing colon.
    let text = "";
    for (const node of element.childNodes) {
      if (node.nodeType === Node.TEXT_NODE) text += node.textContent;
      else if (node.nodeType === Node.ELEMENT_NODE && node.tagName !== "IMG") {
        text += node.textContent;
      }
    }
    return text.replace(/\s+/g, " ").replace(/[:?]\s*$/, "").trim();
  }

  function columnHeading(cell) {
    const table = cell.closest("table");
    const name = [...cell.classList].find((c) => c.startsWith("field-"));
    if (name) return table.querySelector(`thead th.column-${name.slice(6)}`);
    if (cell.classList.contains("delete")) return table.querySelector("thead th:last-child");
    return null;
  }

  // The element naming a control: its <label for>, its column heading in a tabular inline, or
  // the label of the row it sits in (a date-and-time field's label points at neither input).
  function labelOf(control) {
    const cell = control.closest(".tabular td");
    if (cell) return columnHeading(cell);
    if (control.id) {
      const label = document.querySelector(`label[for="${CSS.escape(control.id)}"]`);
      if (label) return label;
    }
    const row = control.closest(".flex-container, .form-row");
    return row && row.querySelector("label");
  }

  function labelId(label, fallback) {
    if (!label.id) label.id = `${fallback}-label`;
    return label.id;
  }

  function hasName(control) {
    return (
      control.hasAttribute("aria-label") ||
      control.hasAttribute("aria-labelledby") ||
      control.closest("label") ||
      (control.id && document.querySelector(`label[for="${CSS.escape(control.id)}"]`))
    );
  }

  function nameControls(root) {
    for (const cell of root.querySelectorAll(".tabular td[class]")) {
      const heading = columnHeading(cell);
      if (heading && ownText(heading)) cell.dataset.label = ownText(heading);
    }
    // Date and time: "Published at, date" and "Published at, time".
    for (const input of root.querySelectorAll("p.datetime input")) {
      const label = labelOf(input);
      const part = input.previousSibling && input.previousSibling.textContent.trim();
      if (label && part) {
        input.setAttribute("aria-label", `${ownText(label)}, ${part.replace(/:$/, "").toLowerCase()}`);
      }
    }
    for (const control of root.querySelectorAll(
      ".tabular td input:not([type=hidden]), .tabular td select, .tabular td textarea",
    )) {
      const label = labelOf(control);
      if (label && !hasName(control) && ownText(label)) {
        control.setAttribute("aria-label", ownText(label));
      }
    }
  }

  // select2 puts its container right after the <select> it replaces.
  function nameAutocomplete(container) {
    const select = container.previousElementSibling;
    if (!select || select.tagName !== "SELECT" || !select.id) return;
    const label = labelOf(select);
    if (!label) return;
    const id = labelId(label, select.id);
    const selection = container.querySelector(".select2-selection");
    const rendered = container.querySelector(".select2-selection__rendered[id]");
    if (selection) {
      selection.setAttribute("aria-labelledby", rendered ? `${id} ${rendered.id}` : id);
    }
    if (rendered && rendered.getAttribute("role") === "textbox") {
      rendered.setAttribute("aria-labelledby", id);
    }
    for (const search of container.querySelectorAll(".select2-search__field")) {
      search.setAttribute("aria-label", ownText(label));
    }
  }

  function nameAll(root) {
    nameControls(root);
    for (const container of root.querySelectorAll(".select2-container")) {
      nameAutocomplete(container);
    }
  }

  // The search field of an open single-choice autocomplete lives in a dropdown at the end of
  // the page; it says which field it serves through aria-controls ("select2-<id>-results").
  document.addEventListener("focusin", (event) => {
    const search = event.target;
    if (!search.matches || !search.matches(".select2-search__field")) return;
    const match = /^select2-(.+)-results$/.exec(search.getAttribute("aria-controls") || "");
    const select = match && document.getElementById(match[1]);
    const label = select && labelOf(select);
    if (label) search.setAttribute("aria-label", ownText(label));
  });

  function start() {
    nameAll(document);
    // Autocompletes are set up after the page has loaded, and rows are added later.
    new MutationObserver((mutations) => {
      for (const mutation of mutations) {
        for (const node of mutation.addedNodes) {
          if (node.nodeType !== Node.ELEMENT_NODE) continue;
          if (node.matches(".select2-container")) nameAutocomplete(node);
          else if (node.matches("tr, .inline-related") || node.querySelector(".select2-container")) {
            nameAll(node);
          }
        }
      }
    }).observe(document.body, { childList: true, subtree: true });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
