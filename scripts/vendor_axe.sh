#!/bin/sh
# Vendors axe-core (the accessibility rules engine) for the browser a11y
# audit (cmd/web/a11y_browser_test.go). Test-only: static/vendor is not
# embedded in the binary (static/embed.go embeds css and js), so users are
# never sent it. Usage: scripts/vendor_axe.sh [version]
set -eu
VER=${1:-4.14.1}
DIR=$(cd "$(dirname "$0")/.." && pwd)/static/vendor/axe-core
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
cd "$TMP"
npm pack "axe-core@$VER" >/dev/null 2>&1
WANT=$(npm view "axe-core@$VER" dist.integrity)
GOT="sha512-$(openssl dgst -sha512 -binary "axe-core-$VER.tgz" | base64 -w0)"
if [ "$WANT" != "$GOT" ]; then
	echo "axe-core-$VER.tgz: integrity $GOT, npm says $WANT" >&2
	exit 1
fi
tar xzf "axe-core-$VER.tgz"
mkdir -p "$DIR"
cp package/axe.min.js package/LICENSE "$DIR/"
SUM=$(sha256sum "$DIR/axe.min.js" | cut -d' ' -f1)
cat >"$DIR/VERSION" <<EOT
# axe-core, vendored by scripts/vendor_axe.sh from npm (test-only, not embedded).
version = $VER
npm_integrity = $WANT
axe.min.js sha256 = $SUM
EOT
echo "axe-core $VER vendored ($SUM)"
