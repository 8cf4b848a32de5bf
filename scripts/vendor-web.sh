#!/usr/bin/env bash
# Vendor the web UI's front-end libraries from the npm registry: `npm pack` each pinned package,
# copy its minified files and its LICENSE into src/safepassage/web/static/vendor/<name>/, and write
# MANIFEST.txt (package, version, file, sha256). The result is committed, so nothing needs npm to run
# or test the UI. Re-run after changing a version below; the diff of MANIFEST.txt shows what changed.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
STATIC="$ROOT/src/safepassage/web/static/vendor"
TESTS="$ROOT/tests/web/vendor"  # axe-core: the accessibility checker the browser tests inject
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# name | npm spec | files inside the package | license file(s) | where (static: shipped; tests: tests only)
PACKAGES=(
  "leaflet|leaflet@1.9.4|dist/leaflet.js dist/leaflet.css|LICENSE|static"
  "d3|d3@7.9.0|dist/d3.min.js|LICENSE|static"
  "plot|@observablehq/plot@0.6.17|dist/plot.umd.min.js|LICENSE|static"
  "vis-timeline|vis-timeline@8.5.4|standalone/umd/vis-timeline-graph2d.min.js styles/vis-timeline-graph2d.min.css|LICENSE.MIT.txt LICENSE.Apache-2.0.txt|static"
  "axe-core|axe-core@4.14.1|axe.min.js|LICENSE|tests"
)

mkdir -p "$STATIC" "$TESTS"
manifest="$STATIC/MANIFEST.txt"
{
  echo "# Front-end libraries vendored by scripts/vendor-web.sh from the npm registry (do not edit by hand)."
  echo "# package version file sha256"
} >"$manifest.new"

for entry in "${PACKAGES[@]}"; do
  IFS='|' read -r name spec files license where <<<"$entry"
  if [ "$where" = tests ]; then DEST="$TESTS"; else DEST="$STATIC"; fi
  rm -rf "$WORK/$name" && mkdir -p "$WORK/$name"
  tarball="$(cd "$WORK/$name" && npm pack --silent "$spec" | tail -1)"
  tar -xzf "$WORK/$name/$tarball" -C "$WORK/$name"
  version="$(node -p "require('$WORK/$name/package/package.json').version")"
  rm -rf "${DEST:?}/$name" && mkdir -p "$DEST/$name"
  for f in $files $license; do
    cp "$WORK/$name/package/$f" "$DEST/$name/$(basename "$f")"
    echo "${spec%@*} $version $where:$name/$(basename "$f") $(sha256sum "$DEST/$name/$(basename "$f")" | cut -d' ' -f1)" >>"$manifest.new"
  done
done
mv "$manifest.new" "$manifest"

# vis-timeline's standalone build injects its stylesheet as <style> elements at load time. The page's
# Content-Security-Policy allows no inline style element except by hash: record the SHA-256 of each
# injected stylesheet (and of the empty element it starts as) for the policy (web/security.py).
node - "$STATIC/vis-timeline/vis-timeline-graph2d.min.js" "$STATIC/vis-timeline/injected-style-hashes.txt" <<'JS'
const fs = require("fs"), crypto = require("crypto");
const [src, out] = process.argv.slice(2);
const code = fs.readFileSync(src, "utf8");
const found = new Set([""]);
const literal = /[A-Za-z_$][\w$]*\((?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')\)/g;
for (const m of code.matchAll(literal)) {
  const body = m[1] !== undefined ? m[1] : m[2];
  if (!body.includes("{")) { continue; }
  const css = new Function("return '" + body.replace(/'/g, "\\'") + "';")();  // the literal's value
  if (/^(div\.|\.)vis[-. ]/.test(css)) { found.add(css); }
}
const hashes = [...found].map((css) => "sha256-" + crypto.createHash("sha256").update(css, "utf8").digest("base64"));
fs.writeFileSync(out, "# SHA-256 of the stylesheets vis-timeline injects (scripts/vendor-web.sh)\n" + hashes.join("\n") + "\n");
console.log(`${hashes.length} injected stylesheet hashes -> ${out}`);
JS
echo "vendored into $STATIC and $TESTS:"
cat "$manifest"
