# bench/lib.sh: shared by the bench/* scripts (sourced, not run).
#
# Every benchmark runs as an unprivileged user in a throw-away environment: a fresh HOME (so
# the user's own profiles and sandboxes are untouched) and a private XDG_RUNTIME_DIR (so the
# sandboxes of other people's test runs never show up in `layerbox ps` or in the GUI); the
# session bus stays the user's own, so systemd scopes work as on a desktop.
#
# Environment (all optional):
#   LB_BIN        layerbox to measure            (default: build/bin/layerbox)
#   LB_PROBE      lbprobe, for bench/escape       (default: build/tests/lbprobe)
#   LB_GUI        layerbox-gui, for bench/scale   (default: beside LB_BIN, else build-*/bin)
#   LB_BENCH_OUT  where raw results go            (default: bench/results/raw)
#   LB_BENCH_QUICK=1           fewer runs, to try the scripts out (numbers are not kept)
#   LB_BENCH_MAX_LOAD=0.7      wait until the 1-minute load average is below this ...
#   LB_BENCH_LOAD_WAIT=1800    ... for at most this many seconds (then go on, and say so)
#   LB_BENCH_PSS_DIR           a directory served by bench/pss-helper (root), which reads the
#                              smaps_rollup files the user may not read (PID 1 is not dumpable)

set -euo pipefail
LB_BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LB_ROOT=$(cd "$LB_BENCH_DIR/.." && pwd)

# Debian's python3 (standard library only), for reading JSON and writing the report
LB_PY=/usr/bin/python3
[ -x "$LB_PY" ] || LB_PY=python3

lb_die() { echo "$(basename "$0"): $*" >&2; exit 1; }
lb_say() { echo "== $(basename "$0"): $*" >&2; }

lb_find_bins() {
    LB_BIN=$(realpath -m "${LB_BIN:-$LB_ROOT/build/bin/layerbox}")
    [ -x "$LB_BIN" ] || lb_die "$LB_BIN is not built"
    local d
    if [ -z "${LB_PROBE:-}" ]; then
        for d in "$(dirname "$LB_BIN")/../tests" "$LB_ROOT/build/tests" "$LB_ROOT"/build-*/tests; do
            [ -x "$d/lbprobe" ] && { LB_PROBE=$(realpath "$d/lbprobe"); break; }
        done
    fi
    if [ -z "${LB_GUI:-}" ]; then
        for d in "$(dirname "$LB_BIN")" "$LB_ROOT/build/bin" "$LB_ROOT/build-bench/bin" "$LB_ROOT"/build-*/bin; do
            [ -x "$d/layerbox-gui" ] && { LB_GUI=$(realpath "$d/layerbox-gui"); break; }
        done
    fi
    export LB_BIN LB_PROBE="${LB_PROBE:-}" LB_GUI="${LB_GUI:-}"
}

lb_out() {
    LB_BENCH_OUT=${LB_BENCH_OUT:-$LB_BENCH_DIR/results/raw}
    mkdir -p "$LB_BENCH_OUT"
    LB_BENCH_OUT=$(realpath "$LB_BENCH_OUT")
    export LB_BENCH_OUT
}

lb_quick() { [ "${LB_BENCH_QUICK:-0}" = 1 ]; }
# lb_runs NORMAL QUICK
lb_runs() { if lb_quick; then echo "$2"; else echo "$1"; fi; }

# A throw-away HOME and runtime dir; removed at exit (with whatever the sandboxes left there:
# kernel overlayfs leaves work/work with mode 000, hence the chmod).
lb_sandbox_env() {
    LB_WORK=$(mktemp -d "${TMPDIR:-/tmp}/lbbench-$1-XXXXXX")
    export HOME="$LB_WORK/home" XDG_CONFIG_HOME="$LB_WORK/home/.config"
    export XDG_DATA_HOME="$LB_WORK/home/.local/share" XDG_CACHE_HOME="$LB_WORK/home/.cache"
    export XDG_STATE_HOME="$LB_WORK/home/.local/state"
    local uid; uid=$(id -u)
    # sd-bus finds the user manager through this address once XDG_RUNTIME_DIR is private
    if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ] && [ -S "${XDG_RUNTIME_DIR:-/run/user/$uid}/bus" ]; then
        export DBUS_SESSION_BUS_ADDRESS="unix:path=${XDG_RUNTIME_DIR:-/run/user/$uid}/bus"
    fi
    export XDG_RUNTIME_DIR="$LB_WORK/run"
    mkdir -p "$HOME" "$XDG_CONFIG_HOME/layerbox/profiles"
    install -d -m 0700 "$XDG_RUNTIME_DIR"
    cd "$HOME"
    trap lb_cleanup EXIT
}

lb_cleanup_hooks=()
lb_cleanup() {
    local h
    for h in "${lb_cleanup_hooks[@]}"; do eval "$h" || true; done
    cd /
    if [ -n "${LB_WORK:-}" ] && [ -d "$LB_WORK" ]; then
        chmod -R u+rwX "$LB_WORK" 2>/dev/null || true
        rm -rf "$LB_WORK" 2>/dev/null || true
    fi
}

lb_profile() {  # lb_profile NAME JSON
    printf '%s\n' "$2" > "$XDG_CONFIG_HOME/layerbox/profiles/$1.json"
    "$LB_BIN" profile validate "$1" >/dev/null || lb_die "profile $1 does not validate"
}

