// The sell page, enhanced. Without this script every step still works through plain form posts.
// - the photo is downsized here (resizePhoto) and uploads as soon as it is picked (htmx, see _photo_slot.html),
//   with a local preview; the server validates and re-encodes it all the same;
// - the fields a streamed answer has completed show while the analysis runs (the status partial's
//   #analysis-live), and the validated suggestion replaces them when it arrives;
// - a suggestion that arrives fills only the fields the seller has not touched, marked "Suggested";
// - the client stops waiting at the analysis deadline even if the server cannot be reached;
// - extra photos get previews, and a click picks the main one.
// Model output only ever reaches the page as JSON (json_script) assigned to .value, never as markup.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

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
    Object.keys(fields).forEach(function (name) {
      var field = fields[name];
      if (!field.live || field.touched) return;
      field.input.value = "";
      field.live = false;
      setSuggested(field, false);
    });
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
  }

  // ---------- Progress: uploading, and the client's own deadline ----------
  var TIMEOUT_SENTENCE = "We couldn't suggest details this time — please fill in the form yourself.";
  var UPLOAD_FAILED_SENTENCE =
    "We couldn't upload the photo. Please try again, or fill in the form and add your photos below.";
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

  function uploadPicked(input, file) {
    var form = document.getElementById("photo-form");
    resizePhoto(file).then(function (blob) {
      if (blob && window.DataTransfer && window.File) {
        var name = file.name.replace(/\.[^.]*$/, "") + ".jpg";
        var transfer = new DataTransfer();
        transfer.items.add(new File([blob], name, { type: "image/jpeg" }));
        input.files = transfer.files;
      }
      var sentence = document.getElementById("upload-sentence");
      if (sentence) sentence.textContent = "Uploading your photo…";
      if (form && window.htmx) window.htmx.trigger(form, "photo-ready");
      else if (form) form.submit();
    });
  }

  // ---------- Picking the photo ----------
  var localPreviewUrl = null;

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.matches || !input.matches("#photo-form input[type=file]")) return;
    var file = input.files && input.files[0];
    if (!file) return;
    // One photo is analysed: whichever picker was used last wins.
    document.querySelectorAll("#photo-form input[type=file]").forEach(function (other) {
      if (other !== input) other.value = "";
    });
    var preview = document.getElementById("photo-local-preview");
    if (preview && window.URL && URL.createObjectURL) {
      if (localPreviewUrl) URL.revokeObjectURL(localPreviewUrl);
      localPreviewUrl = URL.createObjectURL(file);
      preview.src = localPreviewUrl;
      preview.hidden = false;
      document.getElementById("photo-drop").classList.add("has-preview");
    }
    var sentence = showStatusSentence("Preparing your photo…", "uploading");
    if (sentence) sentence.id = "upload-sentence";
    uploadPicked(input, file);
  });

  document.addEventListener("htmx:xhr:progress", function (event) {
    var sentence = document.getElementById("upload-sentence");
    if (!sentence || !event.detail.lengthComputable || !event.detail.total) return;
    var percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    sentence.textContent = "Uploading your photo… " + percent + "%";
  });

  var drop = null;
  function dropZone() {
    drop = document.getElementById("photo-drop");
    return drop;
  }
  ["dragenter", "dragover"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (dropZone() && drop.contains(event.target)) drop.classList.add("is-dragover");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (dropZone() && (type === "drop" || !drop.contains(event.relatedTarget))) drop.classList.remove("is-dragover");
    });
  });
  // A photo dropped just beside a file input would make the browser open it in place of the page,
  // and everything typed would be gone. File inputs take drops natively; elsewhere nothing happens.
  ["dragover", "drop"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.target.matches && event.target.matches("input[type=file]")) return;
      event.preventDefault();
      if (type === "dragover" && event.dataTransfer) event.dataTransfer.dropEffect = "none";
    });
  });

  // A refused photo (422), the hourly limit (429) or a photo already posted (409) come back as the
  // photo area with a sentence in it; htmx leaves 4xx answers unswapped unless told otherwise.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status >= 400 && status < 500 && fromPhotoStep(event)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  function uploadFailed(event) {
    if (!fromPhotoStep(event)) return;
    var source = event.detail.requestConfig.elt;
    if (source.id === "photo-form" || source.closest("#photo-form")) {
      showStatusSentence(UPLOAD_FAILED_SENTENCE, "failed");
    }
  }
  document.addEventListener("htmx:sendError", uploadFailed);
  document.addEventListener("htmx:responseError", function (event) {
    if (event.detail.xhr.status >= 500) uploadFailed(event);
  });

  // ---------- Extra photos and the main one ----------
  var extraInput = document.getElementById("id_photos");
  var mainSelect = document.getElementById("id_main_photo");
  var previews = document.getElementById("photo-previews");
  var mainField = document.getElementById("field-main_photo");
  var extraUrls = [];

  function renderPreviews() {
    if (!extraInput || !mainSelect || !previews || !window.URL || !URL.createObjectURL) return;
    extraUrls.forEach(function (url) { URL.revokeObjectURL(url); });
    extraUrls = [];
    previews.textContent = "";
    var analysed = document.getElementById("analysed-photo-img");
    var analysisId = document.getElementById("id_analysis_id");
    var photos = [];
    if (analysed && analysisId && analysisId.value) {
      photos.push({ src: analysed.getAttribute("src"), alt: "Your analysed photo" });
    }
    var limit = mainSelect.options.length;
    var files = Array.prototype.slice.call(extraInput.files || [], 0, limit - photos.length);
    files.forEach(function (file) {
      var url = URL.createObjectURL(file);
      extraUrls.push(url);
      photos.push({ src: url, alt: file.name });
    });
    if (files.length === 0) {
      // Nothing to choose between: the first photo is the main one.
      mainField.hidden = true;
      mainSelect.value = "0";
      return;
    }
    if (Number(mainSelect.value) >= photos.length) mainSelect.value = "0";
    var group = document.createElement("div");
    group.className = "preview-grid";
    group.setAttribute("role", "radiogroup");
    group.setAttribute("aria-label", "Main photo");
    photos.forEach(function (photo, index) {
      var label = document.createElement("label");
      label.className = "preview";
      var radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "main_photo_preview";
      radio.value = String(index);
      radio.checked = Number(mainSelect.value) === index;
      var img = document.createElement("img");
      img.src = photo.src;
      img.alt = "Photo " + (index + 1) + ": " + photo.alt;
      var caption = document.createElement("span");
      caption.className = "preview-caption";
      caption.textContent = radio.checked ? "Main photo" : "Make main";
      radio.addEventListener("change", function () {
        mainSelect.value = radio.value;
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
    var picked = (extraInput.files || []).length;
    if (picked > files.length) {
      var note = document.createElement("p");
      note.className = "field-error";
      note.textContent = "You picked " + picked + " photos; only " + files.length + " more fit in a listing.";
      previews.appendChild(note);
    }
    // The radios stand in for the select while previews are shown; the select still carries the value.
    mainField.hidden = true;
  }

  if (extraInput) extraInput.addEventListener("change", renderPreviews);

  // ---------- After every htmx swap ----------
  document.addEventListener("htmx:afterSettle", function () {
    applyLiveFields();
    applyArrivedSuggestion();
    dropLiveFieldsOnFailure();
    readDeadline();
    renderPreviews();
  });

  readDeadline();
  renderPreviews();
})();
