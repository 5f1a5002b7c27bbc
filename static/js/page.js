// Keyboard and screen-reader help on every page.
(function () {
  "use strict";
  // A form sent back with problems: the summary takes focus (announced, and its links lead to the
  // fields) and the title says so, as a reloaded page would otherwise leave focus at the top.
  var problems = document.querySelector("[id$='form-problems']");
  if (problems) {
    problems.setAttribute("tabindex", "-1");
    problems.focus();
    document.title = "Error: " + document.title;
  }
  // A table wider than the screen scrolls in its box: with nothing focusable inside, keyboard users
  // could not reach its hidden columns (WCAG 2.1.1). Checked again when the window changes size.
  var focusable = "a[href], button, input, select, textarea, [tabindex]:not([tabindex='-1'])";
  function regions() {
    document.querySelectorAll(".overflow-auto").forEach(function (box) {
      var scrolls = box.scrollWidth > box.clientWidth + 1 && !box.querySelector(focusable);
      if (scrolls) {
        var table = box.querySelector("table"), heading = box.previousElementSibling;
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", (table && table.caption && table.caption.textContent) ||
          (heading && /^H[1-6]$/.test(heading.tagName) && heading.textContent.trim()) || "Scrollable table");
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    });
  }
  regions();
  window.addEventListener("resize", regions);
})();
