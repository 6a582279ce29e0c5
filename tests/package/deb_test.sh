#!/usr/bin/env bash
# tests/package/deb_test.sh SOURCE_DIR BUILD_DIR: the Debian package end to
# end, as an operator meets it. Builds kryptod_<version>_<arch>.deb from the
# Release tree BUILD_DIR (debian/make-deb), checks its contents, metadata and
# conffiles and lints it, installs it with dpkg, creates a user as the
# kryptod system user, upgrades over itself with an edited conffile, removes
# and purges it.
#
# It changes the machine, so it runs as root only and never touches a kryptod
# it did not install: a package installed by anyone else, or state in
# /var/lib/kryptod, makes it skip (exit 77). A marker file says the installed
# package is this test's, so a run cut short is purged by the next one.
set -euo pipefail

src=$1
build=$2
marker=/var/tmp/kryptod-package-test.installed
tmp=""

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
skip() {
  echo "SKIP: $*" >&2
  exit 77
}
step() { echo "== $*"; }

# dpkg refuses to run while another dpkg or apt holds its lock; wait for it.
dpkg_wait() {
  local out
  for _ in $(seq 1 120); do
    if out=$(dpkg "$@" 2>&1); then
      printf '%s\n' "$out"
      return 0
    fi
    if ! grep -q 'lock' <<<"$out"; then
      printf '%s\n' "$out" >&2
      return 1
    fi
    sleep 1
  done
  printf '%s\n' "$out" >&2
  return 1
}

installed() { dpkg-query -W -f='${Status}' kryptod 2>/dev/null | grep -q 'install ok installed'; }
known_to_dpkg() { dpkg-query -W -f='${Status}' kryptod 2>/dev/null | grep -qv 'not-installed'; }

# Neither directory existed before this test installed the package, so
# whatever a failed run leaves there is its own.
cleanup() {
  if [ -n "$tmp" ]; then rm -rf "$tmp"; fi
  if [ -f "$marker" ]; then
    dpkg_wait --purge kryptod >/dev/null || true
    rm -rf /var/lib/kryptod /etc/kryptod
    rm -f "$marker"
  fi
}

[ "$(id -u)" -eq 0 ] || skip "installs a package: run as root (as CI does)"
if [ -f "$marker" ]; then
  step "purging the package a cut-short run left installed"
  dpkg_wait --purge kryptod >/dev/null
  rm -rf /var/lib/kryptod /etc/kryptod
  rm -f "$marker"
fi
if known_to_dpkg; then skip "a kryptod package this test did not install is on this machine"; fi
if [ -e /var/lib/kryptod ] || [ -e /etc/kryptod ]; then
  skip "/var/lib/kryptod or /etc/kryptod exists here: not this test's to remove"
fi
trap cleanup EXIT
tmp=$(mktemp -d)

version=$(sed -n 's/^CMAKE_PROJECT_VERSION:[A-Z]*=//p' "$build/CMakeCache.txt")
arch=$(dpkg-architecture -qDEB_HOST_ARCH)

step "make-deb"
deb=$("$src/debian/make-deb" "$build")
[ "$deb" = "$build/kryptod_${version}_${arch}.deb" ] || fail "make-deb wrote $deb"
[ -f "$deb" ] || fail "$deb is missing"

step "metadata (dpkg-deb -I)"
dpkg-deb -I "$deb"
field() { dpkg-deb -f "$deb" "$1"; }
[ "$(field Package)" = kryptod ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), CMake says $version"
[ "$(field Architecture)" = "$arch" ] || fail "Architecture: $(field Architecture)"
depends=$(field Depends)
depended=$(tr ',|' '\n\n' <<<"$depends" | sed 's/^ *//; s/ .*//')
# From dpkg-shlibdeps: the shared libraries the binary links.
for lib in libc6 libstdc++6 libssl3 libsqlite3-0 libsystemd0 libsodium23 libcurl4 \
  libsimdjson14 libboost-json1.81.0 libboost-program-options1.81.0 libboost-url1.81.0; do
  grep -Fxq "$lib" <<<"$depended" || fail "Depends lacks $lib: $depends"
done
# From dh_installsysusers: something that provides systemd-sysusers.
grep -q 'systemd | systemd-standalone-sysusers' <<<"$depends" || fail "Depends lacks systemd-sysusers: $depends"
dpkg-deb -e "$deb" "$tmp/control"
[ "$(cat "$tmp/control/conffiles")" = /etc/kryptod/kryptod.conf ] ||
  fail "conffiles: $(cat "$tmp/control/conffiles")"
grep -q 'systemd-sysusers' "$tmp/control/postinst" || fail "postinst does not create the user"
grep -q 'deb-systemd-invoke' "$tmp/control/postinst" || fail "postinst does not start the unit"
grep -q 'rm -rf /var/lib/kryptod' "$tmp/control/postrm" || fail "postrm does not remove the state on purge"

