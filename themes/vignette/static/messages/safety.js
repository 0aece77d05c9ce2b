// Safety numbers, as plugins/e2ee/client/safety.py computes them (keep the two in step): SHA-512 over both
// devices' owners and Ed25519 keys in a fixed order, shown as six groups of five digits and eight emoji.
import { canonicalJson } from "./keys.js";

const VERSION = "entativa safety number v1\n";
export const EMOJI = ["🐶", "🐱", "🦁", "🐎", "🦄", "🐷", "🐘", "🐰", "🐼", "🐓", "🐧", "🐢", "🐟", "🐙", "🦋", "🌷",
  "🌳", "🌵", "🍄", "🌏", "🌙", "☁️", "🔥", "🍌", "🍎", "🍓", "🌽", "🍕", "🎂", "❤️", "😀", "🤖",
  "🎩", "👓", "🔧", "🎅", "👍", "☂️", "⌛", "⏰", "🎁", "💡", "📕", "✏️", "📎", "✂️", "🔒", "🔑",
  "🔨", "☎️", "🏁", "🚂", "🚲", "✈️", "🚀", "🏆", "⚽", "🎸", "🎺", "🔔", "⚓", "🎧", "📁", "📌"];

const byText = (x, y) => (x < y ? -1 : x > y ? 1 : 0);

export async function safetyNumber(aUri, aKey, bUri, bKey) {
  const pairs = [[aUri, aKey], [bUri, bKey]].sort((x, y) => byText(x[0], y[0]) || byText(x[1], y[1]));
  const bytes = new TextEncoder().encode(VERSION + canonicalJson(pairs));
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-512", bytes));
  const groups = [];
  for (let i = 0; i < 6; i++) {
    let n = 0;
    for (const b of digest.slice(5 * i, 5 * i + 5)) n = n * 256 + b; // 40 bits: exact in a double
    groups.push(String(n % 100000).padStart(5, "0"));
  }
  const emoji = Array.from(digest.slice(30, 38), (b) => EMOJI[b % 64]);
  return { digits: groups.join(" "), emoji: emoji.join(" ") };
}
