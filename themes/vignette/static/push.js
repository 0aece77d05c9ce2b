// Push on this device (the notification settings page): register the service worker, subscribe with the
// node's VAPID key and hand the subscription to /api/v1/push/subscription (session cookie + CSRF header).
(function () {
  "use strict";
  const box = document.getElementById("push-device");
  if (!box || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
  box.hidden = false;
  const csrf = document.querySelector('meta[name="csrf-token"]')?.content || "";
  const status = box.querySelector("[data-push-status]");
  const on = box.querySelector("[data-push-on]");
  const off = box.querySelector("[data-push-off]");
  const types = (box.dataset.types || "").split(",").filter(Boolean);

  function keyBytes(base64url) {
    const padded = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  }

  async function registration() {
    await navigator.serviceWorker.register("/sw.js", { scope: "/" });
    return navigator.serviceWorker.ready;
  }

  async function api(method, body) {
    const response = await fetch("/api/v1/push/subscription", {
      method, credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf },
      body: body ? JSON.stringify(body) : undefined,
    });
    const answer = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(answer.error || response.statusText);
    return answer;
  }

  function show(subscribed, text) {
    on.hidden = subscribed;
    off.hidden = !subscribed;
    if (text) status.textContent = text;
    box.dataset.subscribed = subscribed ? "true" : "false";
  }

  async function subscribe() {
    on.disabled = true;
    try {
      if ((await Notification.requestPermission()) !== "granted") {
        show(false, gettext("This browser blocks notifications from this site; allow them in its settings first."));
        return;
      }
      const reg = await registration();
      const subscription = await reg.pushManager.subscribe({
        userVisibleOnly: true, applicationServerKey: keyBytes(box.dataset.vapidKey),
      });
      const keys = subscription.toJSON().keys;
      await api("POST", {
        subscription: { endpoint: subscription.endpoint, keys, standard: true },
        data: { alerts: Object.fromEntries(types.map((t) => [t, true])), policy: "all" },
      });
      show(true, gettext("Push is on for this device."));
    } catch (error) {
      show(false, gettext("Push could not be turned on: {error}", { error: error.message }));
    } finally {
      on.disabled = false;
    }
  }

  async function unsubscribe() {
    off.disabled = true;
    try {
      const reg = await registration();
      const subscription = await reg.pushManager.getSubscription();
      if (subscription) await subscription.unsubscribe();
      await api("DELETE");
      show(false, gettext("Push is off for this device."));
    } catch (error) {
      status.textContent = gettext("Push could not be turned off: {error}", { error: error.message });
    } finally {
      off.disabled = false;
    }
  }

  on.addEventListener("click", subscribe);
  off.addEventListener("click", unsubscribe);
  registration().then((reg) => reg.pushManager.getSubscription()).then((subscription) => {
    show(Boolean(subscription), subscription ? gettext("Push is on for this device.") : null);
  }).catch(() => {});
})();
