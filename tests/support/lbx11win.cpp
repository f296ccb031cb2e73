// An X11 program for the graceful stop tests (issue 21): one top-level window titled argv[1]
// that takes WM_DELETE_WINDOW and names its pid and machine (_NET_WM_PID, WM_CLIENT_MACHINE),
// as toolkits do. It prints "mapped" once shown, then per mode:
//   close:       on WM_DELETE_WINDOW prints "closed on WM_DELETE_WINDOW" and exits 0;
//   ignore:      prints "ignored WM_DELETE_WINDOW" and stays (SIGTERM ends it);
//   ignore-term: as ignore, and ignores SIGTERM too (only SIGKILL ends it).
#include <signal.h>
#include <unistd.h>
#include <xcb/xcb.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

namespace {

xcb_atom_t atom(xcb_connection_t* c, const char* name) {
    auto r = xcb_intern_atom_reply(
        c, xcb_intern_atom(c, 0, static_cast<uint16_t>(std::strlen(name)), name), nullptr);
    xcb_atom_t a = r ? r->atom : 0;
    std::free(r);
    return a;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: lbx11win TITLE close|ignore|ignore-term\n");
        return 2;
    }
    const std::string title = argv[1], mode = argv[2];
    if (mode == "ignore-term") ::signal(SIGTERM, SIG_IGN);
    int screenNo = 0;
    xcb_connection_t* c = xcb_connect(nullptr, &screenNo);
    if (xcb_connection_has_error(c)) {
        std::fprintf(stderr, "lbx11win: cannot connect to the display\n");
        return 1;
    }
    xcb_screen_t* screen = xcb_setup_roots_iterator(xcb_get_setup(c)).data;
    xcb_window_t w = xcb_generate_id(c);
    uint32_t values[] = {screen->white_pixel, XCB_EVENT_MASK_STRUCTURE_NOTIFY};
    xcb_create_window(c, XCB_COPY_FROM_PARENT, w, screen->root, 20, 20, 200, 100, 0,
                      XCB_WINDOW_CLASS_INPUT_OUTPUT, screen->root_visual,
                      XCB_CW_BACK_PIXEL | XCB_CW_EVENT_MASK, values);
    xcb_change_property(c, XCB_PROP_MODE_REPLACE, w, XCB_ATOM_WM_NAME, XCB_ATOM_STRING, 8,
                        static_cast<uint32_t>(title.size()), title.data());
    const xcb_atom_t protocols = atom(c, "WM_PROTOCOLS"), del = atom(c, "WM_DELETE_WINDOW");
    xcb_change_property(c, XCB_PROP_MODE_REPLACE, w, protocols, XCB_ATOM_ATOM, 32, 1, &del);
    uint32_t pid = static_cast<uint32_t>(::getpid());
    xcb_change_property(c, XCB_PROP_MODE_REPLACE, w, atom(c, "_NET_WM_PID"), XCB_ATOM_CARDINAL, 32,
                        1, &pid);
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    xcb_change_property(c, XCB_PROP_MODE_REPLACE, w, XCB_ATOM_WM_CLIENT_MACHINE, XCB_ATOM_STRING, 8,
                        static_cast<uint32_t>(std::strlen(host)), host);
    xcb_map_window(c, w);
    xcb_flush(c);
    std::printf("mapped\n");
    std::fflush(stdout);
    while (xcb_generic_event_t* ev = xcb_wait_for_event(c)) {
        if ((ev->response_type & 0x7f) == XCB_CLIENT_MESSAGE) {
            auto* cm = reinterpret_cast<xcb_client_message_event_t*>(ev);
            if (cm->type == protocols && cm->data.data32[0] == del) {
                if (mode == "close") {
                    std::printf("closed on WM_DELETE_WINDOW\n");
                    std::fflush(stdout);
                    std::free(ev);
                    xcb_disconnect(c);
                    return 0;
                }
                std::printf("ignored WM_DELETE_WINDOW\n");
                std::fflush(stdout);
            }
        }
        std::free(ev);
    }
    return 1;
}
