#!/usr/bin/env bash
# Bash completion for layerbox, driven the way bash drives it (COMP_WORDS, COMP_CWORD), against
# the real layerbox: commands, subcommands, options, option values, profile names (built-in and
# the user's), a running sandbox's id, layers, changed paths, and the command after "--".
#
# Usage: test-completion.sh LAYERBOX COMPLETION_FILE
# Runs a real (ephemeral) sandbox: needs what the integration tests need (user namespaces).
set -uo pipefail
layerbox=$(realpath "$1")
completion=$2

tmp=$(mktemp -d)
cleanup() {
    [ -n "${sandbox_pid:-}" ] && kill "$sandbox_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
# A private world: the user's profiles, data and runtime dirs are the test's own.
export XDG_CONFIG_HOME=$tmp/config XDG_DATA_HOME=$tmp/data XDG_CACHE_HOME=$tmp/cache
export XDG_STATE_HOME=$tmp/state HOME=$tmp/home
mkdir -p "$XDG_CONFIG_HOME/layerbox/profiles" "$HOME"
printf '{"version": 1, "extends": "default"}\n' >"$XDG_CONFIG_HOME/layerbox/profiles/pkgtest-mine.json"
printf '{"version": 1, "filesystem": {"home": "tmpfs"}}\n' >"$XDG_CONFIG_HOME/layerbox/profiles/pkgtest-changes.json"
mkdir -p "$tmp/bin"
ln -s "$layerbox" "$tmp/bin/layerbox"
export PATH=$tmp/bin:$PATH

# shellcheck source=/dev/null
. "$completion"
complete -p layerbox >/dev/null || { echo "FAIL: the file does not register a completion for layerbox"; exit 1; }

passed=0 failed=0
# comp WORD... : COMPREPLY for the command line made of the words, the last one being completed
# (pass "" to complete an empty word).
comp() {
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _layerbox 2>"$tmp/stderr"
    if [ -s "$tmp/stderr" ]; then
        echo "  stderr of completing '$*': $(cat "$tmp/stderr")"
    fi
}
# expect "DESCRIPTION" WORDS... :: EXPECTED...: every expected word is offered
expect() {
    local what=$1; shift
    local words=() w
    while [ "$1" != "::" ]; do words+=("$1"); shift; done
    shift
    comp "${words[@]}"
    local missing=()
    for w in "$@"; do
        printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$w" || missing+=("$w")
    done
    if [ ${#missing[@]} -eq 0 ]; then
        passed=$((passed + 1)); echo "ok: $what"
    else
        failed=$((failed + 1))
        echo "FAIL: $what: '${words[*]}' does not offer: ${missing[*]}"
        echo "      offered: ${COMPREPLY[*]:-(nothing)}"
    fi
}
# expect_not "DESCRIPTION" WORDS... :: UNWANTED...: none of these is offered
expect_not() {
    local what=$1; shift
    local words=() w bad=()
    while [ "$1" != "::" ]; do words+=("$1"); shift; done
    shift
    comp "${words[@]}"
    for w in "$@"; do
        printf '%s\n' "${COMPREPLY[@]}" | grep -qxF -- "$w" && bad+=("$w")
    done
    if [ ${#bad[@]} -eq 0 ]; then
        passed=$((passed + 1)); echo "ok: $what"
    else
        failed=$((failed + 1)); echo "FAIL: $what: '${words[*]}' offers ${bad[*]}"
    fi
}

# Commands and options come from the binary: every command of --help-all is offered.
mapfile -t top < <("$layerbox" --help-all | awk '/^layerbox [a-z]/ {print $2}' | sort -u)
expect "every command" layerbox "" :: "${top[@]}"
expect "a prefix" layerbox pr :: profile
expect_not "only matching words" layerbox pr :: run ps
expect "global options" layerbox --h :: --help --help-all
expect "profile subcommands" layerbox profile "" :: list show validate new duplicate rename rm export import path schema fields
expect "layer subcommands" layerbox layer "" :: list rm du
expect "run options" layerbox run -- :: --profile --ephemeral --driver --net --bind --ro-bind --cwd --no-pty --no-scope --status-fd --verbose --help
expect "ps options" layerbox ps - :: --json
expect "profile new options" layerbox profile new x --f :: --from

# Option values.
expect "--profile: built-in and user profiles" layerbox run --profile "" :: default firefox browser pkgtest-mine
expect "-p is --profile" layerbox run -p "" :: default pkgtest-mine
expect "--profile=VALUE" layerbox run --profile = "fi" :: firefox
expect "--driver values" layerbox run --driver "" :: auto native fuse
expect "--net values" layerbox run --net "" :: none nat
expect_not "a flag takes no value" layerbox run --ephemeral "" :: auto none
expect "--from: profiles" layerbox profile new x --from "" :: browser untrusted-gui
cd "$tmp" || exit 1
expect "--cwd: directories" layerbox run --cwd h :: home
expect "--bind: paths" layerbox run --bind con :: config
expect_not "--cwd: no files" layerbox run --cwd st :: stderr

# Positional arguments.
expect "profile show: profiles" layerbox profile show "" :: default vlc pkgtest-mine
expect "diff: profiles" layerbox diff "" :: default pkgtest-changes
expect "profile validate: profiles and files" layerbox profile validate "" :: default config
if "$layerbox" --help-all | grep -q '^layerbox desktop install'; then
    expect "desktop install: profiles" layerbox desktop install "" :: default firefox pkgtest-mine
fi
expect "the command after --: commands" layerbox run --ephemeral -- "bas" :: bash
expect "an argument of that command: files" layerbox run -- ls con :: config

# Profile names also come from the directories when layerbox cannot list them.
(
    # a layerbox that fails: the names come from $XDG_CONFIG_HOME and /usr/share
    printf '#!/bin/sh\nexit 1\n' >"$tmp/bin/broken"
    chmod +x "$tmp/bin/broken"
    names=$(_layerbox_profiles "$tmp/bin/broken")
    if grep -qx pkgtest-mine <<<"$names"; then echo "ok: profiles from the directories"; exit 0; fi
    echo "FAIL: profiles from the directories: got: $names"; exit 1
) && passed=$((passed + 1)) || failed=$((failed + 1))

# Changed paths of a sandbox, for recover and discard.
"$layerbox" run --profile pkgtest-changes --no-pty --no-scope -- sh -c 'echo y > /etc/pkgtest-changed' >/dev/null 2>"$tmp/run.err" ||
    echo "  (run failed: $(cat "$tmp/run.err"))"
expect "recover: changed paths" layerbox recover pkgtest-changes "" :: /etc/pkgtest-changed
expect "discard: changed paths" layerbox discard pkgtest-changes /etc/pkg :: /etc/pkgtest-changed
"$layerbox" commit pkgtest-changes --as pkgtest-layer --no-attach >/dev/null 2>"$tmp/commit.err" ||
    echo "  (commit failed: $(cat "$tmp/commit.err"))"
expect "layer rm: layers" layerbox layer rm "" :: pkgtest-layer

# A running sandbox: its id and its profile, for stop, kill, pause, resume, exec and stats.
"$layerbox" run --ephemeral --no-pty -- sleep 60 >/dev/null 2>"$tmp/sleep.err" &
sandbox_pid=$!
disown "$sandbox_pid" # no "Killed" notice from bash when `layerbox kill` ends it
id=
for _ in $(seq 1 100); do
    id=$("$layerbox" ps --json 2>/dev/null | grep -o '"id":"[0-9a-f]*"' | head -1 | cut -d'"' -f4)
    [ -n "$id" ] && break
    kill -0 "$sandbox_pid" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$id" ]; then
    failed=$((failed + 1))
    echo "FAIL: no sandbox could be started to complete its id: $(cat "$tmp/sleep.err")"
else
    for c in stop kill pause resume exec stats; do
        expect "$c: the running sandbox's id and profile" layerbox "$c" "" :: "$id" default
    done
    expect "an id prefix" layerbox stop "${id:0:3}" :: "$id"
    expect_not "a second argument is not an id" layerbox stats "$id" "" :: "$id"
    "$layerbox" kill "$id" >/dev/null 2>&1
    for _ in $(seq 1 50); do
        kill -0 "$sandbox_pid" 2>/dev/null || break
        sleep 0.1
    done
    sandbox_pid=
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
