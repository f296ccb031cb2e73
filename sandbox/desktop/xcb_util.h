// Small xcb helpers shared by the X11 clients the runner runs outside the sandbox (the
// clipboard bridge, x11_clipboard.h; the window closer of `stop`, x11_close.h).
#pragma once

#include <xcb/xcb.h>

#include <cstdlib>
#include <cstring>

namespace lb {

// The atom named `name` on the connection's server (0 when the server does not answer).
inline xcb_atom_t internAtom(xcb_connection_t* c, const char* name) {
    auto cookie = xcb_intern_atom(c, 0, static_cast<uint16_t>(std::strlen(name)), name);
    xcb_intern_atom_reply_t* r = xcb_intern_atom_reply(c, cookie, nullptr);
    xcb_atom_t a = r ? r->atom : 0;
    std::free(r);
    return a;
}

}  // namespace lb