lb_load1() { cut -d' ' -f1 /proc/loadavg; }

# Wait for a quiet machine, then record the load this benchmark started with (load.tsv).
lb_wait_quiet() {
    local name=$1 max=${LB_BENCH_MAX_LOAD:-0.7} limit=${LB_BENCH_LOAD_WAIT:-1800} waited=0 l
    lb_quick && limit=0
    while :; do
        l=$(lb_load1)
        awk -v l="$l" -v m="$max" 'BEGIN { exit !(l < m) }' && break
        if [ "$waited" -ge "$limit" ]; then
            [ "$limit" -gt 0 ] && lb_say "load still $l after ${waited}s; measuring anyway"
            break
        fi
        [ $((waited % 60)) = 0 ] && lb_say "waiting for the load ($l) to drop below $max"
        sleep 5
        waited=$((waited + 5))
    done
    printf '%s\t%s\t%s\t%s\n' "$name" start "$(date -u +%FT%TZ)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
        >> "$LB_BENCH_OUT/load.tsv"
}
lb_record_load_end() {
    printf '%s\t%s\t%s\t%s\n' "$1" end "$(date -u +%FT%TZ)" "$(cut -d' ' -f1-3 /proc/loadavg)" \
        >> "$LB_BENCH_OUT/load.tsv"
}

# The median of a hyperfine export, in seconds: lb_median FILE INDEX
lb_median() {
    "$LB_PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][int(sys.argv[2])]["median"])' "$1" "$2"
}

# --- memory: what a running sandbox costs ------------------------------------------------------

# All descendants of the given pids (not the pids themselves), one per line. From the parent
# pids `ps` reports: /proc/PID/task/*/children needs CONFIG_PROC_CHILDREN, which many kernels
# (Firecracker's, some distributions') do not have.
lb_descendants() {
    ps -e -o pid=,ppid= | awk -v roots="$*" '
        { kids[$2] = kids[$2] " " $1 }
        END {
            n = split(roots, q, " ")
            for (i = 1; i <= n; i++) {
                m = split(kids[q[i]], c, " ")
                for (j = 1; j <= m; j++) { print c[j]; q[++n] = c[j] }
            }
        }'
}

# The sandbox's own processes below a runner: the runner itself and its descendants, less the
# program (pid from the "started" event) and whatever the program started.
lb_sandbox_pids() {  # lb_sandbox_pids RUNNER PROGRAM
    local skip p
    skip=" $2 $(lb_descendants "$2" | tr '\n' ' ') "
    for p in "$1" $(lb_descendants "$1"); do
        case "$skip" in *" $p "*) continue ;; esac
        echo "$p"
    done
}

# "pid comm pss_kB source" for each pid: source is smaps_rollup, or "rss" when the file cannot
# be read (PID 1 of a sandbox is not dumpable, so only root may read its smaps): then the RSS
# from /proc/PID/status is given, an upper bound of the PSS.
lb_pss() {
    local req ans p comm v n
    declare -A fromHelper=()
    if [ -n "${LB_BENCH_PSS_DIR:-}" ] && [ -d "$LB_BENCH_PSS_DIR" ]; then
        n=$(date +%s%N)
        req="$LB_BENCH_PSS_DIR/req/req-$n"
        ans="$LB_BENCH_PSS_DIR/ans/ans-$n"
        printf '%s\n' "$@" > "$req.tmp" && mv "$req.tmp" "$req"
        for _ in $(seq 1 100); do [ -e "$ans" ] && break; sleep 0.05; done
        if [ -e "$ans" ]; then
            while read -r p v; do fromHelper[$p]=$v; done < "$ans"
        fi
        rm -f "$req"
    fi
    for p in "$@"; do
        comm=$(cat /proc/"$p"/comm 2>/dev/null) || continue
        if v=$(awk '/^Pss:/ { print $2 }' /proc/"$p"/smaps_rollup 2>/dev/null) && [ -n "$v" ]; then
            echo "$p $comm $v smaps"
        elif [ -n "${fromHelper[$p]:-}" ]; then
            echo "$p $comm ${fromHelper[$p]} smaps-root"
        else
            v=$(awk '/^VmRSS:/ { print $2 }' /proc/"$p"/status 2>/dev/null)
            echo "$p $comm ${v:-0} rss"
        fi
    done
}

# Start a sandbox in the background that runs until killed; sets LB_RUNNER and LB_PROGRAM.
# lb_start_sleeper STATUSFILE ARGS...   (ARGS: layerbox run options)
lb_start_sleeper() {
    local status=$1; shift
    : > "$status"
    "$LB_BIN" run --no-pty --status-fd 3 "$@" -- sleep 3600 3>"$status" </dev/null >/dev/null 2>>"$status.err" &
    LB_RUNNER=$!
    LB_PROGRAM=
    for _ in $(seq 1 200); do
        if grep -q '"event":"started"' "$status"; then
            LB_PROGRAM=$(grep -o '"event":"started"[^}]*"pid":[0-9]*' "$status" | grep -o '[0-9]*$')
            return 0
        fi
        grep -q '"event":"exited"' "$status" && break
        sleep 0.05
    done
    echo "sandbox did not start: $(cat "$status" "$status.err")" >&2
    return 1
}

lb_stop_runner() {  # lb_stop_runner PID...
    local p
    for p in "$@"; do kill -TERM "$p" 2>/dev/null || true; done
    for p in "$@"; do wait "$p" 2>/dev/null || true; done
}
