// The home page's stories tray, live: one WebSocket to the user stream (the session cookie authenticates
// it). `entativa.story.update` carries a story the reader may see, rendered for them: its author's ring
// appears (mine first, then before every seen ring) or turns unseen with the new cover. `entativa.story.delete`
// carries a story id (deleted, or swept at expiry): it leaves its ring, and a ring with no story left goes.
// Each ring lists its story ids in data-stories, so a delete needs no round trip. Reconnects with backoff.
(function () {
  "use strict";
  const tray = document.querySelector("[data-story-tray]");
  if (!tray) return;
  const list = tray.querySelector("ul");
  const me = tray.dataset.me;

  function ring(accountId) {
    return list.querySelector(`a.story-ring[data-account="${CSS.escape(accountId)}"]`);
  }

  function ids(link) {
    return (link.dataset.stories || "").split(" ").filter(Boolean);
  }

  function label(link, account, mine) {
    const who = mine ? gettext("Your story") : gettext("Story by {name}", { name: account.display_name || account.username });
    const close = link.classList.contains("close") ? gettext(" (close friends)") : "";
    link.setAttribute("aria-label", who + close + (link.classList.contains("seen") ? ", seen" : ""));
  }

  function build(account, mine) {
    const item = document.createElement("li");
    item.className = "story-item";
    const link = document.createElement("a");
    link.className = "story-ring unseen";
    link.href = `/stories/watch/${account.id}`;
    link.dataset.account = account.id;
    const circle = document.createElement("span");
    circle.className = "ring";
    const avatar = document.createElement("img");
    avatar.src = account.avatar; avatar.alt = ""; avatar.width = 56; avatar.height = 56;
    circle.append(avatar);
    const who = document.createElement("span");
    who.className = "who";
    who.textContent = mine ? gettext("Your story") : account.username;
    link.append(circle, who);
    item.append(link);
    if (mine) {
      const add = document.createElement("a");
      add.className = "story-add"; add.href = "/stories/new"; add.textContent = "+";
      add.setAttribute("aria-label", gettext("Add to your story")); add.title = gettext("Add to your story");
      item.append(add);
      list.querySelector("a.story-ring.new")?.closest("li")?.remove();  // my ring takes the gettext("Your story") place
    }
    return item;
  }

  // Where an unseen ring goes: first if it is mine, else after my ring and the other unseen ones (the
  // newest unseen story of the tray is first among them, as the server orders it).
  function placeUnseen(item, mine) {
    const items = [...list.children].filter((li) => li !== item);
    const firstOther = items.find((li) => {
      const link = li.querySelector("a.story-ring");
      return link && !link.classList.contains("new") && link.dataset.account !== me;
    });
    if (mine) list.prepend(item);
    else if (firstOther) list.insertBefore(item, firstOther);
    else list.append(item);
  }

  function update(story) {
    const account = story.account || {};
    if (!account.id) return;
    const mine = account.id === me;
    let link = ring(account.id);
    const item = link ? link.closest("li") : build(account, mine);
    link = item.querySelector("a.story-ring");
    const known = ids(link);
    if (!known.includes(story.id)) link.dataset.stories = [...known, story.id].join(" ");
    if (story.media_attachment?.preview_url) link.style.setProperty("--cover", `url("${story.media_attachment.preview_url}")`);
    if (story.audience === "close_friends" && !link.classList.contains("close")) {
      link.classList.add("close");
      const badge = document.createElement("span");
      badge.className = "cf-badge"; badge.setAttribute("aria-hidden", "true"); badge.textContent = "★";
      link.querySelector(".ring").after(badge);
    }
    if (!story.seen) {
      link.classList.remove("seen");
      link.classList.add("unseen");
      placeUnseen(item, mine);
    } else if (!item.isConnected) {
      link.classList.replace("unseen", "seen");
      list.append(item);
    }
    label(link, account, mine);
  }

  function remove(storyId) {
    for (const link of list.querySelectorAll("a.story-ring[data-stories]")) {
      const known = ids(link);
      if (!known.includes(storyId)) continue;
      const left = known.filter((id) => id !== storyId);
      link.dataset.stories = left.join(" ");
      if (left.length) continue;
      const mine = link.dataset.account === me;
      link.closest("li").remove();
      if (mine && !list.querySelector("a.story-ring.new")) {
        const item = document.createElement("li");
        const add = document.createElement("a");
        add.className = "story-ring new"; add.href = "/stories/new";
        add.innerHTML = '<span class="ring"></span><span class="plus" aria-hidden="true">+</span><span class="who">Your story</span>';
        const avatar = tray.dataset.avatar;
        if (avatar) {
          const img = document.createElement("img");
          img.src = avatar; img.alt = ""; img.width = 56; img.height = 56;
          add.querySelector(".ring").append(img);
        }
        item.append(add);
        list.prepend(item);
      }
    }
  }

  let delay = 1000;
  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}/api/v1/streaming?stream=user`);
    socket.addEventListener("open", () => { delay = 1000; tray.dataset.live = "true"; });
    socket.addEventListener("message", (message) => {
      let frame;
      try { frame = JSON.parse(message.data); } catch (_) { return; }
      if (frame.event === "entativa.story.delete") { remove(String(frame.payload)); return; }  // a bare id, as Mastodon's delete
      if (frame.event !== "entativa.story.update") return;
      try { update(JSON.parse(frame.payload)); } catch (_) { /* a malformed frame changes nothing */ }
    });
    socket.addEventListener("close", () => {
      tray.dataset.live = "false";
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, 60000);
    });
  }
  connect();
})();
