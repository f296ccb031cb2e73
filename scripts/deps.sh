# Debian/Ubuntu packages Layerbox needs, in one place. Sourced by scripts/run and scripts/test.
# shellcheck shell=bash

LB_PKGS_BUILD="cmake ninja-build g++ pkg-config ccache qt6-base-dev libseccomp-dev
  libsystemd-dev nlohmann-json3-dev libnftables-dev libgl-dev libxcb1-dev libxcb-xfixes0-dev"
# What a sandbox uses at run time.
LB_PKGS_RUNTIME="fuse-overlayfs fuse3 slirp4netns xdg-dbus-proxy nftables dbus dbus-user-session
  systemd desktop-file-utils xserver-xephyr squashfuse squashfs-tools xdg-utils"
# What the test suite drives for real: displays, buses, sound, peers to compare with.
LB_PKGS_TEST="clang-format xvfb xauth x11-utils x11-apps xterm xdotool xinput xclip weston wayland-utils pulseaudio
  pulseaudio-utils imagemagick firefox-esr gimp bubblewrap firejail firejail-profiles procps psmisc iproute2 python3 strace
  xdg-desktop-portal xdg-desktop-portal-gtk libglib2.0-bin python3-gi gir1.2-gtk-3.0 vlc libreoffice-writer chromium
  appstream dpkg-dev file lintian clang-14 libclang-rt-14-dev debootstrap apparmor dnsmasq-base iperf3"
# The programs of the built-in profiles and a small window manager, for tests/apps (label apps).
LB_PKGS_APPS="chromium gimp libreoffice-writer vlc openbox"

# lb_install_missing PKG...: install what dpkg does not know as installed (via sudo when not root).
lb_install_missing() {
    local missing=() p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    echo "layerbox: installing ${missing[*]}" >&2
    local sudo=()
    [ "$(id -u)" = 0 ] || sudo=(sudo)
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# lb_build DIR [cmake args...]: configure (once) and build.
lb_build() {
    local dir=$1; shift
    local launcher=()
    command -v ccache >/dev/null && launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    if [ ! -f "$dir/build.ninja" ]; then
        cmake -S . -B "$dir" -G Ninja "${launcher[@]}" "$@" >/dev/null
    fi
    cmake --build "$dir"
}
