// /settings/privacy: the presence control (the e2ee plugin's setting, saved through its API).
import { NodeApi } from "./e2ee.js";
import { bindPresenceSetting } from "./presence.js";

const form = document.querySelector("[data-presence-setting]");
const csrf = document.querySelector('meta[name="csrf-token"]').content;
if (form) bindPresenceSetting(form, new NodeApi(csrf)).catch((error) => {
  form.querySelector("[data-presence-status]").textContent = gettext("Could not load: {error}", { error: error.message || error });
});