step "contents (dpkg-deb -c)"
dpkg-deb -c "$deb" | tee "$tmp/contents"
has() { grep -q " \./$1\$" "$tmp/contents" || fail "the package lacks /$1"; }
has usr/sbin/kryptod
has lib/systemd/system/kryptod.service
has usr/lib/sysusers.d/kryptod.conf
has etc/kryptod/kryptod.conf
has usr/share/doc/kryptod/copyright
has usr/share/doc/kryptod/changelog.gz
has usr/share/man/man8/kryptod.8.gz
if [ -d "$src/web" ]; then has usr/share/kryptod/web/; fi
cmp <(dpkg-deb --fsys-tarfile "$deb" | tar -xO ./etc/kryptod/kryptod.conf) "$src/conf/kryptod.conf" ||
  fail "the packaged kryptod.conf is not conf/kryptod.conf"

step "lintian"
lintian --fail-on error,warning --allow-root --tag-display-limit 0 "$deb" || fail "lintian reports errors or warnings"

step "install (dpkg -i)"
touch "$marker"
dpkg_wait -i "$deb"
installed || fail "dpkg does not list kryptod as installed"
id kryptod >/dev/null || fail "no kryptod user"
[ "$(stat -c '%U %G %a' /var/lib/kryptod)" = "kryptod kryptod 700" ] ||
  fail "/var/lib/kryptod: $(stat -c '%U %G %a' /var/lib/kryptod)"
[ "$(/usr/sbin/kryptod --version)" = "kryptod $version" ] ||
  fail "kryptod --version says $(/usr/sbin/kryptod --version)"
if [ -d /run/systemd/system ]; then
  systemctl is-enabled kryptod || fail "the unit is not enabled"
  for _ in $(seq 1 100); do systemctl is-active --quiet kryptod && break; sleep 0.2; done
  systemctl is-active kryptod || fail "the unit is not running"
else
  # No systemd here: the enablement is recorded for when it runs, and
  # nothing was started.
  [ -L /etc/systemd/system/multi-user.target.wants/kryptod.service ] ||
    fail "the unit's enablement is not recorded"
  if pgrep -u kryptod >/dev/null; then fail "something runs as kryptod without systemd"; fi
fi

step "kryptod user add, as the kryptod user"
chmod 0755 "$tmp" # the kryptod user must reach data/ inside it
install -d -o kryptod -g kryptod -m 0700 "$tmp/data"
printf 'correct horse battery staple\n' |
  runuser -u kryptod -- /usr/sbin/kryptod user add admin@example.com --admin \
    --config /etc/kryptod/kryptod.conf --storage.path="$tmp/data/kryptod.db" ||
  fail "kryptod user add failed"
[ "$(stat -c %U "$tmp/data/kryptod.db")" = kryptod ] || fail "the database is not the kryptod user's"
[ "$(sqlite3 "$tmp/data/kryptod.db" "SELECT email || ' ' || role FROM users")" = "admin@example.com admin" ] ||
  fail "the admin is not in the database"

step "upgrade over itself with an edited conffile"
echo "# kept across upgrades" >>/etc/kryptod/kryptod.conf
echo state >/var/lib/kryptod/upgrade-marker
dpkg_wait -i "$deb"
installed || fail "not installed after the upgrade"
tail -n1 /etc/kryptod/kryptod.conf | grep -qx '# kept across upgrades' || fail "the edited conffile was replaced"
ls /etc/kryptod
[ -z "$(find /etc/kryptod -name '*.dpkg-*')" ] || fail "the upgrade left $(find /etc/kryptod -name '*.dpkg-*')"
[ -f /var/lib/kryptod/upgrade-marker ] || fail "the upgrade lost /var/lib/kryptod"

step "remove keeps the configuration and the state"
dpkg_wait --remove kryptod
[ ! -e /usr/sbin/kryptod ] || fail "/usr/sbin/kryptod is still there after remove"
[ -f /etc/kryptod/kryptod.conf ] || fail "remove took the configuration"
[ -f /var/lib/kryptod/upgrade-marker ] || fail "remove took /var/lib/kryptod"

step "purge removes them"
dpkg_wait --purge kryptod
[ ! -e /etc/kryptod ] || fail "/etc/kryptod is still there after purge"
[ ! -e /var/lib/kryptod ] || fail "/var/lib/kryptod is still there after purge"
[ ! -e /etc/systemd/system/multi-user.target.wants/kryptod.service ] ||
  fail "the unit's enablement is still there after purge"
known_to_dpkg && fail "dpkg still knows kryptod after purge"
rm -f "$marker"
echo "OK"
