#!/usr/bin/python3
# A GTK program for tst_portals: asks for one file through Gtk.FileChooserNative (with
# GTK_USE_PORTAL=1 the desktop portal draws the dialog outside the sandbox), then reports what it
# can reach, one line each:
#   open: PICKED <path>, CONTENT <its first line>, LISTING <names beside it>
#   save: PICKED <path>, WROTE <path> (it writes "saved by the sandbox")
#   then for each further argument (a host path it must not reach): OTHER <path> read <first
#   line> | OTHER <path> <error name>
#   bench N: N picks in a row; after each, READ <path> <time.time() when its first line was read>
#   (bench/files)
import os
import sys

import gi

gi.require_version("Gtk", "3.0")
from gi.repository import Gtk  # noqa: E402

mode = sys.argv[1]
save = mode == "save"
print("START", flush=True)
if mode == "bench":
    import time

    for _ in range(int(sys.argv[2])):
        d = Gtk.FileChooserNative.new("LayerboxPick", None, Gtk.FileChooserAction.OPEN, "_Open", "_Cancel")
        if d.run() != Gtk.ResponseType.ACCEPT:
            sys.exit(3)
        path = d.get_filename()
        with open(path) as f:
            f.readline()
        print("READ", path, "%.6f" % time.time(), flush=True)
        d.destroy()
    sys.exit(0)
dialog = Gtk.FileChooserNative.new(
    "LayerboxPick",
    None,
    Gtk.FileChooserAction.SAVE if save else Gtk.FileChooserAction.OPEN,
    "_Save" if save else "_Open",
    "_Cancel",
)
if save:
    dialog.set_current_name("unnamed.txt")
if dialog.run() != Gtk.ResponseType.ACCEPT:
    print("CANCELLED", flush=True)
    sys.exit(3)
path = dialog.get_filename()
print("PICKED", path, flush=True)
if save:
    with open(path, "w") as f:
        f.write("saved by the sandbox\n")
    print("WROTE", path, flush=True)
else:
    with open(path) as f:
        print("CONTENT", f.readline().strip(), flush=True)
    print("LISTING", " ".join(sorted(os.listdir(os.path.dirname(path)))), flush=True)
for other in sys.argv[2:]:
    try:
        with open(other) as f:
            print("OTHER", other, "read", f.readline().strip(), flush=True)
    except OSError as e:
        print("OTHER", other, type(e).__name__, flush=True)
