#!/bin/sh
# cpack -G DEB builds the Debian packages: their names and version, their dependencies (the
# helpers layerbox runs, libnftables1 and libsystemd0 which it dlopen()s, and the shared
# libraries computed by dpkg-shlibdeps), their contents, conffiles and maintainer scripts, stripped binaries; and
# lintian finds no error and no warning in them.
#
# Usage: test-deb.sh BUILD_DIR VERSION WITH_GUI(0|1)
set -u
build=$(realpath "$1") version=$2 gui=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }
arch=$(dpkg --print-architecture)

if ! (cd "$build" && cpack -G DEB -B "$tmp" >"$tmp/cpack.log" 2>&1); then
    cat "$tmp/cpack.log"
    fail "cpack -G DEB failed"
    exit 1
fi
deb=$tmp/layerbox_${version}_$arch.deb
debgui=$tmp/layerbox-gui_${version}_$arch.deb
ls "$tmp"/*.deb | sed 's|.*/|built: |'
[ -f "$deb" ] || { fail "no $(basename "$deb")"; exit 1; }
if [ "$gui" = 1 ]; then
    [ -f "$debgui" ] || fail "no $(basename "$debgui")"
else
    [ -f "$debgui" ] && fail "a GUI package without the GUI"
fi

field() { dpkg-deb -f "$1" "$2"; }
# has_dep DEB PACKAGE: Depends names PACKAGE (with or without a version)
has_dep() {
    field "$1" Depends | tr ',' '\n' | sed 's/^ *//; s/ .*//' | grep -qx "$2"
}

check_control() { # DEB PACKAGE DEPENDENCIES...
    d=$1 name=$2; shift 2
    [ "$(field "$d" Package)" = "$name" ] || fail "$name: Package is $(field "$d" Package)"
    [ "$(field "$d" Version)" = "$version" ] || fail "$name: Version is $(field "$d" Version), not $version"
    [ "$(field "$d" Architecture)" = "$arch" ] || fail "$name: Architecture $(field "$d" Architecture)"
    for p in "$@"; do
        has_dep "$d" "$p" || fail "$name does not depend on $p: $(field "$d" Depends)"
    done
    echo "ok: $name $version: Depends: $(field "$d" Depends)"
    echo "    Installed-Size: $(field "$d" Installed-Size) KiB, .deb: $(stat -c %s "$d") bytes"
    echo "    Description: $(field "$d" Description | head -1)"
}
check_control "$deb" layerbox fuse-overlayfs slirp4netns xdg-dbus-proxy libnftables1 libsystemd0 \
    libc6 libseccomp2 libxcb1 libxcb-xfixes0
if [ "$gui" = 1 ] && [ -f "$debgui" ]; then
    check_control "$debgui" layerbox-gui layerbox libqt6core6 libqt6gui6 libqt6widgets6
    field "$debgui" Depends | grep -q "layerbox (= $version)" ||
        fail "layerbox-gui does not depend on exactly layerbox $version"
fi

# Contents: what `cmake --install` puts, under /usr and /etc, owned by root.
dpkg-deb -c "$deb" >"$tmp/contents"
for f in ./usr/bin/layerbox ./usr/share/layerbox/schema.json ./usr/share/layerbox/profiles/default.json \
    ./usr/share/man/man1/layerbox.1.gz ./usr/share/man/man5/layerbox-profile.5.gz \
    ./usr/share/bash-completion/completions/layerbox ./etc/apparmor.d/usr.bin.layerbox \
    ./usr/share/doc/layerbox/copyright ./usr/share/doc/layerbox/changelog.gz; do
    grep -q " $f\$" "$tmp/contents" || fail "layerbox.deb lacks $f"
done
awk '{print $2}' "$tmp/contents" | grep -vx root/root && fail "files not owned by root/root"
grep -E ' \./usr/bin/layerbox-gui$| \./usr/share/applications/' "$tmp/contents" &&
    fail "layerbox.deb holds GUI files"
echo "ok: layerbox.deb holds $(grep -vc '/$' "$tmp/contents") files, owned by root"
if [ "$gui" = 1 ] && [ -f "$debgui" ]; then
    dpkg-deb -c "$debgui" >"$tmp/contents-gui"
    for f in ./usr/bin/layerbox-gui ./usr/share/applications/io.github.layerbox.Layerbox.desktop \
        ./usr/share/metainfo/io.github.layerbox.Layerbox.metainfo.xml \
        ./usr/share/icons/hicolor/scalable/apps/io.github.layerbox.Layerbox.svg \
        ./usr/share/man/man1/layerbox-gui.1.gz ./usr/share/doc/layerbox-gui/copyright; do
        grep -q " $f\$" "$tmp/contents-gui" || fail "layerbox-gui.deb lacks $f"
    done
    grep -q ' \./usr/bin/layerbox$' "$tmp/contents-gui" && fail "layerbox-gui.deb holds layerbox"
    echo "ok: layerbox-gui.deb holds $(grep -vc '/$' "$tmp/contents-gui") files"
fi

# Control area: the AppArmor profile is a conffile; maintainer scripts and trigger.
mkdir "$tmp/control"
dpkg-deb -e "$deb" "$tmp/control"
[ "$(cat "$tmp/control/conffiles")" = /etc/apparmor.d/usr.bin.layerbox ] || fail "conffiles: $(cat "$tmp/control/conffiles")"
[ -x "$tmp/control/postinst" ] && [ -x "$tmp/control/postrm" ] || fail "postinst/postrm missing or not executable"
grep -qx 'interest-noawait /etc/apparmor.d/abi' "$tmp/control/triggers" || fail "no trigger on /etc/apparmor.d/abi"
echo "ok: conffiles, postinst, postrm, triggers"

# Binaries are stripped.
mkdir "$tmp/x"
dpkg-deb -x "$deb" "$tmp/x"
file "$tmp/x/usr/bin/layerbox" | grep -q ', stripped' && echo "ok: layerbox is stripped" ||
    fail "layerbox is not stripped: $(file "$tmp/x/usr/bin/layerbox")"

# lintian: no error, no warning (information and pedantic tags are shown).
if command -v lintian >/dev/null; then
    if lintian --fail-on error,warning --display-info "$tmp"/*.deb >"$tmp/lintian.log" 2>&1; then
        echo "ok: lintian: no error, no warning"
    else
        fail "lintian:"
    fi
    sed 's/^/    lintian: /' "$tmp/lintian.log"
else
    fail "lintian is not installed"
fi
exit $status
