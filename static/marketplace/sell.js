// Sell page: show the chosen photos and let the seller click the main one.
// Without JavaScript the "Main photo" select does the same job.
(function () {
  "use strict";
  var input = document.getElementById("id_photos");
  var select = document.getElementById("id_main_photo");
  var previews = document.getElementById("photo-previews");
  if (!input || !select || !previews || !window.URL || !URL.createObjectURL) return;

  var mainField = document.getElementById("field-main_photo");
  var urls = [];

  function render() {
    urls.forEach(function (url) { URL.revokeObjectURL(url); });
    urls = [];
    previews.textContent = "";
    var files = Array.prototype.slice.call(input.files || [], 0, select.options.length);
    if (files.length === 0) {
      mainField.hidden = false;
      return;
    }
    if (Number(select.value) >= files.length) select.value = "0";
    var group = document.createElement("div");
    group.className = "preview-grid";
    group.setAttribute("role", "radiogroup");
    group.setAttribute("aria-label", "Main photo");
    files.forEach(function (file, index) {
      var url = URL.createObjectURL(file);
      urls.push(url);
      var label = document.createElement("label");
      label.className = "preview";
      var radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "main_photo_preview";
      radio.value = String(index);
      radio.checked = Number(select.value) === index;
      radio.addEventListener("change", function () { select.value = radio.value; });
      var img = document.createElement("img");
      img.src = url;
      img.alt = "Photo " + (index + 1) + ": " + file.name;
      var caption = document.createElement("span");
      caption.className = "preview-caption";
      caption.textContent = index === Number(select.value) ? "Main photo" : "Make main";
      radio.addEventListener("change", function () {
        group.querySelectorAll(".preview-caption").forEach(function (node, i) {
          node.textContent = i === index ? "Main photo" : "Make main";
        });
      });
      label.appendChild(radio);
      label.appendChild(img);
      label.appendChild(caption);
      group.appendChild(label);
    });
    previews.appendChild(group);
    if (input.files.length > files.length) {
      var note = document.createElement("p");
      note.className = "field-error";
      note.textContent = "You picked " + input.files.length + " photos; a listing can have at most " + files.length + ".";
      previews.appendChild(note);
    }
    // The radios replace the select while previews are shown; the select still carries the value.
    mainField.hidden = true;
  }

  input.addEventListener("change", render);
  render();
})();
