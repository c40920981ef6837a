#!/usr/bin/env bash
# Re-vendor htmx at the version pinned in service/assets.py (HTMX_VERSION), from npm.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
version=$(sed -n 's/^HTMX_VERSION = "\(.*\)"$/\1/p' "$root/service/assets.py")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack --silent "htmx.org@$version" >/dev/null && tar xzf htmx.org-*.tgz)
cp "$work/package/dist/htmx.min.js" "$root/static/vendor/htmx.min.js"
echo "vendored htmx $version into static/vendor/htmx.min.js"
