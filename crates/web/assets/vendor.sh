#!/usr/bin/env bash
# Copies GOV.UK Frontend's precompiled files from its npm package into
# assets/govuk-frontend/ and the fixtures of the components Allot ports into
# src/pages/fixtures/. Run by hand when upgrading: `bash vendor.sh 6.6.0`.
# Needs npm (a registry, not Node at run time).
set -euo pipefail
version=${1:?usage: vendor.sh VERSION}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "govuk-frontend@$version" >/dev/null && tar xzf "govuk-frontend-$version.tgz")
dist=$work/package/dist/govuk
out=$here/govuk-frontend
rm -rf "$out" && mkdir -p "$out/images"
# The GDS Transport font may only be used on gov.uk domains, and a council's
# service is not one: drop its @font-face rules so text falls back to Arial
# (the font stack's next entry), and do not ship the font files.
sed -E 's/@font-face\{font-family:GDS Transport;[^}]*\}//g; s#/\*\# sourceMappingURL=[^*]*\*/##' \
    "$dist/govuk-frontend.min.css" > "$out/govuk-frontend.min.css"
sed -E 's#//\# sourceMappingURL=.*$##' "$dist/govuk-frontend.min.js" > "$out/govuk-frontend.min.js"
cp "$dist/assets/images/favicon.ico" "$dist/assets/images/favicon.svg" "$dist/assets/images/govuk-icon-mask.svg" \
   "$dist/assets/images/govuk-icon-180.png" "$out/images/"
printf %s "$version" > "$out/VERSION"
fixtures=$here/../src/pages/fixtures
rm -rf "$fixtures" && mkdir -p "$fixtures"
for c in back-link button checkboxes details error-message error-summary file-upload hint input inset-text label \
         notification-banner panel radios select textarea \
         skip-link summary-list table tag warning-text; do
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); json.dump({"component": d["component"], "fixtures": [{"name": f["name"], "options": f["options"], "html": f["html"]} for f in d["fixtures"]]}, open(sys.argv[2], "w"), indent=1, ensure_ascii=False)' \
        "$dist/components/$c/fixtures.json" "$fixtures/$c.json"
done
if grep -q '@font-face' "$out/govuk-frontend.min.css"; then echo "a @font-face is left in the CSS" >&2; exit 1; fi
echo "GOV.UK Frontend $version vendored"
