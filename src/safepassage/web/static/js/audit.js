// Audit page: verify the exported audit record (safepassage-audit-export/2) in this browser with Web Crypto
// (SHA-256, Ed25519) alone, without trusting the server's own check. It checks what the service's
// verify_export checks (src/safepassage/service/audit.py, transparency.py), in the same order:
//   1. the format;
//   2. the export's own Ed25519 signature over the canonical JSON of the document without "signature";
//   3. first_seq is 1 (a whole export, not one page);
//   4. every entry: seq without gaps, entry_hash = SHA-256(canonical JSON of the hashed fields), prev_hash
//      = the previous entry's hash (64 zeros first), the Ed25519 signature of the ASCII entry_hash; and
//      the head names the last entry;
//   5. the checkpoint (a C2SP signed note) verifies: text, blank line, signature lines "— <name> base64(key id
//      || signature)", key id = SHA-256(name || 0x0A || 0x01 || raw public key)[0:4];
//   6. its tree size is the number of entries, and its root is the RFC 9162 Merkle root of the entry leaves
//      (leaf = SHA-256(0x00 || canonical JSON of the hashed fields), node = SHA-256(0x01 || left || right)).
// The trust anchor is the key fingerprint this page shows (SHA-256 of the key's DER, as the server computes it):
// the export's key must be that key. Stricter than the server only where it cannot matter for a genuine
// export: base64 must be canonical, numbers must be integers, hashed_fields must be the known list.
(function () {
  "use strict";
  var button = document.getElementById("verify-here");
  var out = document.getElementById("verify-result");
  if (!button || !out) { return; }

  var EXPORT_FORMAT = "safepassage-audit-export/2";
  var GENESIS_HASH = "0".repeat(64);
  var HASHED_FIELDS = ["seq", "at", "actor", "action", "object_type", "object_id", "payload_hash", "prev_hash"];
  var EM_DASH = "\u2014";
  var encoder = new TextEncoder();

  function Problem(message) { this.message = message; }

  // --- canonical JSON, as json.dumps(sort_keys=True, separators=(",", ":"), ensure_ascii=False) -------------
  function byCodePoint(a, b) {  // Python sorts str keys by code point; JS's default sort is by UTF-16 unit
    var x = Array.from(a), y = Array.from(b), n = Math.min(x.length, y.length);
    for (var i = 0; i < n; i++) {
      var d = x[i].codePointAt(0) - y[i].codePointAt(0);
      if (d !== 0) { return d; }
    }
    return x.length - y.length;
  }
  function canonical(value) {
    if (value === null || typeof value === "boolean" || typeof value === "string") { return JSON.stringify(value); }
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) { throw new Problem("the export holds the number " + value + ", which this page cannot re-encode as the server does"); }
      return String(value);
    }
    if (Array.isArray(value)) { return "[" + value.map(canonical).join(",") + "]"; }
    if (typeof value === "object") {
      return "{" + Object.keys(value).sort(byCodePoint).map(function (k) { return JSON.stringify(k) + ":" + canonical(value[k]); }).join(",") + "}";
    }
    throw new Problem("the export holds a value JSON cannot carry");
  }
  function utf8(text) { return encoder.encode(text); }

  // --- bytes -----------------------------------------------------------------------------------------------
  function hex(buffer) { return Array.prototype.map.call(new Uint8Array(buffer), function (b) { return b.toString(16).padStart(2, "0"); }).join(""); }
  function base64(data) { return btoa(String.fromCharCode.apply(null, new Uint8Array(data))); }
  function unbase64(text) {  // strict: the standard alphabet with padding, or null
    if (typeof text !== "string" || text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) { return null; }
    var s = atob(text), a = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) { a[i] = s.charCodeAt(i); }
    return a;
  }
  function concat() {
    var total = 0, i;
    for (i = 0; i < arguments.length; i++) { total += arguments[i].length; }
    var joined = new Uint8Array(total), at = 0;
    for (i = 0; i < arguments.length; i++) { joined.set(arguments[i], at); at += arguments[i].length; }
    return joined;
  }
  function equalBytes(a, b) {
    if (a.length !== b.length) { return false; }
    for (var i = 0; i < a.length; i++) { if (a[i] !== b[i]) { return false; } }
    return true;
  }
  async function sha256(data) { return new Uint8Array(await crypto.subtle.digest("SHA-256", data)); }
  async function ed25519(key, signature, data) {
    if (signature === null) { return false; }
    return crypto.subtle.verify({ name: "Ed25519" }, key, signature, data);
  }
  function integer(value) {  // Python's int() of a JSON value, for the values a genuine export holds
    if (typeof value === "number" && Number.isSafeInteger(value)) { return value; }
    if (typeof value === "string" && /^\s*[+-]?[0-9]+\s*$/.test(value)) { return parseInt(value, 10); }
    return NaN;
  }

  // --- RFC 9162 Merkle tree --------------------------------------------------------------------------------
  var LEAF = new Uint8Array([0]), NODE = new Uint8Array([1]);
  function leafHash(data) { return sha256(concat(LEAF, data)); }
  function nodeHash(left, right) { return sha256(concat(NODE, left, right)); }
  async function merkleRoot(leaves) {  // as transparency.merkle_root: the right edge of perfect subtrees, folded
    if (leaves.length === 0) { return sha256(new Uint8Array(0)); }
    var frontier = [];
    for (var index = 0; index < leaves.length; index++) {
      frontier.push(leaves[index]);
      for (var n = index; n & 1; n >>= 1) {
        var right = frontier.pop(), left = frontier.pop();
        frontier.push(await nodeHash(left, right));
      }
    }
    var root = frontier[frontier.length - 1];
    for (var i = frontier.length - 2; i >= 0; i--) { root = await nodeHash(frontier[i], root); }
    return root;
  }

  // --- C2SP signed-note checkpoint (transparency.parse_checkpoint) -----------------------------------------
  async function parseCheckpoint(note, key, raw) {
    if (typeof note !== "string") { throw new Problem("the latest checkpoint does not verify: it is not text"); }
    function bad(why) { return new Problem("the latest checkpoint does not verify: " + why); }
    if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) { throw bad("a checkpoint must not contain control characters other than newline"); }
    var cut = note.indexOf("\n\n");
    var signatures = cut < 0 ? "" : note.slice(cut + 2);
    if (cut < 0 || !signatures.endsWith("\n")) { throw bad("not a signed note: the text must be followed by a blank line and signature lines"); }
    var text = note.slice(0, cut) + "\n";
    var lines = text.split("\n").slice(0, -1);
    if (lines.length < 3) { throw bad("a checkpoint's text has three lines: origin, tree size, root hash"); }
    var name = lines[0], sizeText = lines[1], rootText = lines[2];
    if (!/^[0-9]+$/.test(sizeText) || (sizeText !== "0" && sizeText.charAt(0) === "0")) { throw bad("the tree size " + JSON.stringify(sizeText) + " is not a decimal number"); }
    var root = unbase64(rootText);
    if (root === null) { throw bad("the root hash is not base64"); }
    if (root.length !== 32) { throw bad("the root hash is not 32 bytes"); }
    var wanted = (await sha256(concat(utf8(name), new Uint8Array([0x0a, 0x01]), raw))).slice(0, 4);
    var signed = signatures.split("\n").slice(0, -1);
    for (var i = 0; i < signed.length; i++) {
      var line = signed[i];
      var space = line.indexOf(" ");
      var dash = space < 0 ? line : line.slice(0, space), rest = space < 0 ? "" : line.slice(space + 1);
      var space2 = rest.indexOf(" ");
      var signer = space2 < 0 ? rest : rest.slice(0, space2), stamp = space2 < 0 ? "" : rest.slice(space2 + 1);
      if (dash !== EM_DASH || signer !== name) { continue; }
      var blob = unbase64(stamp);
      if (blob === null || !equalBytes(blob.slice(0, 4), wanted)) { continue; }
      if (!(await ed25519(key, blob.slice(4), utf8(text)))) { throw bad("the checkpoint signature does not verify with the trusted key: it was altered"); }
      return { origin: name, size: parseInt(sizeText, 10), root: root, keyId: hex(wanted) };
    }
    throw bad("the checkpoint carries no signature by the trusted key of " + JSON.stringify(name));
  }

  // --- the export (audit.verify_export) --------------------------------------------------------------------
  async function verify(doc, shownFingerprint) {
    if (doc === null || typeof doc !== "object" || Array.isArray(doc)) { throw new Problem("the export is not a JSON object"); }
    if (doc.format !== EXPORT_FORMAT) { throw new Problem("not a Safe Passage audit export (format " + JSON.stringify(doc.format) + ", expected " + EXPORT_FORMAT + ")"); }
    if (canonical(doc.hashed_fields) !== canonical(HASHED_FIELDS)) { throw new Problem("the export names other hashed fields than " + HASHED_FIELDS.join(", ")); }

    // The key, and the fingerprint the server computes (web.staff_pages.key_fingerprint: SHA-256 of the DER).
    if (typeof doc.public_key_pem !== "string") { throw new Problem("the export carries no public key"); }
    var der = unbase64(doc.public_key_pem.split(/\r?\n/).filter(function (l) { return l.indexOf("-----") < 0; }).join("").replace(/\s+/g, ""));
    if (der === null) { throw new Problem("the export's public key is not PEM"); }
    var key;
    try {
      key = await crypto.subtle.importKey("spki", der, { name: "Ed25519" }, true, ["verify"]);
    } catch (err) {
      throw new Problem("the export's public key is not an Ed25519 key (" + err + ")");
    }
    var raw = new Uint8Array(await crypto.subtle.exportKey("raw", key));
    var fingerprint = hex(await sha256(der)).match(/../g).join(":");
    if (shownFingerprint && fingerprint !== shownFingerprint) {
      throw new Problem("the export is signed by another key (fingerprint " + fingerprint + ") than the one this page shows (" + shownFingerprint + ")");
    }

    var unsigned = {};
    Object.keys(doc).forEach(function (k) { if (k !== "signature") { unsigned[k] = doc[k]; } });
    if (!(await ed25519(key, unbase64(doc.signature), utf8(canonical(unsigned))))) {
      throw new Problem("the export signature does not verify with this public key: the export (its entries, checkpoint, exported_at or deployment) was altered, cut, or signed by another key");
    }
    if (integer(doc.first_seq === undefined ? 1 : doc.first_seq) !== 1) { throw new Problem("this export is one page of the log (first_seq > 1), not the whole log"); }

    // The chain (audit.verify_entries).
    var entries = Array.isArray(doc.entries) ? doc.entries : [];
    var head = doc.head;
    if (head === null || typeof head !== "object") { throw new Problem("the export has no head"); }
    var previous = GENESIS_HASH, leaves = [];
    for (var i = 0; i < entries.length; i++) {
      var e = entries[i], expected = i + 1;
      if (e === null || typeof e !== "object") { throw new Problem("entry " + expected + " is not an object"); }
      var seq = integer(e.seq);
      if (seq !== expected) {
        if (seq > expected) { throw new Problem("entry " + (seq === expected + 1 ? expected : expected + "–" + (seq - 1)) + " missing: deleted"); }
        throw new Problem("entry " + e.seq + " out of order after entry " + (expected - 1) + ": reordered");
      }
      var fields = {};
      for (var f = 0; f < HASHED_FIELDS.length; f++) {
        if (!(HASHED_FIELDS[f] in e)) { throw new Problem("entry " + seq + " has no " + HASHED_FIELDS[f]); }
        fields[HASHED_FIELDS[f]] = e[HASHED_FIELDS[f]];
      }
      var data = utf8(canonical(fields));
      if (hex(await sha256(data)) !== e.entry_hash) { throw new Problem("entry " + seq + " does not match its hash: modified, or moved from another position"); }
      if (e.prev_hash !== previous) { throw new Problem("entry " + seq + " does not follow entry " + (seq - 1) + " (prev_hash differs): reordered, or an entry before it was replaced"); }
      if (!(await ed25519(key, unbase64(e.signature), utf8(e.entry_hash)))) { throw new Problem("entry " + seq + " has no valid signature of the deployment key: rewritten without the key"); }
      leaves.push(await leafHash(data));
      previous = e.entry_hash;
    }
    var count = entries.length, headSeq = integer(head.seq);
    if (isNaN(headSeq)) { throw new Problem("the head names no entry"); }
    if (headSeq > count) { throw new Problem("the head names entry " + headSeq + " but the chain ends at " + count + ": entries " + (count + 1) + "–" + headSeq + " deleted"); }
    if (headSeq < count) { throw new Problem("entries after " + headSeq + " are not covered by the head: appended outside the service"); }
    if (head.entry_hash !== previous) { throw new Problem("the head's hash does not match entry " + headSeq + ": modified"); }

    // The Merkle tree against the signed checkpoint (audit.check_tree).
    var checkpoint = await parseCheckpoint(doc.checkpoint, key, raw);
    if (checkpoint.size !== leaves.length) {
      throw new Problem("the signed checkpoint is for " + checkpoint.size + " entries but the log holds " + leaves.length + ": "
        + (checkpoint.size > leaves.length ? "entries were deleted" : "entries were added outside the service"));
    }
    var root = await merkleRoot(leaves);
    if (!equalBytes(root, checkpoint.root)) { throw new Problem("the Merkle root of the entries differs from the signed checkpoint's root: an entry was rewritten"); }
    return { entries: count, origin: checkpoint.origin, size: checkpoint.size, root: base64(root), keyId: checkpoint.keyId, fingerprint: fingerprint };
  }

  button.addEventListener("click", function () {
    out.textContent = "Checking…";
    out.className = "";
    var shown = document.getElementById("fingerprint");
    fetch(button.dataset.src, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      if (!r.ok) { throw new Error("the server answered " + r.status); }
      return r.json();
    }).then(function (doc) { return verify(doc, shown ? shown.textContent.trim() : ""); }).then(function (r) {
      out.textContent = "Verified in this browser: " + r.entries + " entries, each entry's hash, the hash chain and every entry's Ed25519 signature; "
        + "the Merkle tree of the " + r.size + " entries has root " + r.root + ", the root and size of the checkpoint of " + r.origin
        + ", whose signed note verifies (key id " + r.keyId + "); and the export's own signature verifies. Key fingerprint " + r.fingerprint + ".";
      out.className = "ok";
    }).catch(function (err) {
      if (err instanceof Problem) {
        out.textContent = "NOT verified: " + err.message + ".";
      } else {
        out.textContent = "Could not verify here: " + err + ".";
      }
      out.className = "bad";
    });
  });
})();
