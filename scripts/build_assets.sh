#!/usr/bin/env bash
# Build edrm's UI assets into edrm/web/static/govuk/ (generated, gitignored):
#   edrm.css                 GOV.UK Frontend + edrm styles, from edrm/web/assets/edrm.scss,
#                            with a system font stack (no GDS Transport font)
#   govuk-frontend.min.js    GOV.UK Frontend's JavaScript
#   assets/images/           GOV.UK Frontend images, less the crown, crest and GOV.UK icons
#   assets/manifest.json     web manifest listing only the icons that are shipped
# The Transport font files are never copied: they are reserved for GOV.UK.
#
# Re-running is cheap: `npm ci` runs only when package.json / package-lock.json change, and the
# build only when its inputs change (stamps in .stamps/). Needs node and npm on PATH.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

say() { printf 'edrm setup: %s\n' "$*"; }
die() {
    printf 'edrm setup: %s\n' "$*" >&2
    exit 1
}

command -v npm >/dev/null 2>&1 || die "npm is needed to build the UI assets. Install it with: sudo apt-get install nodejs npm"
command -v node >/dev/null 2>&1 || die "node is needed to build the UI assets. Install it with: sudo apt-get install nodejs"

STAMPS=.stamps
OUT=edrm/web/static/govuk
SRC=edrm/web/assets
GOVUK=node_modules/govuk-frontend/dist/govuk
mkdir -p "$STAMPS"

hash_of() { cat "$@" | sha256sum | cut -d' ' -f1; }

# 1. node_modules, exactly as package-lock.json says.
npm_hash=$(hash_of package.json package-lock.json)
if [[ -d node_modules/govuk-frontend && -x node_modules/.bin/sass ]] &&
    [[ "$(cat "$STAMPS/npm-ci" 2>/dev/null || true)" == "$npm_hash" ]]; then
    say "npm packages up to date"
else
    say "installing npm packages (npm ci)"
    # --ignore-scripts: nothing we use needs an install script (sass is plain JavaScript; the
    # optional file watcher it would build is not used here).
    npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
    printf '%s\n' "$npm_hash" >"$STAMPS/npm-ci"
fi

# 2. The build, when any input changed or an output is missing.
build_inputs=(package-lock.json "${BASH_SOURCE[0]}")
while IFS= read -r -d '' f; do build_inputs+=("$f"); done < <(find "$SRC" -type f -name '*.scss' -print0 | sort -z)
build_hash=$(hash_of "${build_inputs[@]}")
if [[ -s "$OUT/edrm.css" && -s "$OUT/govuk-frontend.min.js" && -s "$OUT/assets/manifest.json" ]] &&
    [[ "$(cat "$STAMPS/assets" 2>/dev/null || true)" == "$build_hash" ]]; then
    say "UI assets up to date"
    exit 0
fi

say "building UI assets into $OUT/"
tmp=$(mktemp -d "$STAMPS/assets-build.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

node_modules/.bin/sass --load-path=node_modules --no-source-map --style=compressed \
    --quiet-deps "$SRC/edrm.scss" "$tmp/edrm.css"

cp "$GOVUK/govuk-frontend.min.js" "$tmp/govuk-frontend.min.js"

mkdir -p "$tmp/assets"
cp -R "$GOVUK/assets/images" "$tmp/assets/images"
# The crown (favicons, app icons, mask icon, social image) and the royal crest are GOV.UK's.
find "$tmp/assets/images" -type f \( -name 'favicon*' -o -name 'govuk-crest*' \
    -o -name 'govuk-icon*' -o -name 'govuk-opengraph*' -o -iname '*crown*' \) -delete

# The upstream manifest lists only crown icons; keep its shape but only what is shipped.
if [[ -f "$GOVUK/assets/manifest.json" ]]; then
    node -e '
        const fs = require("fs"), path = require("path");
        const [src, dest, dir] = process.argv.slice(1);
        const manifest = JSON.parse(fs.readFileSync(src, "utf8"));
        manifest.icons = (manifest.icons || []).filter((i) => fs.existsSync(path.join(dir, i.src)));
        fs.writeFileSync(dest, JSON.stringify(manifest, null, 2) + "\n");
    ' "$GOVUK/assets/manifest.json" "$tmp/assets/manifest.json" "$tmp/assets"
else
    printf '{\n  "icons": []\n}\n' >"$tmp/assets/manifest.json"
fi

# 3. Checks before anything replaces the previous build.
css_size=$(wc -c <"$tmp/edrm.css")
js_size=$(wc -c <"$tmp/govuk-frontend.min.js")
((css_size > 50000)) || die "edrm.css is only $css_size bytes: the Sass build looks wrong"
((js_size > 10000)) || die "govuk-frontend.min.js is only $js_size bytes: the copy looks wrong"
if grep -qiE 'GDS Transport|@font-face|\.woff' "$tmp/edrm.css"; then
    die "edrm.css still declares the GDS Transport font; check \$govuk-font-family in $SRC/edrm.scss"
fi
if grep -qiE 'govuk-crest|govuk-icon|favicon' "$tmp/edrm.css"; then
    die "edrm.css still refers to a GOV.UK crown or crest image"
fi
if find "$tmp" -type f \( -iname '*.woff' -o -iname '*.woff2' -o -name 'govuk-crest*' -o -name 'favicon*' \) | grep -q .; then
    die "a GOV.UK font or crown image slipped into the build"
fi

rm -rf "$OUT"
mkdir -p "$(dirname "$OUT")"
mv "$tmp" "$OUT"
chmod 755 "$OUT"
trap - EXIT
printf '%s\n' "$build_hash" >"$STAMPS/assets"
say "UI assets built: edrm.css $((css_size / 1024)) KiB, govuk-frontend.min.js $((js_size / 1024)) KiB"
