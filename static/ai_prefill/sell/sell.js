// The sell page, enhanced. Without this script every step still works through plain form posts.
// - one photo picker (file input with a drop zone, multiple, the phone camera again and again): each photo is
//   downsized here (resizePhoto) and uploaded as soon as it is picked, and shows as a thumbnail that can be
//   moved earlier or later and removed, at most PHOTOS_MAX; the server validates and re-encodes it all the same;
// - once the picked photos are up, the analysis starts over every photo present, in order; a photo added after
//   that offers "Update suggestions with the new photo" (a new analysis over all photos);
// - the fields a streamed answer has completed show while the analysis runs (the status partial's
//   #analysis-live), and the validated suggestion replaces them when it arrives;
// - a suggestion that arrives fills only the fields the seller has not touched, marked "Suggested"; values the
//   model is unsure of are buttons beside their field (server-rendered), and a tap fills the field;
// - the client stops waiting at the analysis deadline even if the server cannot be reached.
// Model output only ever reaches the page as JSON (json_script) assigned to .value, or as server-escaped markup.
(function () {
  "use strict";
  document.documentElement.classList.add("js");
  var gettext = window.gettext || function (text) { return text; };
  var ngettext = window.ngettext || function (one, many, count) { return count === 1 ? one : many; };
  var interpolate = window.interpolate || function (text, values, named) {
    if (named) return text.replace(/%\((\w+)\)s/g, function (match, key) { return String(values[key]); });
    var index = 0;
    return text.replace(/%s/g, function () { return String(values[index++]); });
  };

  var form = document.getElementById("sell-form");
  if (!form) return;

  // The fields a suggestion fills, as the server defines them (ai_prefill.llm.schema.SUGGESTED_FIELDS).
  var FIELDS = JSON.parse(document.getElementById("suggestable-fields").textContent);
  var fields = {};

  // ---------- Suggested fields ----------
  function setSuggested(field, on) {
    field.wrapper.classList.toggle("is-suggested", on);
    var chip = field.wrapper.querySelector(".suggested-chip");
    if (chip) chip.hidden = !on;
  }

  FIELDS.forEach(function (name) {
    var input = document.getElementById("id_" + name);
    var wrapper = document.getElementById("field-" + name);
    if (!input || !wrapper) return;
    var field = { input: input, wrapper: wrapper };
    // What the server rendered and did not mark as suggested was typed by the seller.
    field.touched = input.value !== "" && !wrapper.classList.contains("is-suggested");
    function touch() {
      field.touched = true;
      setSuggested(field, false);
    }
    input.addEventListener("input", function () {
      touch();
      field.live = false;
    });
    input.addEventListener("change", touch);
    fields[name] = field;
  });

  function hasOption(select, value) {
    return Array.prototype.some.call(select.options, function (option) { return option.value === value; });
  }

  function applySuggestion(suggestion, live) {
    Object.keys(fields).forEach(function (name) {
      var field = fields[name];
      var value = suggestion[name];
      if (field.touched || typeof value !== "string") return;
      if (field.input.tagName === "SELECT" && !hasOption(field.input, value)) return;
      field.input.value = value;
      field.live = Boolean(live);
      setSuggested(field, true);
      // The category's detail inputs follow it (marketplace/attribute_fields.js), without counting as typed.
      if (name === "category") field.input.dispatchEvent(new CustomEvent("trova:suggested"));
    });
  }

  // ---------- Fields of a streamed answer, before the suggestion is complete ----------
  function applyLiveFields() {
    var data = document.getElementById("analysis-live");
    if (!data) return;
    try {
      applySuggestion(JSON.parse(data.textContent), true);
    } catch (error) {
      // A preview we cannot read is skipped; the suggestion itself still comes.
    }
  }

  // An analysis that failed after showing some fields leaves none of its unvalidated values behind.
  function dropLiveFieldsOnFailure() {
    var status = document.getElementById("analysis-status");
    if (!status || !/\bis-(failed|timed_out|queue_unavailable)\b/.test(status.className)) return;
    clearLiveFields();
  }

  // The suggestion rendered with the page is already in the fields (the server filled them), so only
  // suggestions that arrive later are applied.
  var appliedFor = currentSuggestionId();

  function currentSuggestionId() {
    var holder = document.getElementById("suggestion-data");
    return holder ? holder.getAttribute("data-analysis-id") : null;
  }

  function applyArrivedSuggestion() {
    var id = currentSuggestionId();
    var data = document.getElementById("analysis-suggestion");
    if (!id || !data || id === appliedFor) return;
    appliedFor = id;
    try {
      applySuggestion(JSON.parse(data.textContent), false);
    } catch (error) {
      // A suggestion we cannot read is no suggestion; the form works as it is.
    }
    // A value the stream showed early that the suggestion does not fill (unsure: offered as a choice instead,
    // or not visible after all) goes, so nothing unsure is left filled in.
    clearLiveFields();
  }

  function clearLiveFields() {
    Object.keys(fields).forEach(function (name) {
      var field = fields[name];
      if (!field.live || field.touched) return;
      field.input.value = "";
      field.live = false;
      setSuggested(field, false);
      if (name === "category") field.input.dispatchEvent(new CustomEvent("trova:suggested"));
    });
  }

  // ---------- Progress: uploading, and the client's own deadline ----------
  var TIMEOUT_SENTENCE = gettext("We couldn't suggest details this time — please fill in the form yourself.");
  var deadline = null;

  function showStatusSentence(sentence, state) {
    var status = document.getElementById("analysis-status");
    if (!status) return;
    // A fresh element: htmx stops polling an element that has left the page.
    var replacement = document.createElement("div");
    replacement.id = "analysis-status";
    replacement.className = "analysis-status is-" + state;
    var text = document.createElement("p");
    text.className = "progress-sentence";
    text.textContent = sentence;
    replacement.appendChild(text);
    status.replaceWith(replacement);
    return text;
  }

  function readDeadline() {
    var status = document.getElementById("analysis-status");
    var secondsLeft = status && status.getAttribute("data-seconds-left");
    // A little grace: the server says "timed out" itself at the same moment when it can be reached.
    deadline = secondsLeft ? Date.now() + (Number(secondsLeft) + 5) * 1000 : null;
  }

  window.setInterval(function () {
    if (deadline === null || Date.now() < deadline) return;
    deadline = null;
    var status = document.getElementById("analysis-status");
    if (status && status.hasAttribute("hx-get")) {
      showStatusSentence(status.getAttribute("data-timeout-sentence") || TIMEOUT_SENTENCE, "timed_out");
    }
  }, 1000);

  function fromPhotoStep(event) {
    var source = event.detail && event.detail.requestConfig && event.detail.requestConfig.elt;
    return Boolean(source && source.closest && source.closest("#photo-step"));
  }

  // ---------- Resizing the photo before it travels ----------
  // The server keeps at most 1600 px (DISPLAY_MAX_SIDE) and the model sees 1024 px, so a 12 MP phone photo of
  // 3-5 MB is mostly bytes nobody will see: 1600 px at JPEG quality 0.85 is about a tenth of it. Drawing
  // it on a canvas applies the EXIF orientation (imageOrientation "from-image") and drops all metadata.
  var RESIZE_LONG_SIDE = 1600;
  var RESIZE_QUALITY = 0.85;
  // ?resize=0 on the page sends the photo as picked (the benchmark's "today" path).
  var resizeOff = new URLSearchParams(window.location.search).get("resize") === "0";

  // One picked photo -> a Promise of a JPEG Blob, or of null when this browser cannot do it (the
  // original is then sent as it is, and the server resizes it).
  function resizePhoto(file) {
    if (resizeOff || !window.createImageBitmap || !file.type || file.type.indexOf("image/") !== 0) {
      return Promise.resolve(null);
    }
    return createImageBitmap(file, { imageOrientation: "from-image" })
      .then(function (bitmap) {
        var scale = Math.min(1, RESIZE_LONG_SIDE / Math.max(bitmap.width, bitmap.height));
        var canvas = document.createElement("canvas");
        canvas.width = Math.max(1, Math.round(bitmap.width * scale));
        canvas.height = Math.max(1, Math.round(bitmap.height * scale));
        var context = canvas.getContext("2d");
        context.imageSmoothingQuality = "high";
        context.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
        if (bitmap.close) bitmap.close();
        return new Promise(function (resolve) {
          canvas.toBlob(resolve, "image/jpeg", RESIZE_QUALITY);
        });
      })
      .catch(function () {
        return null;
      });
  }

  // ---------- The photos: picked, uploaded one by one, in the seller's order ----------
  var drop = document.getElementById("photo-drop");
  var picker = document.getElementById("id_photos");
  var list = document.getElementById("photo-list");
  var countNote = document.getElementById("photo-count");
  var errors = document.getElementById("photo-errors");
  var updateButton = document.getElementById("photo-update");
  var analyseForm = document.getElementById("analyse-form");
  var PHOTOS_MAX = drop ? Number(drop.getAttribute("data-photos-max")) || 8 : 8;
  var uploading = 0;
  var addedSinceAnalysis = false;

  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function photoItems() {
    return Array.prototype.slice.call(list ? list.querySelectorAll(".photo-item:not(.photo-item-refused)") : []);
  }

  function analysisId() {
    var input = document.getElementById("id_analysis_id");
    return input ? input.value : "";
  }

  function showError(sentence) {
    if (!errors) return;
    errors.textContent = "";
    if (!sentence) return;
    var text = document.createElement("p");
    text.className = "field-error";
    text.setAttribute("role", "alert");
    text.textContent = sentence;
    errors.appendChild(text);
  }

  // Positions, the first/last buttons and the count follow the order after every change.
  function renumber() {
    var items = photoItems();
    items.forEach(function (item, index) {
      var position = item.querySelector(".photo-position");
      if (position) {
        position.textContent = interpolate(gettext("Photo %(number)s of %(count)s"), { number: index + 1, count: items.length }, true);
      }
      var img = item.querySelector("img");
      if (img) img.alt = interpolate(gettext("Photo %(number)s"), { number: index + 1 }, true);
      var earlier = item.querySelector(".photo-earlier");
      var later = item.querySelector(".photo-later");
      if (earlier) earlier.disabled = index === 0;
      if (later) later.disabled = index === items.length - 1;
    });
    if (countNote) {
      countNote.textContent = items.length
        ? interpolate(ngettext("%(count)s of %(max)s photos. The first is the main one.", "%(count)s of %(max)s photos. The first is the main one.", items.length), { count: items.length, max: PHOTOS_MAX }, true)
        : "";
    }
    if (drop) drop.classList.toggle("is-full", items.length >= PHOTOS_MAX);
  }

  function uploadOne(file, placeholder) {
    return resizePhoto(file).then(function (blob) {
      var body = new FormData();
      if (blob) body.append("photo", blob, file.name.replace(/\.[^.]*$/, "") + ".jpg");
      else body.append("photo", file, file.name);
      return fetch(drop.getAttribute("data-upload-url"), {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      });
    }).then(function (response) {
      return response.text().then(function (html) {
        var holder = document.createElement("template");
        holder.innerHTML = html.trim();
        var item = holder.content.firstElementChild;
        if (!item || !item.classList.contains("photo-item")) throw new Error("unexpected answer");
        placeholder.replaceWith(item);
        if (item.classList.contains("photo-item-refused")) {
          // The sentence stays a moment, then the slot goes: the photo was not kept.
          window.setTimeout(function () { item.remove(); renumber(); }, 8000);
        } else {
          addedSinceAnalysis = true;
        }
      });
    }).catch(function () {
      placeholder.classList.add("photo-item-refused");
      placeholder.textContent = "";
      var text = document.createElement("p");
      text.className = "field-error";
      text.textContent = gettext("We couldn't upload that photo. Please try again.");
      placeholder.appendChild(text);
    });
  }

  function picked(files) {
    files = Array.prototype.slice.call(files || []);
    if (!files.length || !list) return;
    var room = PHOTOS_MAX - photoItems().length;
    if (files.length > room) {
      // Refused whole, so no photo is left out without the seller choosing which.
      showError(interpolate(
        gettext("A listing can have up to %(max)s photos: you have %(have)s and picked %(picked)s. Please pick at most %(room)s."),
        { max: PHOTOS_MAX, have: PHOTOS_MAX - room, picked: files.length, room: Math.max(room, 0) },
        true
      ));
      return;
    }
    showError("");
    var uploads = files.map(function (file) {
      var placeholder = document.createElement("li");
      placeholder.className = "photo-item is-uploading";
      placeholder.setAttribute("aria-busy", "true");
      var text = document.createElement("span");
      text.className = "photo-uploading";
      text.textContent = gettext("Uploading…");
      placeholder.appendChild(text);
      list.appendChild(placeholder);
      return uploadOne(file, placeholder);
    });
    uploading += 1;
    Promise.all(uploads).then(function () {
      uploading -= 1;
      renumber();
      if (uploading === 0) photosSettled();
    });
  }

  // Every picked photo is up: the first analysis starts by itself; later photos offer a new one.
  function photosSettled() {
    if (!photoItems().length || !addedSinceAnalysis) return;
    if (!analysisId()) startAnalysis();
    else if (updateButton) updateButton.hidden = false;
  }

  function startAnalysis() {
    if (!analyseForm || !window.htmx || !photoItems().length) return;
    addedSinceAnalysis = false;
    if (updateButton) updateButton.hidden = true;
    showStatusSentence(gettext("Starting the analysis of your photos…"), "uploading");
    window.htmx.trigger(analyseForm, "analyse");
  }

  if (updateButton) updateButton.addEventListener("click", startAnalysis);

  // A photo still on its way would be missing from the listing: publishing waits for it.
  form.addEventListener("submit", function (event) {
    if (uploading === 0) return;
    event.preventDefault();
    showError(gettext("Your photos are still uploading. Please publish once they are all shown."));
  });

  if (picker) {
    picker.addEventListener("change", function () {
      var files = picker.files;
      picked(files);
      // Uploaded already: the listing form must not send the same files again.
      picker.value = "";
    });
  }

  if (list) {
    list.addEventListener("click", function (event) {
      var button = event.target.closest && event.target.closest("button");
      if (!button || !list.contains(button)) return;
      var item = button.closest(".photo-item");
      event.preventDefault();
      if (button.classList.contains("photo-remove")) {
        var next = item.nextElementSibling || item.previousElementSibling;
        item.remove();
        renumber();
        var focusable = next && next.querySelector(".photo-remove");
        (focusable || picker).focus();
        return;
      }
      if (button.classList.contains("photo-earlier") && item.previousElementSibling) {
        list.insertBefore(item, item.previousElementSibling);
      } else if (button.classList.contains("photo-later") && item.nextElementSibling) {
        list.insertBefore(item.nextElementSibling, item);
      }
      renumber();
      // The button moved with its photo; keep the keyboard on it (or on its neighbour at either end).
      (button.disabled ? item.querySelector(button.classList.contains("photo-earlier") ? ".photo-later" : ".photo-earlier") : button).focus();
    });
  }

  if (drop) {
    ["dragenter", "dragover"].forEach(function (type) {
      drop.addEventListener(type, function () { drop.classList.add("is-dragover"); });
    });
    ["dragleave", "drop"].forEach(function (type) {
      drop.addEventListener(type, function (event) {
        if (type === "drop" || !drop.contains(event.relatedTarget)) drop.classList.remove("is-dragover");
      });
    });
  }
  // A photo dropped just beside the picker would make the browser open it in place of the page,
  // and everything typed would be gone. File inputs take drops natively; elsewhere nothing happens.
  ["dragover", "drop"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.target.matches && event.target.matches("input[type=file]")) return;
      event.preventDefault();
      if (type === "dragover" && event.dataTransfer) event.dataTransfer.dropEffect = "none";
    });
  });

  // ---------- Choices: a value the model is unsure of, filled only when tapped ----------
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".field-choices .choice");
    if (!button) return;
    event.preventDefault();
    var name = button.getAttribute("data-field");
    var field = fields[name];
    var value = button.getAttribute("data-value");
    if (!field) return;
    if (field.input.tagName === "SELECT" && !hasOption(field.input, value)) return;
    field.input.value = value;
    field.touched = true; // the seller chose it: a later suggestion leaves it alone
    field.live = false;
    setSuggested(field, true);
    if (name === "category") field.input.dispatchEvent(new CustomEvent("trova:suggested"));
    var choices = document.getElementById("choices-" + name);
    if (choices) choices.hidden = true;
    field.input.focus();
  });

  // A refused analysis start (400, 404, 429) or regenerate (409, 429) comes back as the progress area with a
  // sentence in it; htmx leaves 4xx answers unswapped unless told otherwise.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 400 && status < 500 && fromPhotoStep(event)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function analysisFailedToStart(event) {
    if (!fromPhotoStep(event)) return;
    showStatusSentence(gettext("We couldn't start the suggestion. Please try again, or fill in the form yourself."), "failed");
  }
  document.addEventListener("htmx:sendError", analysisFailedToStart);
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status >= 500) analysisFailedToStart(event);
  });

  // ---------- After every htmx swap ----------
  document.addEventListener("htmx:afterSettle", function () {
    applyLiveFields();
    applyArrivedSuggestion();
    dropLiveFieldsOnFailure();
    readDeadline();
  });

  readDeadline();
  renumber();
})();
