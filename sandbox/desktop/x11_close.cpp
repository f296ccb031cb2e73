#include "desktop/x11_close.h"

#include <xcb/xcb.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "base/fsutil.h"
#include "desktop/display.h"
#include "desktop/xcb_util.h"

namespace lb {

std::vector<uint32_t> planWindowClose(const std::vector<X11WindowFacts>& windows,
                                      const std::set<int64_t>& sandboxPids,
                                      const std::string& hostname, bool wholeServer) {
    std::vector<uint32_t> out;
    std::set<uint32_t> seen;
    for (const auto& w : windows) {
        if (!w.takesDelete || !seen.insert(w.id).second) continue;
        if (!wholeServer &&
            (!w.pid || !sandboxPids.count(*w.pid) || hostname.empty() || w.machine != hostname))
            continue;
        out.push_back(w.id);
    }
    return out;
}

namespace {

// The NSpid entries of a process: its pid in each namespace from this one down.
std::vector<int64_t> nsPids(const std::string& pid) {
    std::vector<int64_t> out;
    auto status = readFile("/proc/" + pid + "/status");
    if (!status) return out;
    for (const auto& line : split(*status, '\n')) {
        if (!startsWith(line, "NSpid:")) continue;
        for (const auto& f : split(line.substr(6), '\t'))
            if (!trim(f).empty()) out.push_back(std::atoll(trim(f).c_str()));
    }
    return out;
}

}  // namespace

std::set<int64_t> sandboxNamespacePids(const std::vector<pid_t>& hostPids) {
    std::set<int64_t> out;
    const size_t level = nsPids("self").size();  // our own depth: 1 on a plain host
    if (level == 0) return out;
    for (pid_t p : hostPids) {
        auto ns = nsPids(std::to_string(p));
        if (ns.size() > level) out.insert(ns[level]);
    }
    return out;
}

namespace {

struct Conn {
    xcb_connection_t* c = nullptr;
    ~Conn() {
        if (c) xcb_disconnect(c);
    }
};

// A property's bytes ("" when absent).
std::string property(xcb_connection_t* c, xcb_window_t w, xcb_atom_t prop, xcb_atom_t type,
                     uint32_t longs = 1024) {
    auto r = xcb_get_property_reply(c, xcb_get_property(c, 0, w, prop, type, 0, longs), nullptr);
    if (!r) return {};
    // xcb_get_property_value_length counts bytes.
    std::string out(static_cast<const char*>(xcb_get_property_value(r)),
                    static_cast<size_t>(xcb_get_property_value_length(r)));
    std::free(r);
    return out;
}

std::vector<xcb_window_t> children(xcb_connection_t* c, xcb_window_t w) {
    std::vector<xcb_window_t> out;
    auto r = xcb_query_tree_reply(c, xcb_query_tree(c, w), nullptr);
    if (!r) return out;
    xcb_window_t* k = xcb_query_tree_children(r);
    out.assign(k, k + xcb_query_tree_children_length(r));
    std::free(r);
    return out;
}

}  // namespace

Result<int> closeX11Windows(const std::string& display, const std::string& xauthFile,
                            const std::set<int64_t>& sandboxPids, const std::string& hostname,
                            bool wholeServer) {
    Conn conn;
    int screenNo = 0;
    if (!xauthFile.empty()) {
        // The nested server's own cookie (the file the runner wrote for it, 0600 in the user's
        // instance directory): the host's cookies are not for it.
        auto bytes = readFile(xauthFile);
        if (!bytes) return bytes.error();
        auto entries = parseXauthority(*bytes);
        if (!entries || entries->empty())
            return Error(xauthFile + ": not an Xauthority file", EINVAL);
        std::string name = entries->front().name, data = entries->front().data;
        xcb_auth_info_t auth = {static_cast<int>(name.size()), name.data(),
                                static_cast<int>(data.size()), data.data()};
        conn.c = xcb_connect_to_display_with_auth_info(display.c_str(), &auth, &screenNo);
    } else {
        conn.c = xcb_connect(display.c_str(), &screenNo);
    }
    if (!conn.c || xcb_connection_has_error(conn.c))
        return Error("cannot connect to the X11 display " + display, ECONNREFUSED);
    xcb_connection_t* c = conn.c;
    const xcb_atom_t protocols = internAtom(c, "WM_PROTOCOLS"),
                     del = internAtom(c, "WM_DELETE_WINDOW"), netPid = internAtom(c, "_NET_WM_PID"),
                     clientList = internAtom(c, "_NET_CLIENT_LIST");

    // Top-level windows: the root's children and, under a reparenting window manager, their
    // children (the frames' clients); plus the window manager's client list.
    std::vector<xcb_window_t> candidates;
    for (auto it = xcb_setup_roots_iterator(xcb_get_setup(c)); it.rem; xcb_screen_next(&it)) {
        xcb_window_t root = it.data->root;
        for (xcb_window_t w : children(c, root)) {
            candidates.push_back(w);
            for (xcb_window_t k : children(c, w))
                candidates.push_back(k);
        }
        std::string list = property(c, root, clientList, XCB_ATOM_WINDOW, 65536);
        for (size_t i = 0; i + 4 <= list.size(); i += 4) {
            uint32_t w;
            std::memcpy(&w, list.data() + i, 4);
            candidates.push_back(w);
        }
    }
    std::vector<X11WindowFacts> facts;
    for (xcb_window_t w : candidates) {
        X11WindowFacts f;
        f.id = w;
        std::string protos = property(c, w, protocols, XCB_ATOM_ATOM);
        for (size_t i = 0; i + 4 <= protos.size(); i += 4) {
            uint32_t a;
            std::memcpy(&a, protos.data() + i, 4);
            if (a == del) f.takesDelete = true;
        }
        if (!f.takesDelete) continue;
        std::string pid = property(c, w, netPid, XCB_ATOM_CARDINAL);
        if (pid.size() == 4) {
            uint32_t v;
            std::memcpy(&v, pid.data(), 4);
            f.pid = v;
        }
        f.machine = property(c, w, XCB_ATOM_WM_CLIENT_MACHINE, XCB_ATOM_STRING);
        while (!f.machine.empty() && f.machine.back() == '\0')
            f.machine.pop_back();
        facts.push_back(std::move(f));
    }
    auto close = planWindowClose(facts, sandboxPids, hostname, wholeServer);
    for (uint32_t w : close) {
        xcb_client_message_event_t ev;
        std::memset(&ev, 0, sizeof ev);
        ev.response_type = XCB_CLIENT_MESSAGE;
        ev.format = 32;
        ev.window = w;
        ev.type = protocols;
        ev.data.data32[0] = del;
        ev.data.data32[1] = XCB_CURRENT_TIME;
        xcb_send_event(c, 0, w, XCB_EVENT_MASK_NO_EVENT, reinterpret_cast<const char*>(&ev));
    }
    // A round trip: the events are with the server (and so on their way) when we return.
    std::free(xcb_get_input_focus_reply(c, xcb_get_input_focus(c), nullptr));
    return static_cast<int>(close.size());
}

}  // namespace lb
