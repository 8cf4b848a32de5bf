// Audit page: verify the whole hash chain and every Ed25519 signature in the browser (Web Crypto),
// from the exported chain, without trusting the server's own check. Format: safepassage-audit/1.
(function () {
  "use strict";
  var button = document.getElementById("verify-here");
  var out = document.getElementById("verify-result");
  if (!button) { return; }

  function canonical(value) {  // JSON with sorted keys and no spaces, as the server hashes it
    if (value === null || typeof value !== "object") { return JSON.stringify(value); }
    if (Array.isArray(value)) { return "[" + value.map(canonical).join(",") + "]"; }
    return "{" + Object.keys(value).sort().map(function (k) { return JSON.stringify(k) + ":" + canonical(value[k]); }).join(",") + "}";
  }
  function hex(buffer) { return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return b.toString(16).padStart(2, "0"); }).join(""); }
  function bytes(b64) { var s = atob(b64), a = new Uint8Array(s.length); for (var i = 0; i < s.length; i++) { a[i] = s.charCodeAt(i); } return a; }
  function sha256(text) { return crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)).then(hex); }

  async function verify(doc) {
    var pem = doc.public_key_pem.replace(/-----[^-]+-----/g, "").replace(/\s+/g, "");
    var der = bytes(pem);
    var key = await crypto.subtle.importKey("spki", der, { name: "Ed25519" }, false, ["verify"]);
    var fingerprint = (await crypto.subtle.digest("SHA-256", der));
    var previous = "0".repeat(64);
    for (var i = 0; i < doc.entries.length; i++) {
      var e = doc.entries[i];
      if (e.seq !== i + 1) { return { ok: false, problem: "entry " + (i + 1) + " missing or out of order" }; }
      var fields = {};
      doc.hashed_fields.forEach(function (name) { fields[name] = e[name]; });
      var digest = await sha256(canonical(fields));
      if (digest !== e.entry_hash) { return { ok: false, problem: "entry " + e.seq + " does not match its hash: modified" }; }
      if (e.prev_hash !== previous) { return { ok: false, problem: "entry " + e.seq + " does not follow entry " + (e.seq - 1) }; }
      var good = await crypto.subtle.verify({ name: "Ed25519" }, key, bytes(e.signature), new TextEncoder().encode(e.entry_hash));
      if (!good) { return { ok: false, problem: "entry " + e.seq + " has no valid signature" }; }
      previous = e.entry_hash;
    }
    if (doc.head.seq !== doc.entries.length || doc.head.entry_hash !== previous) { return { ok: false, problem: "the head does not name the last entry" }; }
    var headGood = await crypto.subtle.verify({ name: "Ed25519" }, key, bytes(doc.head.signature), new TextEncoder().encode(doc.head.entry_hash));
    if (!headGood) { return { ok: false, problem: "the head signature does not verify" }; }
    return { ok: true, entries: doc.entries.length, fingerprint: hex(fingerprint).match(/../g).join(":") };
  }

  button.addEventListener("click", function () {
    out.textContent = "Checking…";
    out.className = "";
    fetch(button.dataset.src, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(verify).then(function (result) {
      if (result.ok) {
        out.textContent = "Verified in this browser: " + result.entries + " entries, every hash and signature good; key fingerprint " + result.fingerprint + ".";
        out.className = "ok";
      } else {
        out.textContent = "NOT verified: " + result.problem + ".";
        out.className = "bad";
      }
    }).catch(function (err) { out.textContent = "Could not verify here: " + err; out.className = "bad"; });
  });
})();
