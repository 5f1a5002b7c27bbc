// Follows a solver run in place: a page that reloaded itself every 2 s threw keyboard focus and screen
// readers back to the top. Without JavaScript the <noscript> refresh still does the job.
(function () {
  "use strict";
  var PARTS = ["run-status", "run-phase", "run-elapsed", "run-objective"];
  function poll() {
    fetch(window.location.href, {cache: "no-store", credentials: "same-origin"})
      .then(function (response) { return response.text(); })
      .then(function (html) {
        var page = new DOMParser().parseFromString(html, "text/html");
        if (!page.getElementById("run-live")) { window.location.reload(); return; }  // finished
        PARTS.forEach(function (id) {
          var here = document.getElementById(id), there = page.getElementById(id);
          if (here && there && here.innerHTML !== there.innerHTML) { here.innerHTML = there.innerHTML; }
        });
        window.setTimeout(poll, 2000);
      })
      .catch(function () { window.setTimeout(poll, 5000); });
  }
  if (document.getElementById("run-live")) { window.setTimeout(poll, 2000); }
})();
