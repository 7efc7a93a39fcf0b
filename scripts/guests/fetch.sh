#!/usr/bin/env bash
# Fetches the real guests Trapdoor boots: Debian's i386 686 kernel (a bzImage) and a static
# i386 busybox, as packages from Debian's archive (downloaded, never installed).
#
#   scripts/guests/fetch.sh          -> build/guests/bzImage-686, build/guests/busybox
#   scripts/guests/fetch.sh amd64    -> build/guests/bzImage-amd64 as well (Debian's x86-64 kernel,
#                                       for the 64-bit entry on KVM; the i386 busybox runs on it)
#
# Idempotent: everything is cached under build/guests/ (git-ignored); a second run only checks
# the files are there. Runs without prompts (CI, no stdin). Needs root for the one-time
# `dpkg --add-architecture i386` and `apt-get update`.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
out="$root/build/guests"
kernel="$out/bzImage-686"
busybox="$out/busybox"
kernel64="$out/bzImage-amd64"
want64=0
case "${1:-}" in
    amd64) want64=1 ;;
    "") ;;
    *) printf 'usage: %s [amd64]\n' "$0" >&2; exit 2 ;;
esac

say() { printf 'fetch.sh: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

report() {
    printf '%s\n' "$kernel" "$busybox"
    [[ $want64 -eq 1 ]] && printf '%s\n' "$kernel64"
    [[ -f "$out/kernel-package" ]] && say "kernel package: $(cat "$out/kernel-package")"
    return 0
}

if [[ -s "$kernel" && -s "$busybox" && ( $want64 -eq 0 || -s "$kernel64" ) ]]; then
    report
    exit 0
fi

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null \
    || die "needs apt-get and dpkg-deb (a Debian or Ubuntu host)"

as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null; then sudo -n "$@" </dev/null
    else die "'$*' needs root (run as root or with password-less sudo)"
    fi
}

# The i386 architecture: packages of it become visible after the next index update.
if ! dpkg --print-foreign-architectures | grep -qx i386 && [[ $(dpkg --print-architecture) != i386 ]]; then
    say "adding the i386 architecture"
    as_root dpkg --add-architecture i386
fi

known() { apt-cache show "$1" >/dev/null 2>&1; }

if ! known 'busybox-static:i386' || ! known 'linux-image-686:i386'; then
    say "updating the package index"
    # The i386 security index may fail while its mirror syncs; bookworm main is enough.
    as_root apt-get update -q </dev/null || say "apt-get update reported errors (carrying on with the indexes that did update)"
    known 'linux-image-686:i386' || die "linux-image-686:i386 is not in the package index after apt-get update"
    known 'busybox-static:i386' || die "busybox-static:i386 is not in the package index after apt-get update"
fi

# linux-image-686 is a metapackage: its dependency names the versioned image (linux-image-6.1.0-N-686).
image=$(apt-cache depends 'linux-image-686:i386' 2>/dev/null \
    | sed -n 's/^ *Depends: \(linux-image-[0-9][0-9.]*-[0-9]*-686\)\(:i386\)\{0,1\}$/\1/p' | head -n1)
[[ -n "$image" ]] || die "could not resolve linux-image-686:i386 to a versioned linux-image-*-686 package"
[[ "$image" == linux-image-6.1.* ]] || say "warning: expected a 6.1 kernel, got $image"

debs="$out/debs"
mkdir -p "$debs"

download() { # package [arch] -> path of its .deb (cached)
    local pkg=$1 arch=${2:-i386} deb
    deb=$(ls "$debs"/"${pkg}"_*_"$arch".deb 2>/dev/null | head -n1 || true)
    if [[ -z "$deb" ]]; then
        say "downloading $pkg:$arch"
        # apt-get download writes to the current directory; as root it warns that the download is unsandboxed.
        (cd "$debs" && apt-get download -q "$pkg:$arch" </dev/null 2>&1 | grep -v 'unsandboxed' >&2 || true)
        deb=$(ls "$debs"/"${pkg}"_*_"$arch".deb 2>/dev/null | head -n1 || true)
        [[ -n "$deb" ]] || die "apt-get download $pkg:$arch produced no .deb"
    fi
    printf '%s\n' "$deb"
}

extract() { # deb dir
    local deb=$1 dir=$2
    if [[ ! -e "$dir/.extracted" ]]; then
        say "extracting $(basename "$deb")"
        rm -rf "$dir" && mkdir -p "$dir"
        dpkg-deb -x "$deb" "$dir"
        touch "$dir/.extracted"
    fi
}

if [[ $want64 -eq 1 && ! -s "$kernel64" ]]; then
    known 'linux-image-amd64:amd64' || die "linux-image-amd64 is not in the package index"
    image64=$(apt-cache depends 'linux-image-amd64:amd64' 2>/dev/null \
        | sed -n 's/^ *Depends: \(linux-image-[0-9][0-9.]*-[0-9]*-amd64\)\(:amd64\)\{0,1\}$/\1/p' | head -n1)
    [[ -n "$image64" ]] || die "could not resolve linux-image-amd64 to a versioned linux-image-*-amd64 package"
    extract "$(download "$image64" amd64)" "$out/$image64"
    vmlinuz64=$(ls "$out/$image64"/boot/vmlinuz-* 2>/dev/null | head -n1 || true)
    [[ -n "$vmlinuz64" ]] || die "no boot/vmlinuz-* in the $image64 package"
    cp "$vmlinuz64" "$kernel64.tmp" && mv "$kernel64.tmp" "$kernel64"
fi
[[ -s "$kernel" && -s "$busybox" ]] && { report; exit 0; }

kdeb=$(download "$image")
bdeb=$(download busybox-static)
extract "$kdeb" "$out/$image"
extract "$bdeb" "$out/busybox-static"

vmlinuz=$(ls "$out/$image"/boot/vmlinuz-* 2>/dev/null | head -n1 || true)
[[ -n "$vmlinuz" ]] || die "no boot/vmlinuz-* in $kdeb"
[[ -f "$out/busybox-static/bin/busybox" ]] || die "no bin/busybox in $bdeb"

cp "$vmlinuz" "$kernel.tmp" && mv "$kernel.tmp" "$kernel"
cp "$out/busybox-static/bin/busybox" "$busybox.tmp" && chmod 755 "$busybox.tmp" && mv "$busybox.tmp" "$busybox"
printf '%s\n' "$image" > "$out/kernel-package"
report
