#!/bin/sh
# Builds a base image for deploy/Dockerfile from this machine's installed files, for hosts whose
# Docker engine cannot pull (no registry access). It copies the Node runtime, redis-server,
# redis-cli, a POSIX shell and the few tools the Dockerfile and the Kubernetes hooks run, each
# with the shared libraries `ldd` names, into a root filesystem, and `docker import`s it.
# Nothing is downloaded or compiled.
#
#   deploy/local-base/build-base.sh            # prints the image reference, e.g. raftinel-base:3f2a…
#
# The tag is a hash of the copied files' contents (and of this script), so a second call with
# nothing changed finds the image and returns at once. Debian 12 paths; needs root for chown.
set -eu

TOOLS="/bin/sh /usr/bin/node /usr/bin/redis-cli /bin/ln /bin/mkdir /bin/chown /bin/cat /bin/ls
/bin/rm /bin/sleep /usr/bin/head /usr/bin/env /bin/mv /bin/cp /usr/bin/id"
# redis-server is a link to redis-check-rdb: the binary picks its mode from argv[0].
REDIS_SERVER=$(readlink -f /usr/bin/redis-server)

for f in $TOOLS "$REDIS_SERVER"; do
  [ -x "$f" ] || { echo "build-base: $f is missing (install node, redis-server, redis-tools)" >&2; exit 1; }
done

# Every file that goes in, each followed by the libraries it loads.
files() {
  for f in $TOOLS "$REDIS_SERVER"; do
    echo "$f"
    ldd "$f" 2>/dev/null | awk '/=> \//{print $3} /^\t\/lib/{print $1}'
  done | sort -u
}

hash=$( { cat "$0"; files | while read -r f; do echo "$f"; sha256sum < "$(readlink -f "$f")"; done; } |
  sha256sum | cut -c1-16)
image="raftinel-base:$hash"
if docker image inspect "$image" >/dev/null 2>&1; then echo "$image"; exit 0; fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
files | while read -r f; do
  mkdir -p "$root$(dirname "$f")"
  cp -L "$f" "$root$f"
done
mkdir -p "$root/usr/bin"
cp -L "$REDIS_SERVER" "$root/usr/bin/redis-server"
# Debian 12 is usrmerged: /lib64 and /lib point into /usr; keep both spellings working.
for d in lib lib64 bin; do
  if [ -d "$root/$d" ] && [ ! -L "$root/$d" ]; then
    mkdir -p "$root/usr/$d"; cp -a "$root/$d/." "$root/usr/$d/"; rm -rf "${root:?}/$d"
  fi
  [ -e "$root/$d" ] || ln -s "usr/$d" "$root/$d"
done
mkdir -p "$root/etc" "$root/tmp" "$root/data" "$root/usr/local/bin"
chmod 1777 "$root/tmp"
printf 'root:x:0:0:root:/root:/bin/sh\nredis:x:999:999:redis:/data:/bin/sh\nnode:x:1000:1000:node:/home/node:/bin/sh\n' > "$root/etc/passwd"
printf 'root:x:0:\nredis:x:999:\nnode:x:1000:\n' > "$root/etc/group"
printf 'hosts: files dns\n' > "$root/etc/nsswitch.conf"
mkdir -p "$root/home/node" "$root/root" && chown 1000:1000 "$root/home/node" && chown 999:999 "$root/data"
[ -f /etc/ssl/certs/ca-certificates.crt ] && mkdir -p "$root/etc/ssl/certs" && cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/"

tar -C "$root" -c . | docker import \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin' \
  --change 'WORKDIR /' \
  --message "raftinel local base from $(hostname) installed files" - "$image" >/dev/null
echo "$image"
