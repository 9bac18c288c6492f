// The annotation page: Ctrl+Enter (Cmd+Enter on a Mac) saves from anywhere, even inside a text box,
// and typing a right value for a field marks that field wrong.
(function () {
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = document.getElementById("annotate-form");
    if (!form) return;
    event.preventDefault();
    form.requestSubmit(form.querySelector("button[name=save]"));
  });
  document.addEventListener("input", function (event) {
    var name = event.target.name || "";
    if (!name.endsWith("_value") || !event.target.value) return;
    var wrong = document.querySelector('input[name="' + name.replace(/_value$/, "_verdict") + '"][value="wrong"]');
    if (wrong) wrong.checked = true;
  });
})();
