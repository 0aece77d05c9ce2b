// Translations for the theme's scripts. document.html embeds the catalogue of the page's language (only
// the messages scripts use) as JSON in #i18n-catalogue; an English page embeds none and every string reads
// as written. gettext("Sent to {name}", {name}) fills {placeholders}; ngettext(one, many, n) also fills
// {num}. A plural's form is picked with the language's CLDR rule: "one" is the first form, any other the
// second (what gettext's two-form languages such as French and English mean).
(function () {
  "use strict";
  const holder = document.getElementById("i18n-catalogue");
  let catalogue = {};
  try {
    catalogue = holder ? JSON.parse(holder.textContent) : {};
  } catch (e) {
    catalogue = {};
  }
  const lang = document.documentElement.lang || "en";
  let rules;
  try {
    rules = new Intl.PluralRules(lang);
  } catch (e) {
    rules = new Intl.PluralRules("en");
  }

  function fill(text, values) {
    if (!values) return text;
    return text.replace(/\{(\w+)\}/g, (whole, key) => (key in values ? String(values[key]) : whole));
  }

  function pluralIndex(n) {
    return rules.select(n) === "one" ? 0 : 1;
  }

  function gettext(msgid, values) {
    const found = catalogue[msgid];
    return fill(typeof found === "string" && found ? found : msgid, values);
  }

  function ngettext(singular, plural, n, values) {
    const forms = catalogue[singular];
    const index = pluralIndex(n);
    const text = Array.isArray(forms) && forms[index] ? forms[index] : index === 0 ? singular : plural;
    return fill(text, Object.assign({ num: n }, values || {}));
  }

  window.gettext = gettext;
  window.ngettext = ngettext;
  window.pluralIndex = pluralIndex;
})();
