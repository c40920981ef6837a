#!/usr/bin/env bash
# Re-vendor htmx and its SSE extension at the versions pinned in service/assets.py, from npm.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
pinned() { sed -n "s/^$1 = \"\(.*\)\"$/\1/p" "$root/service/assets.py"; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() { # package version file-in-dist destination
    rm -rf "$work/package"
    (cd "$work" && npm pack --silent "$1@$2" >/dev/null && tar xzf ./*.tgz && rm ./*.tgz)
    cp "$work/package/dist/$3" "$root/static/vendor/$4"
    echo "vendored $1 $2 into static/vendor/$4"
}
fetch htmx.org "$(pinned HTMX_VERSION)" htmx.min.js htmx.min.js
fetch htmx-ext-sse "$(pinned HTMX_SSE_VERSION)" sse.min.js htmx-ext-sse.min.js
