// The vote widget answers a rejected vote with 422 and the widget showing why; htmx leaves 4xx
// answers unswapped by default, so let this one widget's answers through.
(function () {
  if (window.trovaVoteWidget) return; // the widget may be swapped in many times
  window.trovaVoteWidget = true;
  document.addEventListener("htmx:beforeSwap", function (event) {
    var source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (event.detail.xhr.status === 422 && source && source.closest(".suggestion-vote")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
