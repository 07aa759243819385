// The article page in the admin: live character counts for the headline and summary, tag
// suggestions as you type, and keyboard buttons to reorder questions and quotes (which are also
// dragged into order by django-admin-sortable2). A static file: the admin's Content Security
// Policy runs no inline script.
"use strict";

(function () {
  // Counts against what search engines show, e.g. "48 characters; search results show about 60".
  function characterCount(input) {
    const limit = Number(input.dataset.searchLength);
    const count = document.createElement("div");
    count.className = "help newsroom-count";
    count.id = `${input.id}_count`;
    input.setAttribute(
      "aria-describedby",
      `${input.getAttribute("aria-describedby") || ""} ${count.id}`.trim(),
    );
    // Below the field, where Django puts help text (the input sits in a flex row).
    (input.closest(".flex-container") || input).after(count);
    function update() {
      const length = [...input.value].length;
      const over = length > limit;
      count.textContent =
        `${length} character${length === 1 ? "" : "s"}; search results show about ${limit}` +
        (over ? ` — the last ${length - limit} may be cut off.` : ".");
      count.classList.toggle("newsroom-count-over", over);
    }
    input.addEventListener("input", update);
    update();
  }

  // Tags are typed comma-separated; the words being typed are completed from existing tags
  // through the admin's own autocomplete endpoint, offered in a native <datalist>.
  function tagSuggestions(input) {
    const list = document.createElement("datalist");
    list.id = `${input.id}_suggestions`;
    input.after(list);
    input.setAttribute("list", list.id);
    input.setAttribute("autocomplete", "off");
    let pending = null;
    input.addEventListener("input", () => {
      const parts = input.value.split(",");
      const term = parts.pop().trim();
      const chosen = parts.map((part) => part.trim().toLowerCase());
      const before = parts.length ? `${parts.join(",").trim()}, ` : "";
      if (pending) pending.abort();
      if (!term) {
        list.replaceChildren();
        return;
      }
      pending = new AbortController();
      const url = new URL(input.dataset.suggestUrl, location.href);
      url.searchParams.set("term", term);
      fetch(url, { signal: pending.signal, credentials: "same-origin" })
        .then((response) => (response.ok ? response.json() : { results: [] }))
        .then((data) => {
          list.replaceChildren(
            ...data.results
              .filter((tag) => !chosen.includes(tag.text.toLowerCase()))
              .map((tag) => new Option(tag.text, before + tag.text)),
          );
        })
        .catch(() => {});
    });
  }

  // "Move up" and "Move down" buttons on every saved question and quote. Positions are numbered
  // the way django-admin-sortable2 numbers them after a drag, so both ways of ordering agree.
  // A read-only page (the article is not this user's to change) has no positions, and no buttons.
  function reorderButtons(fieldset) {
    const items = () =>
      [...fieldset.querySelectorAll(".inline-related.has_original")].filter((row) =>
        row.querySelector("input._reorder_"),
      );
    if (!items().length) return;
    const status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    fieldset.append(status);

    function renumber() {
      const rows = items();
      const reversed = fieldset.classList.contains("reversed");
      rows.forEach((row, index) => {
        const input = row.querySelector("input._reorder_");
        if (input) input.value = String(reversed ? rows.length - index : index + 1);
      });
    }

    function move(row, step, button) {
      const rows = items();
      const index = rows.indexOf(row);
      const target = rows[index + step];
      if (!target) return;
      target.insertAdjacentElement(step < 0 ? "beforebegin" : "afterend", row);
      renumber();
      button.focus();
      const label = row.querySelector(".inline_label");
      status.textContent = `${label ? label.textContent.trim() : "Item"} moved to position ${
        index + step + 1
      } of ${rows.length}.`;
    }

    for (const row of items()) {
      const heading = row.querySelector("h3");
      if (!heading) continue;
      const group = document.createElement("span");
      group.className = "newsroom-move";
      for (const [step, text] of [
        [-1, "Move up"],
        [1, "Move down"],
      ]) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "button";
        button.textContent = text;
        button.addEventListener("click", () => move(row, step, button));
        group.append(button);
      }
      heading.append(group);
    }
  }

  // A quote or a correction may be placed in a question typed on this page and not saved yet:
  // each one's question list offers those as they are typed, as "new-<the question's form>"
  // (e.g. "new-sections-2"), which the server turns into the question once it is saved. The
  // choice follows the question's row, whose form Django renumbers when a new row above it is
  // removed; a removed question stays listed as such, and the server asks for another.
  function newQuestionChoices(questions) {
    const chosen = new WeakMap(); // each question list → the row of the new question it names
    const lists = () =>
      document.querySelectorAll(
        "#quotes-group select[name$='-section'], #notes-group select[name$='-section']",
      );
    const newRows = () =>
      [...questions.querySelectorAll(".inline-related:not(.has_original)")].filter((row) =>
        /^sections-\d+$/.test(row.id),
      );

    function refresh() {
      const rows = newRows();
      for (const select of lists()) {
        const pending = select.dataset.newSection;
        if (pending) {
          // Sent back with the form (it had errors): the question chosen before.
          const row = document.getElementById(pending.slice("new-".length));
          if (row) chosen.set(select, row);
          delete select.dataset.newSection;
        }
        const current = chosen.get(select);
        select.querySelectorAll("option[data-new-question]").forEach((option) => option.remove());
        const options = [];
        for (const row of rows) {
          const input = row.querySelector("input[name$='-question']");
          const words = input ? input.value.trim() : "";
          if (!words && row !== current) continue;
          options.push(
            new Option(words ? `${words} (new)` : "New question (no words yet)", `new-${row.id}`),
          );
          if (row === current) options.at(-1).selected = true;
        }
        if (current && !rows.includes(current)) {
          options.push(new Option("A new question, since removed", "new-removed"));
          options.at(-1).selected = true;
        }
        for (const option of options) {
          option.dataset.newQuestion = "";
          select.append(option);
        }
      }
    }

    document.addEventListener("change", (event) => {
      const select = event.target;
      if (!(select instanceof HTMLSelectElement) || !select.name.endsWith("-section")) return;
      if (select.value.startsWith("new-sections-")) {
        chosen.set(select, document.getElementById(select.value.slice("new-".length)));
      } else {
        chosen.delete(select);
      }
    });
    questions.addEventListener("input", (event) => {
      if (event.target.matches("input[name$='-question']")) refresh();
    });
    document.addEventListener("formset:added", refresh);
    // Django renumbers the rows just after telling of a removal: refreshed once it has.
    document.addEventListener("formset:removed", () => queueMicrotask(refresh));
    refresh();
  }

  function start() {
    document.querySelectorAll("input[data-search-length]").forEach(characterCount);
    document.querySelectorAll("input[data-suggest-url]").forEach(tagSuggestions);
    document.querySelectorAll("fieldset.sortable").forEach(reorderButtons);
    const questions = document.getElementById("sections-group");
    if (questions) newQuestionChoices(questions);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
