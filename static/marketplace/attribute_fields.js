// Item-detail inputs that follow a category select: the listing form's details and the browse page's filters.
// A block [data-attribute-fields] names its category select (data-category-input) and the json_script with
// each category's slugs (data-slugs; the "" entry is what shows when no category is chosen). A hidden input
// keeps what was typed in it (choose that category again and it is back); with data-disable-hidden it is also
// left out of the request, so a filter the page no longer shows does not filter.
(function () {
  "use strict";
  document.querySelectorAll("[data-attribute-fields]").forEach(function (block) {
    var category = document.getElementById(block.getAttribute("data-category-input"));
    var data = document.getElementById(block.getAttribute("data-slugs"));
    if (!category || !data) return;
    var byCategory = JSON.parse(data.textContent);
    var disable = block.hasAttribute("data-disable-hidden");

    function show() {
      var slugs = byCategory[category.value] || byCategory[""] || [];
      block.querySelectorAll("[data-attribute]").forEach(function (wrapper) {
        var hidden = slugs.indexOf(wrapper.getAttribute("data-attribute")) === -1;
        wrapper.hidden = hidden;
        if (disable) {
          wrapper.querySelectorAll("input, select").forEach(function (input) { input.disabled = hidden; });
        }
      });
      block.hidden = slugs.length === 0;
    }

    category.addEventListener("change", show);
    category.addEventListener("input", show);
    category.addEventListener("trova:suggested", show);
    show();
  });
})();
