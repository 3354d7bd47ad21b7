// The review form: sign a decision in this browser with WebCrypto Ed25519, from a key file the
// reviewer opens here. The key never leaves the page: the server drafts the decision on the
// bundle's current head, this page signs the draft's bytes and sends back only the signature.
// A decision signed on a head that moved in between is refused (409) and signed again once.
"use strict";

const hexToBytes = (hex) => new Uint8Array(hex.match(/../g).map((h) => parseInt(h, 16)));
const bytesToHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const base64urlToBytes = (text) => {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
};
// PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410).
const PKCS8_PREFIX = [0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70,
  0x04, 0x22, 0x04, 0x20];

async function readKey(file) {
  const text = await file.text();
  const line = text.split("\n").map((l) => l.trim()).find((l) => l && !l.startsWith("#")) || "";
  if (!/^[0-9a-fA-F]{64}$/.test(line)) {
    throw new Error("this is not a synthgate secret key (64 hex digits); make one with `synthgate keygen`");
  }
  const key = await crypto.subtle.importKey(
    "pkcs8", new Uint8Array([...PKCS8_PREFIX, ...hexToBytes(line)]), { name: "Ed25519" }, true, ["sign"]);
  const jwk = await crypto.subtle.exportKey("jwk", key);
  return { key, publicHex: bytesToHex(base64urlToBytes(jwk.x)) };
}

async function signAndSend(form, key, publicHex) {
  const id = form.dataset.release;
  const params = new URLSearchParams({
    role: form.elements.role.value,
    decision: form.elements.decision.value,
    comment: form.elements.comment.value,
    public_key: publicHex,
  });
  const drafted = await fetch(`/api/releases/${id}/draft?${params}`, { credentials: "same-origin" });
  const draft = await drafted.json();
  if (!drafted.ok) return { ok: false, status: drafted.status, reply: draft };
  const signature = await crypto.subtle.sign({ name: "Ed25519" }, key, hexToBytes(draft.message));
  const approval = Object.assign({}, draft.body, { signature: bytesToHex(new Uint8Array(signature)) });
  const sent = await fetch(`/api/releases/${id}/decisions`, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": form.dataset.csrf },
    body: JSON.stringify({ approval }),
  });
  return { ok: sent.ok, status: sent.status, reply: await sent.json() };
}

const form = document.getElementById("review");
if (form) {
  const say = (text) => { document.getElementById("review-status").textContent = text; };
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const file = form.elements.key.files[0];
    if (!file) { say("Open your key file first."); return; }
    form.elements.sign.disabled = true;
    try {
      say("Signing in this browser…");
      const { key, publicHex } = await readKey(file);
      let result = await signAndSend(form, key, publicHex);
      if (result.status === 409 && result.reply.error && result.reply.error.kind === "stale_head") {
        say("The decision chain moved on while you signed; signing again on its new head…");
        result = await signAndSend(form, key, publicHex);
      }
      if (!result.ok) {
        say(`Refused (${result.status}): ${result.reply.error ? result.reply.error.message : "unknown error"}`);
        return;
      }
      say(`Recorded. The release is now ${result.reply.status}.`);
      document.getElementById("status-badge").textContent = result.reply.status;
      document.getElementById("status-badge").dataset.status = result.reply.status;
      document.getElementById("status-badge").className = `badge ${result.reply.status}`;
    } catch (error) {
      say(`Signing failed: ${error.message || error}`);
    } finally {
      form.elements.sign.disabled = false;
    }
  });
}
