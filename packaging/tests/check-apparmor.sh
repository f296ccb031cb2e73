#!/bin/sh
# The AppArmor profile: what it must say (abi 4.0, userns, unconfined, attached to
# /usr/bin/layerbox, with the reason it is safe), and that apparmor_parser accepts it. With
# AppArmor 4 the file is parsed as it is. With older AppArmor (Debian 12 has 3.0), which cannot
# parse the 4.0 parts, the rest is parsed with those two lines taken out, and the file itself
# must be refused (the package's postinst disables the profile there).
#
# Usage: check-apparmor.sh PROFILE
set -u
profile=$1
status=0
fail() { echo "FAIL: $*"; status=1; }
has() { # DESCRIPTION REGEX
    if grep -Eq -- "$2" "$profile"; then echo "ok: $1"; else fail "$1: no line matching /$2/"; fi
}
has "abi 4.0" '^abi <abi/4\.0>,$'
has "tunables" '^include <tunables/global>$'
has "an unconfined profile attached to /usr/bin/layerbox" '^profile layerbox /usr/bin/layerbox flags=\(unconfined\) \{$'
has "the userns rule" '^  userns,$'
has "local additions" '^  include if exists <local/usr\.bin\.layerbox>$'
has "a comment on why this is safe" '^# Why it is safe'
rules=$(grep -Ev '^[[:space:]]*(#|$)' "$profile" | grep -Ev '^(abi|include|profile|  userns,|  include if exists|\})' || true)
[ -z "$rules" ] && echo "ok: no other rule" || fail "unexpected rules: $rules"

parser=$(command -v apparmor_parser || command -v /sbin/apparmor_parser || true)
if [ -z "$parser" ]; then
    echo "skip: apparmor_parser is not installed (package apparmor): syntax not checked"
    exit $status
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# -Q: do not load into the kernel, -K: no cache, -T: no cache read
if [ -e /etc/apparmor.d/abi/4.0 ]; then
    if out=$("$parser" -Q -K -T "$profile" 2>&1); then
        echo "ok: apparmor_parser (AppArmor 4) accepts it"
    else
        fail "apparmor_parser: $out"
    fi
else
    sed -e 's|^abi <abi/4\.0>,|abi <abi/3.0>,|' -e '/^  userns,$/d' "$profile" >"$tmp/usr.bin.layerbox"
    if out=$("$parser" -Q -K -T "$tmp/usr.bin.layerbox" 2>&1); then
        echo "ok: apparmor_parser (older than 4.0) accepts it without the abi 4.0 and userns lines"
    else
        fail "apparmor_parser, without the 4.0 lines: $out"
    fi
    if "$parser" -Q -K -T "$profile" >/dev/null 2>&1; then
        echo "note: this apparmor_parser accepts the 4.0 profile, but /etc/apparmor.d/abi/4.0 is missing"
    else
        echo "ok: apparmor_parser (older than 4.0) refuses the file itself, as the postinst expects"
    fi
fi
exit $status
