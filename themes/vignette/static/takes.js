// Takes: play the Take on screen (and pause the others), count a view (once per viewer: the server keeps
// who was counted), seek from BTT steps.
(function () {
  "use strict";
  var counted = {};

  function countView(id) {
    if (counted[id]) return;
    counted[id] = true;
    fetch("/api/v1/takes/" + id + "/view", {
      method: "POST", credentials: "same-origin",  // the session's CSRF token, as every API write from a page
      headers: { "X-CSRF-Token": (document.querySelector('meta[name="csrf-token"]') || {}).content || "" } }).then(function (r) { return r.json(); })
      .then(function (body) {
        var shown = document.querySelector('[data-views="' + id + '"]');
        if (shown && body.views_count !== undefined) shown.textContent = body.views_count;
      }).catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    var videos = document.querySelectorAll("video.take-video");
    videos.forEach(function (video) {
      video.addEventListener("play", function () { countView(video.dataset.take); });
    });
    if ("IntersectionObserver" in window) {
      var watcher = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          var video = entry.target;
          if (entry.isIntersecting && entry.intersectionRatio > 0.6) {
            video.muted = true;
            var playing = video.play();
            if (playing && playing.catch) playing.catch(function () {});
          } else {
            video.pause();
          }
        });
      }, { threshold: [0, 0.6, 1] });
      videos.forEach(function (video) { watcher.observe(video); });
    }
    document.addEventListener("click", function (event) {
      var button = event.target.closest("button.seek");
      if (!button) return;
      var video = document.querySelector('video.take-video[data-take="' + button.dataset.take + '"]');
      if (!video) return;
      video.currentTime = parseFloat(button.dataset.seek) || 0;
      var playing = video.play();
      if (playing && playing.catch) playing.catch(function () {});
    });
  });
})();
