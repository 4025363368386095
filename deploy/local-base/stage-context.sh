#!/bin/sh
# Stages a build context for deploy/Dockerfile with PREBUILT=1, for engines that reach neither a
# registry nor npm: package.json, the lock file, the compiled dist/src of this checkout (run
# `npm run build` first) and the production dependencies out of its node_modules (the packages
# `npm ls --omit=dev --omit=optional` lists). The Dockerfile's build stage then only checks them.
#
#   deploy/local-base/stage-context.sh DIR
#   docker build --build-arg BASE="$(deploy/local-base/build-base.sh)" --build-arg PREBUILT=1 \
#     -f deploy/Dockerfile -t raftinel:local DIR
set -eu
dest=${1:?usage: stage-context.sh DIR}
top=$(cd "$(dirname "$0")/../.." && pwd)
[ -f "$top/dist/src/cli/main.js" ] || { echo "stage-context: build first (npm run build)" >&2; exit 1; }
rm -rf "$dest" && mkdir -p "$dest/dist" "$dest/node_modules"
cp "$top/package.json" "$top/package-lock.json" "$dest/"
cp -a "$top/dist/src" "$dest/dist/src"
# node_modules may be a symlink to a shared install: list from the checkout, copy what it resolves to.
(cd "$top" && npm ls --omit=dev --omit=optional --all --parseable) | while read -r pkg; do
  case "$pkg" in "$top"/node_modules/*) ;; *) continue ;; esac
  rel=${pkg#"$top"/node_modules/}
  mkdir -p "$dest/node_modules/$(dirname "$rel")"
  # A nested package sits under its parent's folder, which may have been copied already.
  [ -e "$dest/node_modules/$rel" ] || cp -a "$(readlink -f "$pkg")" "$dest/node_modules/$rel"
done
# Packages' own tests and benchmarks are not needed at run time (pino's test/ can hold hundreds
# of MB of build output); no production dependency loads a file from them.
find "$dest/node_modules" -mindepth 2 -maxdepth 4 -type d \( -name test -o -name tests -o -name benchmarks \) \
  -path '*/node_modules/*' -prune -exec rm -rf {} +
