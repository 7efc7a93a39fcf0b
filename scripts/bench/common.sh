# Sourced by scripts/bench/*.sh: packages, the Java classpath, the QEMU counting plugin, and
# bounded runs of emulators that are watched for a line on their serial console.
# shellcheck shell=bash

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="$root/build/bench"
mkdir -p "$out"
export DEBIAN_FRONTEND=noninteractive CI=true

say() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
die() { say "error: $*"; exit 1; }

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null; then sudo -n "$@" </dev/null
    else die "'$*' needs root (run as root or with password-less sudo)"
    fi
}

# need_packages PKG...: installs the Debian packages that are not installed yet.
need_packages() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    command -v apt-get >/dev/null || die "needs apt-get to install ${missing[*]}"
    say "installing ${missing[*]}"
    as_root apt-get install -y -q "${missing[@]}" </dev/null >"$out/apt.log" 2>&1 || {
        as_root apt-get update -q </dev/null >>"$out/apt.log" 2>&1 || true
        as_root apt-get install -y -q "${missing[@]}" </dev/null >>"$out/apt.log" 2>&1 || die "apt-get install ${missing[*]} failed (see $out/apt.log)"
    }
}

# Compiles the runtime with its test classes (the benchmark mains live there) and sets JAVA + CP.
java_setup() {
    # shellcheck source=scripts/lib/test-main.sh
    . "$root/scripts/lib/test-main.sh"
    trapdoor_test_main_setup "$root" "$out/mvn.log" || die "maven build failed (see $out/mvn.log)"
}

# Builds the QEMU instruction-counting plugin; sets QPLUGIN (empty if QEMU cannot load plugins).
plugin_setup() {
    QPLUGIN="$out/qemu-insn-count.so"
    if [[ ! -s "$QPLUGIN" || "$root/scripts/bench/qemu-insn-count.c" -nt "$QPLUGIN" ]]; then
        gcc -O2 -shared -fPIC -o "$QPLUGIN" "$root/scripts/bench/qemu-insn-count.c" 2>"$out/plugin.log" || { QPLUGIN=; return 0; }
    fi
    # Loaded and run: a machine with no CPU, stopped by SIGTERM after 2 s, must leave the count file.
    rm -f "$out/plugin-probe.txt"
    timeout 2 qemu-system-i386 -machine none -display none -monitor none -serial none \
        -plugin "$QPLUGIN,out=$out/plugin-probe.txt" </dev/null >"$out/plugin.log" 2>&1 || true
    grep -q '^insns ' "$out/plugin-probe.txt" 2>/dev/null || { say "QEMU does not load plugins here: no QEMU instruction counts"; QPLUGIN=; }
    return 0
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# Processes this script started and has not reaped yet (process-group leaders); killed on exit.
STARTED=()
cleanup() {
    local p
    for p in "${STARTED[@]}"; do kill -TERM -- "-$p" 2>/dev/null || true; done
    for p in "${STARTED[@]}"; do wait "$p" 2>/dev/null || true; done
    STARTED=()
}
trap cleanup EXIT INT TERM

# watch_run SECONDS SERIAL_FILE MARKER END_PATTERN CMD...
#   Starts CMD in its own process group, and records in MARK_S the wall seconds from the start to
#   the first line matching MARKER in SERIAL_FILE (empty if it never came). It then waits until
#   END_PATTERN shows up or CMD exits (up to SECONDS in all), and stops the group (SIGTERM, which
#   QEMU and Bochs take as a clean quit). START_EPOCH and END_S hold the start and the end.
#   CMD's output goes to SERIAL_FILE, or to $WATCH_OUT if set (when the console is a file of its own).
watch_run() {
    local limit=$1 serial=$2 marker=$3 endpat=$4
    shift 4
    : >"$serial"
    MARK_S= END_S=
    START_EPOCH=$(now)
    setsid "$@" >"${WATCH_OUT:-$serial}" 2>&1 </dev/null &
    local pid=$!
    STARTED+=("$pid")
    local deadline
    deadline=$(awk -v s="$START_EPOCH" -v l="$limit" 'BEGIN { printf "%d", s + l }')
    while kill -0 "$pid" 2>/dev/null; do
        if [[ -z "$MARK_S" ]] && grep -q -- "$marker" "$serial" 2>/dev/null; then MARK_S=$(elapsed "$START_EPOCH" "$(now)"); fi
        if [[ -n "$MARK_S" ]] && grep -q -- "$endpat" "$serial" 2>/dev/null; then sleep 0.2; break; fi
        (( $(date +%s) >= deadline )) && { say "time limit ($limit s) for: $1"; break; }
        sleep 0.05
    done
    [[ -z "$MARK_S" ]] && grep -q -- "$marker" "$serial" 2>/dev/null && MARK_S=$(elapsed "$START_EPOCH" "$(now)")
    kill -TERM -- "-$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    STARTED=("${STARTED[@]/$pid}")
    END_S=$(elapsed "$START_EPOCH" "$(now)")
}

# kv FILE KEY: the value of KEY=... in the last BENCH line of FILE, or of a "KEY VALUE" line.
kv() {
    local v
    v=$(grep '^BENCH ' "$1" 2>/dev/null | tail -n1 | tr ' ' '\n' | sed -n "s/^$2=//p")
    [[ -z "$v" ]] && v=$(sed -n "s/^$2 //p" "$1" 2>/dev/null | tail -n1)
    printf '%s' "$v"
}

# mips INSNS SECONDS
mips() {
    if [[ -z "$1" || -z "$2" || "$1" == -* ]]; then printf 'n/a'; return; fi
    awk -v n="$1" -v s="$2" 'BEGIN { if (s > 0) printf "%.1f", n / s / 1e6; else printf "n/a" }'
}
