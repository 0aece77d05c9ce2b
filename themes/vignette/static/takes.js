// Takes: play the Take on screen (and pause the others), tap a feed video to pause or play it, turn its
// sound on from the rail, count a view once (the server keeps who was counted), seek from BTT steps, and
// preview the chosen video on the new-Take form. Like, share and save are app.js's toggles.
(function () {
  "use strict";
  var counted = {};

  function countView(id) {
    if (counted[id]) return;
    counted[id] = true;
    fetch("/api/v1/takes/" + id + "/view", {
      method: "POST", credentials: "same-origin",  // the session's CSRF token, as every API write from a page
      headers: { "X-CSRF-Token": (document.querySelector('meta[name="csrf-token"]') || {}).content || "" } })
      .then(function (r) { return r.json(); })
      .then(function (body) {
        document.querySelectorAll('[data-views="' + id + '"]').forEach(function (shown) {
          if (body.views_count !== undefined) shown.textContent = body.views_count;
        });
      }).catch(function () {});
  }

  function play(video) {
    var playing = video.play();
    if (playing && playing.catch) playing.catch(function () {});
  }

  document.addEventListener("DOMContentLoaded", function () {
    var videos = document.querySelectorAll("video.take-video");
    videos.forEach(function (video) {
      video.addEventListener("play", function () { countView(video.dataset.take); });
    });
    var feed = document.querySelectorAll(".takes-feed video.take-video");
    if ("IntersectionObserver" in window) {
      var watcher = new IntersectionObserver(function (entries) {
        entries.forEach(function (entry) {
          if (entry.isIntersecting && entry.intersectionRatio > 0.6) play(entry.target);
          else entry.target.pause();
        });
      }, { threshold: [0, 0.6, 1] });
      feed.forEach(function (video) { watcher.observe(video); });
    }
    document.addEventListener("click", function (event) {
      var video;
      var button = event.target.closest("button.seek");
      if (button) {
        video = document.querySelector('video.take-video[data-take="' + button.dataset.take + '"]');
        if (!video) return;
        video.currentTime = parseFloat(button.dataset.seek) || 0;
        play(video);
        return;
      }
      var sound = event.target.closest("button[data-sound]");
      if (sound) {
        video = document.querySelector('video.take-video[data-take="' + sound.dataset.sound + '"]');
        video.muted = !video.muted;
        sound.setAttribute("aria-pressed", video.muted ? "false" : "true");
        sound.title = video.muted ? gettext("Sound on") : gettext("Sound off");
        sound.querySelector("svg").outerHTML = video.muted ? ICONS.muted : ICONS.volume;
        if (!video.muted) play(video);
        return;
      }
      video = event.target.closest(".takes-feed video.take-video");
      if (video) { if (video.paused) play(video); else video.pause(); }
    });
    // space / k pause the Take in view, as video sites do; m toggles its sound
    document.addEventListener("keydown", function (event) {
      if (event.target.closest("input, textarea, select, button, a") || !feed.length) return;
      var onScreen = [].find.call(feed, function (v) { var r = v.getBoundingClientRect(); return r.top >= -10 && r.top < innerHeight / 2; });
      if (!onScreen) return;
      if (event.key === " " || event.key === "k") { event.preventDefault(); if (onScreen.paused) play(onScreen); else onScreen.pause(); }
      if (event.key === "m") document.querySelector('button[data-sound="' + onScreen.dataset.take + '"]').click();
    });
    var picker = document.querySelector("input[data-video-preview]");
    if (picker) picker.addEventListener("change", function () {
      var preview = document.querySelector(".take-preview");
      var file = picker.files && picker.files[0];
      preview.hidden = !file;
      if (file) preview.src = URL.createObjectURL(file);
    });
  });

  var SVG = '<svg class="icon" width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">';
  var ICONS = {
    muted: SVG + '<polygon points="11 5 6 9 2 9 2 15 6 15 11 19 11 5"/><line x1="23" y1="9" x2="17" y2="15"/><line x1="17" y1="9" x2="23" y2="15"/></svg>',
    volume: SVG + '<polygon points="11 5 6 9 2 9 2 15 6 15 11 19 11 5"/><path d="M15.54 8.46a5 5 0 0 1 0 7.07"/><path d="M19.07 4.93a10 10 0 0 1 0 14.14"/></svg>',
  };
})();
