# For tst_open_uri: a D-Bus client written by hand, run inside the sandbox. It authenticates
# ending with "BEGIN " (a space: the bus and xdg-dbus-proxy take it as BEGIN), says Hello, then
# asks to replace notification argv[1] twice, with and without an INTERFACE field (QtDBus
# daemons dispatch by member alone), and prints how many AccessDenied errors came back.
import os, socket, struct, sys, time
qid = int(sys.argv[1])
addr = os.environ["DBUS_SESSION_BUS_ADDRESS"].split("path=", 1)[1].split(",")[0]
class W:
    def __init__(s): s.b = bytearray()
    def align(s, n): s.b += b"\0" * ((-len(s.b)) % n)
    def byte(s, v): s.b.append(v)
    def u32(s, v): s.align(4); s.b += struct.pack("<I", v)
    def i32(s, v): s.align(4); s.b += struct.pack("<i", v)
    def str(s, v): e = v.encode(); s.u32(len(e)); s.b += e + b"\0"
    def sig(s, v): e = v.encode(); s.byte(len(e)); s.b += e + b"\0"
def message(serial, fields, body=b""):
    w = W(); w.b += b"l\x01\x00\x01"; w.u32(len(body)); w.u32(serial); w.u32(0)
    start = len(w.b)
    for code, t, v in fields:
        w.align(8); w.byte(code); w.sig(t)
        w.sig(v) if t == "g" else w.str(v)
    struct.pack_into("<I", w.b, 12, len(w.b) - start)
    w.align(8)
    return bytes(w.b) + body
b = W(); b.str("x"); b.u32(qid); b.str(""); b.str("forged"); b.str("https://example.test/harmless")
b.u32(0); pos = len(b.b); b.str("open"); b.str("Open link"); struct.pack_into("<I", b.b, pos - 4, len(b.b) - pos)
b.u32(0); b.align(8); b.i32(10000)
body = bytes(b.b)
N = [(1, "o", "/org/freedesktop/Notifications"), (3, "s", "Notify"),
     (6, "s", "org.freedesktop.Notifications"), (8, "g", "susssasa{sv}i")]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(addr)
s.sendall(b"\0AUTH EXTERNAL " + str(os.getuid()).encode().hex().encode() + b"\r\n")
time.sleep(0.3); print("auth:", s.recv(4096))
s.sendall(b"BEGIN \r\n")
s.sendall(message(1, [(1, "o", "/org/freedesktop/DBus"), (2, "s", "org.freedesktop.DBus"),
                      (3, "s", "Hello"), (6, "s", "org.freedesktop.DBus")]))
s.sendall(message(2, N[:1] + [(2, "s", "org.freedesktop.Notifications")] + N[1:], body))
s.sendall(message(3, N, body))  # no INTERFACE field
s.settimeout(3); got = b""
try:
    while True:
        d = s.recv(65536)
        if not d: break
        got += d
except socket.timeout:
    pass
print("denied:", got.count(b"AccessDenied"), "bytes:", len(got))
