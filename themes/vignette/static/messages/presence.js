// Presence on the Messages page: online / last seen of the people this account chats with, as far as they
// share it (GET /api/v1/crypto/presence, then live e2ee.presence events over the stream). Kept in memory
// only: presence is ephemeral, the page never writes it to the vault.

const known = {};

function ago(iso, now = Date.now()) {
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return gettext("just now");
  if (seconds < 3600) return gettext("{minutes} min ago", { minutes: Math.round(seconds / 60) });
  if (seconds < 86400) return gettext("{hours} h ago", { hours: Math.round(seconds / 3600) });
  return new Date(iso).toLocaleDateString(document.documentElement.lang || undefined, { day: "numeric", month: "short" });
}

// The words shown for an account ("Online", "Last seen 5 min ago"), or "" when it is not shared.
export function presenceLabel(accountId) {
  const p = known[accountId];
  if (!p || !p.shared) return "";
  if (p.online) return gettext("Online");
  return p.last_seen_at ? gettext("Last seen {when}", { when: ago(p.last_seen_at) }) : "";
}

export function isOnline(accountId) { return Boolean(known[accountId] && known[accountId].shared && known[accountId].online); }

export function updatePresence(payload) {
  if (payload && payload.account_id) known[payload.account_id] = payload;
}

// Ask the node for the accounts' presence (at most 80 per call, as the route allows).
export async function loadPresence(api, accountIds) {
  const ids = [...new Set(accountIds.filter(Boolean))];
  for (let i = 0; i < ids.length; i += 80) {
    const q = new URLSearchParams();
    for (const id of ids.slice(i, i + 80)) q.append("id[]", id);
    for (const p of await api.call("GET", `/api/v1/crypto/presence?${q}`)) updatePresence(p);
  }
}

// The /settings/privacy control: who sees my presence (everyone I chat with / nobody), through the API.
export async function bindPresenceSetting(form, api) {
  const select = form.querySelector("select[name=presence]");
  const said = form.querySelector("[data-presence-status]");
  select.value = (await api.call("GET", "/api/v1/crypto/presence/settings")).share;
  select.disabled = false;
  select.addEventListener("change", async () => {
    try {
      const saved = await api.call("PUT", "/api/v1/crypto/presence/settings", { share: select.value });
      said.textContent = saved.share === "nobody" ? gettext("Nobody sees when you are online.") : gettext("People you chat with see when you are online.");
    } catch (error) {
      said.textContent = gettext("Not saved: {error}", { error: error.message || error });
    }
  });
}
