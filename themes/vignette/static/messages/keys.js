// What the browser and the node agree on byte for byte, and the strict checks every public key and
// signature must pass before it reaches libolm (which by itself accepts non-contributory keys and malleable
// signatures). A port of plugins/e2ee/signing.py: keep the two in step.

export const ALGORITHMS = ["m.olm.v1.curve25519-aes-sha2", "m.megolm.v1.aes-sha2"];

export class KeyRefused extends Error {}

const P = 2n ** 255n - 19n;
const L = 2n ** 252n + 27742317777372353535851937790883648493n; // Ed25519's group order: S must be below it

export function b64decode(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) throw new KeyRefused("not valid base64");
  const padded = text + "=".repeat((4 - (text.length % 4)) % 4);
  let binary;
  try { binary = atob(padded); } catch { throw new KeyRefused("not valid base64"); }
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

export function b64encode(bytes) {
  return btoa(String.fromCharCode(...bytes)).replace(/=+$/, "");
}

// Sorted keys, no spaces, UTF-8 (what Python's json.dumps(sort_keys=True, separators=(",", ":"),
// ensure_ascii=False) writes): the text a signature covers.
export function canonicalJson(value) {
  if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
  if (value && typeof value === "object") {
    return "{" + Object.keys(value).sort().map((k) => JSON.stringify(k) + ":" + canonicalJson(value[k])).join(",") + "}";
  }
  return JSON.stringify(value);
}

export function deviceObject(accountUri, deviceId, identityKey, fingerprintKey, algorithms) {
  return { account: accountUri, device_id: deviceId, algorithms: [...algorithms],
           keys: { curve25519: identityKey, ed25519: fingerprintKey } };
}

export function oneTimeKeyObject(key, fallback = false) {
  return fallback ? { key, fallback: true } : { key };
}

function littleEndian(bytes) {
  let n = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(bytes[i]);
  return n;
}

const hex = (h) => Uint8Array.from(h.match(/../g), (b) => parseInt(b, 16));
// Montgomery u-coordinates of the small-order points (and their non-canonical twins).
const BAD_U = new Set([0n, 1n, P - 1n,
  littleEndian(hex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")),
  littleEndian(hex("5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157"))]);
// Encodings of the eight small-order Ed25519 points.
const BAD_ED = new Set([
  "0100000000000000000000000000000000000000000000000000000000000000",
  "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
  "0000000000000000000000000000000000000000000000000000000000000080",
  "0000000000000000000000000000000000000000000000000000000000000000",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
  "c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
  "26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85"]);

const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

export function checkCurve25519(key) {
  const raw = b64decode(key);
  if (raw.length !== 32) throw new KeyRefused("a Curve25519 key is 32 bytes");
  const u = (littleEndian(raw) & ((1n << 255n) - 1n)) % P;
  if (BAD_U.has(u)) throw new KeyRefused("a Curve25519 key of small order (non-contributory) is refused");
  return raw;
}

export function checkEd25519(key) {
  const raw = b64decode(key);
  if (raw.length !== 32) throw new KeyRefused("an Ed25519 key is 32 bytes");
  if (BAD_ED.has(toHex(raw))) throw new KeyRefused("an Ed25519 key of small order is refused");
  return raw;
}

export function checkSignature(signature) {
  const raw = b64decode(signature || "");
  if (raw.length !== 64) throw new KeyRefused("an Ed25519 signature is 64 bytes");
  if (littleEndian(raw.slice(32)) >= L) throw new KeyRefused("a malleable (non-canonical) Ed25519 signature is refused");
  return raw;
}

// Strict checks, then libolm's Ed25519 verification of canonicalJson(signed).
export function verify(olm, fingerprintKey, signed, signature) {
  checkEd25519(fingerprintKey);
  checkSignature(signature);
  const utility = new olm.Utility();
  try {
    utility.ed25519_verify(fingerprintKey, canonicalJson(signed), signature);
  } catch {
    throw new KeyRefused("the signature does not verify");
  } finally {
    utility.free();
  }
}
