#!/bin/sh
# The desktop file and the AppStream metadata of layerbox-gui validate, agree with each other
# (id, icon, binary) and with the release (version, date from deb/changelog); the icon is a
# well-formed SVG. When layerbox has `desktop install`, the menu entries it writes validate too.
#
# Usage: check-desktop.sh PACKAGING_SOURCE_DIR METAINFO_XML PROJECT_VERSION RELEASE_DATE LAYERBOX
set -u
src=$1 metainfo=$2 version=$3 date=$4 layerbox=$5
desktop=$src/desktop/io.github.layerbox.Layerbox.desktop
icon=$src/icons/io.github.layerbox.Layerbox.svg
status=0
fail() { echo "FAIL: $*"; status=1; }

if out=$(desktop-file-validate "$desktop" 2>&1) && [ -z "$out" ]; then
    echo "ok: desktop-file-validate $(basename "$desktop")"
else
    fail "desktop-file-validate: $out"
fi
if out=$(appstreamcli validate --no-net --pedantic "$metainfo" 2>&1); then
    echo "ok: appstreamcli validate --no-net $(basename "$metainfo")"
    # pedantic remarks are shown, not failed on (the id's capitals are the reverse-DNS style
    # the specification recommends)
    echo "$out" | grep '^P:' | sed 's/^/  /'
else
    fail "appstreamcli validate: $out"
fi

python3 - "$desktop" "$metainfo" "$icon" "$version" "$date" <<'PY' || status=1
import configparser, sys, xml.etree.ElementTree as ET
desktop, metainfo, icon, version, date = sys.argv[1:]
ok = True
def check(cond, msg):
    global ok
    print(("ok: " if cond else "FAIL: ") + msg)
    ok = ok and cond
d = configparser.ConfigParser(interpolation=None)
d.optionxform = str
d.read(desktop)
e = d["Desktop Entry"]
m = ET.parse(metainfo).getroot()
cid = m.findtext("id")
check(desktop.rsplit("/", 1)[1] == cid + ".desktop", f"the desktop file is named after the component id {cid}")
check(m.findtext("launchable[@type='desktop-id']") == cid + ".desktop", "the metainfo launches that desktop file")
check(e.get("Icon") == cid and m.findtext("icon") == cid and icon.endswith("/" + cid + ".svg"),
      "desktop file, metainfo and icon file name the same icon")
check(e.get("Exec", "").split()[0] == "layerbox-gui" and e.get("TryExec") == "layerbox-gui",
      "the desktop file starts layerbox-gui")
check([b.text for b in m.findall("provides/binary")] == ["layerbox-gui"], "the metainfo provides layerbox-gui")
rel = m.find("releases/release")
check(rel is not None and rel.get("version") == version and rel.get("date") == date,
      f"the newest release in the metainfo is {version} of {date}")
svg = ET.parse(icon).getroot()
check(svg.tag == "{http://www.w3.org/2000/svg}svg" and svg.get("viewBox") == "0 0 128 128",
      "the icon is a square SVG")
sys.exit(0 if ok else 1)
PY

# What `layerbox desktop install` writes, for every built-in profile.
if "$layerbox" --help-all | grep -q '^layerbox desktop install'; then
    tmp=$(mktemp -d)
    n=0
    for p in $("$layerbox" profile list --json | grep -o '"name":"[^"]*"' | cut -d'"' -f4); do
        # a profile without a command has nothing to start: no menu entry
        "$layerbox" profile show "$p" --json | grep -q '"command": *\[\]' && continue
        file=$(env XDG_DATA_HOME="$tmp/data" XDG_CONFIG_HOME="$tmp/config" "$layerbox" desktop install "$p" 2>&1) ||
            { fail "layerbox desktop install $p: $file"; continue; }
        if out=$(desktop-file-validate "$file" 2>&1) && [ -z "$out" ]; then
            n=$((n + 1))
        else
            fail "desktop-file-validate on the entry of $p: $out"
        fi
    done
    rm -rf "$tmp"
    echo "ok: desktop-file-validate on the menu entries of $n profiles (layerbox desktop install)"
else
    echo "skip: this layerbox has no 'desktop install' yet"
fi
exit $status
