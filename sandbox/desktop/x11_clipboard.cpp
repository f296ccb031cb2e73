#include "desktop/x11_clipboard.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>
#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "base/helper_process.h"
#include "base/syscalls.h"
#include "desktop/xcb_util.h"

namespace lb {

const char* clipboardPolicyName(ClipboardPolicy p) {
    switch (p) {
        case ClipboardPolicy::In:
            return "in";
        case ClipboardPolicy::Out:
            return "out";
        case ClipboardPolicy::Both:
            return "both";
        case ClipboardPolicy::None:
            break;
    }
    return "none";
}

std::optional<ClipboardPolicy> parseClipboardPolicy(std::string_view s) {
    for (auto p :
         {ClipboardPolicy::None, ClipboardPolicy::In, ClipboardPolicy::Out, ClipboardPolicy::Both})
        if (s == clipboardPolicyName(p)) return p;
    return std::nullopt;
}

ClipboardPlan planClipboard(ClipboardPolicy policy) {
    ClipboardPlan p;
    p.in = policy == ClipboardPolicy::In || policy == ClipboardPolicy::Both;
    p.out = policy == ClipboardPolicy::Out || policy == ClipboardPolicy::Both;
    return p;
}

namespace {

// One X server as the bridge sees it: a connection, an invisible window of ours, the atoms.
struct Side {
    const char* name = "";
    xcb_connection_t* c = nullptr;
    xcb_window_t win = 0;
    uint8_t xfixesEvent = 0;
    xcb_atom_t clipboard = 0, utf8 = 0, string = XCB_ATOM_STRING, text = 0, targets = 0, incr = 0,
               prop = 0;
    std::string text_;            // what we serve while we own the selection here
    bool owning = false;          // we own CLIPBOARD on this side
    bool converting = false;      // a conversion we asked for is on its way
    xcb_atom_t convertingAs = 0;  // the target asked (UTF8_STRING, then STRING)
};

bool setUp(Side& s) {
    if (!s.c || xcb_connection_has_error(s.c)) return false;
    const xcb_setup_t* setup = xcb_get_setup(s.c);
    xcb_screen_t* screen = xcb_setup_roots_iterator(setup).data;
    if (!screen) return false;
    s.win = xcb_generate_id(s.c);
    // An input-only window nobody sees: the owner of our selections and the requestor of
    // conversions.
    xcb_create_window(s.c, XCB_COPY_FROM_PARENT, s.win, screen->root, 0, 0, 1, 1, 0,
                      XCB_WINDOW_CLASS_INPUT_ONLY, XCB_COPY_FROM_PARENT, 0, nullptr);
    s.clipboard = internAtom(s.c, "CLIPBOARD");
    s.utf8 = internAtom(s.c, "UTF8_STRING");
    s.text = internAtom(s.c, "TEXT");
    s.targets = internAtom(s.c, "TARGETS");
    s.incr = internAtom(s.c, "INCR");
    s.prop = internAtom(s.c, "_LAYERBOX_CLIPBOARD");
    const xcb_query_extension_reply_t* ext = xcb_get_extension_data(s.c, &xcb_xfixes_id);
    if (!ext || !ext->present) return false;
    s.xfixesEvent = ext->first_event;
    auto v = xcb_xfixes_query_version_reply(s.c, xcb_xfixes_query_version(s.c, 5, 0), nullptr);
    std::free(v);
    xcb_xfixes_select_selection_input(s.c, s.win, s.clipboard,
                                      XCB_XFIXES_SELECTION_EVENT_MASK_SET_SELECTION_OWNER);
    xcb_flush(s.c);
    return s.clipboard && s.utf8 && s.targets && s.prop;
}

void ask(Side& from, xcb_atom_t target) {
    from.converting = true;
    from.convertingAs = target;
    xcb_convert_selection(from.c, from.win, from.clipboard, target, from.prop, XCB_CURRENT_TIME);
    xcb_flush(from.c);
}

// The text of a finished conversion on `from` is taken over on `to`.
void takeOver(Side& from, Side& to) {
    auto cookie = xcb_get_property(from.c, 1, from.win, from.prop, XCB_GET_PROPERTY_TYPE_ANY, 0,
                                   kClipboardMaxBytes / 4 + 1);
    xcb_get_property_reply_t* r = xcb_get_property_reply(from.c, cookie, nullptr);
    if (!r) return;
    if (r->type == from.incr) {
        std::fprintf(stderr, "clipboard: %s: the text is too large to pass (INCR)\n", from.name);
    } else if (r->format == 8 && r->bytes_after == 0) {
        const int len = xcb_get_property_value_length(r);
        to.text_.assign(static_cast<const char*>(xcb_get_property_value(r)),
                        static_cast<size_t>(len));
        to.owning = true;
        xcb_set_selection_owner(to.c, to.win, to.clipboard, XCB_CURRENT_TIME);
        xcb_flush(to.c);
    } else if (r->bytes_after) {
        std::fprintf(stderr, "clipboard: %s: the text is larger than %zu bytes: not passed\n",
                     from.name, kClipboardMaxBytes);
    }
    std::free(r);
}

// Someone on `s` asks for the text we own there.
void answer(Side& s, const xcb_selection_request_event_t* e) {
    xcb_atom_t property = e->property ? e->property : e->target;
    bool ok = false;
    if (s.owning && e->selection == s.clipboard) {
        if (e->target == s.targets) {
            const xcb_atom_t list[] = {s.targets, s.utf8, s.string, s.text};
            xcb_change_property(s.c, XCB_PROP_MODE_REPLACE, e->requestor, property, XCB_ATOM_ATOM,
                                32, 4, list);
            ok = true;
        } else if (e->target == s.utf8 || e->target == s.string || e->target == s.text) {
            const xcb_atom_t type = e->target == s.string ? s.string : s.utf8;
            xcb_change_property(s.c, XCB_PROP_MODE_REPLACE, e->requestor, property, type, 8,
                                static_cast<uint32_t>(s.text_.size()), s.text_.data());
            ok = true;
        }
    }
    xcb_selection_notify_event_t n = {};
    n.response_type = XCB_SELECTION_NOTIFY;
    n.time = e->time;
    n.requestor = e->requestor;
    n.selection = e->selection;
    n.target = e->target;
    n.property = ok ? property : XCB_NONE;
    xcb_send_event(s.c, 0, e->requestor, XCB_EVENT_MASK_NO_EVENT, reinterpret_cast<char*>(&n));
    xcb_flush(s.c);
}

// Handle what `s` reports; `other` is where its text may go (null: nothing goes out of `s`).
void handle(Side& s, Side* other, xcb_generic_event_t* ev) {
    const uint8_t type = ev->response_type & 0x7f;
    if (type == s.xfixesEvent + XCB_XFIXES_SELECTION_NOTIFY) {
        auto* e = reinterpret_cast<xcb_xfixes_selection_notify_event_t*>(ev);
        // Our own taking over is not news; an owner going away leaves the other side as is.
        if (e->owner == s.win || e->owner == XCB_NONE || !other) return;
        ask(s, s.utf8);
    } else if (type == XCB_SELECTION_NOTIFY) {
        auto* e = reinterpret_cast<xcb_selection_notify_event_t*>(ev);
        if (!s.converting || !other) return;
        if (e->property == XCB_NONE) {
            if (s.convertingAs == s.utf8)
                ask(s, s.string);  // an older program: Latin-1 text
            else
                s.converting = false;
            return;
        }
        s.converting = false;
        takeOver(s, *other);
    } else if (type == XCB_SELECTION_REQUEST) {
        answer(s, reinterpret_cast<xcb_selection_request_event_t*>(ev));
    } else if (type == XCB_SELECTION_CLEAR) {
        s.owning = false;  // a program on this side copied something itself
        s.text_.clear();
    }
}

[[noreturn]] void bridgeMain(const ClipboardPlan& plan, const std::string& hostDisplay,
                             const std::string& nestedDisplay, const std::string& cookie) {
    Side host, nested;
    host.name = "desktop";
    nested.name = "sandbox";
    int screen = 0;
    host.c = xcb_connect(hostDisplay.c_str(), &screen);
    char authName[] = "MIT-MAGIC-COOKIE-1";
    std::string data = cookie;
    xcb_auth_info_t auth = {static_cast<int>(std::strlen(authName)), authName,
                            static_cast<int>(data.size()), data.data()};
    nested.c = xcb_connect_to_display_with_auth_info(nestedDisplay.c_str(), &auth, &screen);
    if (!setUp(host) || !setUp(nested)) {
        std::fprintf(stderr, "clipboard: cannot connect to %s and %s with XFixes\n",
                     hostDisplay.c_str(), nestedDisplay.c_str());
        ::_exit(1);
    }
    std::fprintf(stderr, "clipboard: bridging %s%s%s\n", plan.in ? "desktop -> sandbox" : "",
                 plan.in && plan.out ? ", " : "", plan.out ? "sandbox -> desktop" : "");
    // Security: text only ever moves the ways the plan allows. A side whose text must not go out
    // gets no `other`: its owner changes are not even read.
    Side* fromHost = plan.in ? &nested : nullptr;
    Side* fromNested = plan.out ? &host : nullptr;
    // What was copied before the sandbox started can be pasted in too.
    if (plan.in) {
        auto r = xcb_get_selection_owner_reply(
            host.c, xcb_get_selection_owner(host.c, host.clipboard), nullptr);
        if (r && r->owner != XCB_NONE) ask(host, host.utf8);
        std::free(r);
    }
    for (;;) {
        struct pollfd p[2] = {{xcb_get_file_descriptor(host.c), POLLIN, 0},
                              {xcb_get_file_descriptor(nested.c), POLLIN, 0}};
        if (::poll(p, 2, -1) < 0 && errno != EINTR) break;
        while (auto* ev = xcb_poll_for_event(host.c)) {
            handle(host, fromHost, ev);
            std::free(ev);
        }
        while (auto* ev = xcb_poll_for_event(nested.c)) {
            handle(nested, fromNested, ev);
            std::free(ev);
        }
        if (xcb_connection_has_error(host.c) || xcb_connection_has_error(nested.c)) break;
    }
    std::fprintf(stderr, "clipboard: a display went away; the bridge ends\n");
    ::_exit(0);
}

}  // namespace

Result<pid_t> startClipboardBridge(const ClipboardPlan& plan, const std::string& hostDisplay,
                                   const std::string& nestedDisplay, const std::string& cookie,
                                   int logFd) {
    const pid_t parent = ::getpid();
    pid_t pid = ::fork();
    if (pid < 0) return Error::fromErrno("fork (clipboard bridge)");
    if (pid > 0) return pid;
    // The child: nothing of the runner's but the log. It dies with the runner.
    enterHelperChild(parent);
    ::prctl(PR_SET_NAME, "layerbox-clip");
    if (logFd >= 0) {
        ::dup2(logFd, 1);
        ::dup2(logFd, 2);
    }
    sys::closeRange(3, ~0U);
    bridgeMain(plan, hostDisplay, nestedDisplay, cookie);
}

}  // namespace lb
