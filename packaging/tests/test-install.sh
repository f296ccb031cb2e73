#!/bin/sh
# `cmake --install` puts every file in its standard place, and nothing else: installed with
# DESTDIR into a scratch directory, per component, then under another prefix. The installed
# layerbox finds its built-in profiles next to it.
#
# Usage: test-install.sh BUILD_DIR PROFILES_SOURCE_DIR WITH_GUI(0|1)
set -u
build=$1 profiles_src=$2 gui=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
status=0
fail() { echo "FAIL: $*"; status=1; }

# install COMPONENT PREFIX DEST: the files installed, one per line, relative to DEST
install_component() {
    rm -rf "$3"
    if ! DESTDIR=$3 cmake --install "$build" --prefix "$2" --component "$1" >"$tmp/install.log" 2>&1; then
        fail "cmake --install --component $1 --prefix $2:"; cat "$tmp/install.log"
    fi
    (cd "$3" && find . -type f -o -type l | sed 's|^\./|/|' | sort)
}

docs=$(cd "$profiles_src/../docs" && find . -name '*.md' -o -name '*.png' | sed 's|^\./|/usr/share/doc/layerbox/docs/|')
profiles=$(cd "$profiles_src" && ls ./*.json | sed 's|^\./||' | grep -vx schema.json | sed 's|^|/usr/share/layerbox/profiles/|')
expected=$(printf '%s\n' /usr/bin/layerbox $profiles /usr/share/layerbox/schema.json \
    /usr/share/man/man1/layerbox.1.gz /usr/share/man/man5/layerbox-profile.5.gz \
    /usr/share/bash-completion/completions/layerbox /etc/apparmor.d/usr.bin.layerbox \
    /usr/share/doc/layerbox/copyright /usr/share/doc/layerbox/changelog.gz \
    /usr/share/doc/layerbox/README.md $docs | sort)
got=$(install_component layerbox /usr "$tmp/root")
if [ "$got" = "$expected" ]; then
    echo "ok: component layerbox installs $(echo "$got" | wc -l) files, in their places"
else
    echo "$expected" >"$tmp/expected"
    fail "component layerbox:"; echo "$got" | diff -u "$tmp/expected" - || true
fi

root=$tmp/root
# the modes a package needs: executables 0755, data 0644
[ "$(stat -c %a "$root/usr/bin/layerbox")" = 755 ] || fail "/usr/bin/layerbox has mode $(stat -c %a "$root/usr/bin/layerbox")"
for f in /usr/share/layerbox/schema.json /usr/share/man/man1/layerbox.1.gz /etc/apparmor.d/usr.bin.layerbox \
    /usr/share/bash-completion/completions/layerbox; do
    [ "$(stat -c %a "$root$f")" = 644 ] || fail "$f has mode $(stat -c %a "$root$f")"
done
grep -q '^profile layerbox /usr/bin/layerbox flags=(unconfined)' "$root/etc/apparmor.d/usr.bin.layerbox" &&
    echo "ok: the AppArmor profile attaches to /usr/bin/layerbox" || fail "AppArmor profile attachment"
gzip -t "$root/usr/share/man/man1/layerbox.1.gz" "$root/usr/share/man/man5/layerbox-profile.5.gz" &&
    echo "ok: man pages are gzip files" || fail "man pages are not valid gzip"
if out=$(MANPAGER=cat MANWIDTH=80 man -l "$root/usr/share/man/man5/layerbox-profile.5.gz" 2>&1) &&
    echo "$out" | grep -q '/filesystem/binds/N/host'; then
    echo "ok: man -l reads the installed layerbox-profile(5)"
else
    fail "man -l on the installed page: $(echo "$out" | head -3)"
fi
# The installed binary finds the installed built-in profiles (bin/../share/layerbox/profiles).
p=$(env -u LAYERBOX_BUILTIN_DIR XDG_CONFIG_HOME="$tmp/cfg" "$root/usr/bin/layerbox" profile path default 2>&1)
[ "$p" = "$root/usr/share/layerbox/profiles/default.json" ] &&
    echo "ok: the installed layerbox finds its built-in profiles" || fail "profile path default: $p"

if [ "$gui" = 1 ]; then
    expected_gui=$(printf '%s\n' /usr/bin/layerbox-gui \
        /usr/share/applications/io.github.layerbox.Layerbox.desktop \
        /usr/share/metainfo/io.github.layerbox.Layerbox.metainfo.xml \
        /usr/share/icons/hicolor/scalable/apps/io.github.layerbox.Layerbox.svg \
        /usr/share/man/man1/layerbox-gui.1.gz \
        /usr/share/doc/layerbox-gui/copyright /usr/share/doc/layerbox-gui/changelog.gz | sort)
    got=$(install_component layerbox-gui /usr "$tmp/gui")
    if [ "$got" = "$expected_gui" ]; then
        echo "ok: component layerbox-gui installs $(echo "$got" | wc -l) files, in their places"
    else
        echo "$expected_gui" >"$tmp/expected"
        fail "component layerbox-gui:"; echo "$got" | diff -u "$tmp/expected" - || true
    fi
fi

# Another prefix: the AppArmor profile follows the binary, under the prefix.
got=$(install_component layerbox /opt/lb "$tmp/opt")
if echo "$got" | grep -qx /opt/lb/etc/apparmor.d/opt.lb.bin.layerbox &&
    grep -q '^profile layerbox /opt/lb/bin/layerbox flags' "$tmp/opt/opt/lb/etc/apparmor.d/opt.lb.bin.layerbox" &&
    echo "$got" | grep -qx /opt/lb/bin/layerbox; then
    echo "ok: under /opt/lb the AppArmor profile attaches to /opt/lb/bin/layerbox"
else
    fail "install under /opt/lb:"; echo "$got" | grep -v profiles/
fi
exit $status
