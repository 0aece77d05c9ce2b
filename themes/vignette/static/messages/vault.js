// The device's state at rest: one IndexedDB database per origin, holding a non-extractable AES-GCM key
// (WebCrypto: the key's bytes never leave the browser, not even to this script) and, per account, the state
// encrypted under it. Reading the database's files gives ciphertext only.

const DB = "entativa-e2ee";
const KEYS = "keys";
const STATES = "states";

function open() {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => {
      request.result.createObjectStore(KEYS);
      request.result.createObjectStore(STATES);
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function run(db, store, mode, action) {
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const request = action(tx.objectStore(store));
    tx.oncomplete = () => resolve(request.result);
    tx.onerror = () => reject(tx.error);
  });
}

async function wrappingKey(db) {
  let key = await run(db, KEYS, "readonly", (s) => s.get("state-key"));
  if (!key) {
    key = await crypto.subtle.generateKey({ name: "AES-GCM", length: 256 }, false, ["encrypt", "decrypt"]);
    await run(db, KEYS, "readwrite", (s) => s.put(key, "state-key"));
  }
  return key;
}

export class Vault {
  constructor(name) {
    this.name = name; // one state per account on this origin
    this.db = null;
    this.key = null;
  }

  async ready() {
    if (!this.db) {
      this.db = await open();
      this.key = await wrappingKey(this.db);
    }
  }

  async load() {
    await this.ready();
    const sealed = await run(this.db, STATES, "readonly", (s) => s.get(this.name));
    if (!sealed) return null;
    const plain = await crypto.subtle.decrypt({ name: "AES-GCM", iv: sealed.iv }, this.key, sealed.data);
    return JSON.parse(new TextDecoder().decode(plain));
  }

  async save(state) {
    await this.ready();
    const iv = crypto.getRandomValues(new Uint8Array(12));
    const data = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, this.key,
                                             new TextEncoder().encode(JSON.stringify(state)));
    await run(this.db, STATES, "readwrite", (s) => s.put({ iv, data }, this.name));
  }

  async wipe() {
    await this.ready();
    await run(this.db, STATES, "readwrite", (s) => s.delete(this.name));
  }
}
