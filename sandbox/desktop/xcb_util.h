// Small xcb helpers shared by the X11 clients the runner runs outside the sandbox (the
// clipboard bridge, x11_clipboard.h; the window closer of `stop`, x11_close.h; the keyboard
// layout of the nested server, nested_x11.h).
//
// libxcb and libxcb-xfixes (and, through them, libXau, libXdmcp, libbsd, libmd) are loaded on
// first use, not at every start of `layerbox`: six libraries fewer for every command and every
// sandbox's runner (issue 25), and only sandboxes with an X11 display ever load them. A file
// that includes this header after the xcb headers calls the loaded functions under their usual
// names (the macros below); without libxcb, connecting fails (a null connection) and the
// callers' error paths take over.
#pragma once

#include <xcb/xcb.h>
#include <xcb/xfixes.h>

#include <cstdlib>
#include <cstring>

#define LB_XCB_FUNCTIONS(X)                  \
    X(xcb_connect)                           \
    X(xcb_connect_to_display_with_auth_info) \
    X(xcb_connection_has_error)              \
    X(xcb_disconnect)                        \
    X(xcb_flush)                             \
    X(xcb_get_file_descriptor)               \
    X(xcb_generate_id)                       \
    X(xcb_get_setup)                         \
    X(xcb_setup_roots_iterator)              \
    X(xcb_screen_next)                       \
    X(xcb_get_extension_data)                \
    X(xcb_intern_atom)                       \
    X(xcb_intern_atom_reply)                 \
    X(xcb_get_property)                      \
    X(xcb_get_property_reply)                \
    X(xcb_get_property_value)                \
    X(xcb_get_property_value_length)         \
    X(xcb_change_property)                   \
    X(xcb_send_event)                        \
    X(xcb_poll_for_event)                    \
    X(xcb_create_window)                     \
    X(xcb_query_tree)                        \
    X(xcb_query_tree_reply)                  \
    X(xcb_query_tree_children)               \
    X(xcb_query_tree_children_length)        \
    X(xcb_get_input_focus)                   \
    X(xcb_get_input_focus_reply)             \
    X(xcb_get_selection_owner)               \
    X(xcb_get_selection_owner_reply)         \
    X(xcb_set_selection_owner)               \
    X(xcb_convert_selection)

#define LB_XCB_XFIXES_FUNCTIONS(X)    \
    X(xcb_xfixes_query_version)       \
    X(xcb_xfixes_query_version_reply) \
    X(xcb_xfixes_select_selection_input)

namespace lb {

struct XcbApi {
#define LB_XCB_MEMBER(f) decltype(&::f) f = nullptr;
    LB_XCB_FUNCTIONS(LB_XCB_MEMBER)
    LB_XCB_XFIXES_FUNCTIONS(LB_XCB_MEMBER)
#undef LB_XCB_MEMBER
    xcb_extension_t* xfixesId = nullptr;
};

// libxcb and libxcb-xfixes, loaded on the first call (kept for the process's life); nullptr
// when either is missing or lacks a function.
const XcbApi* xcbApi();

}  // namespace lb

// The calls of the files that include this header go through the loaded libraries. Connecting
// without them gives no connection, which every caller checks first.
#define xcb_connect(...) (lb::xcbApi() ? lb::xcbApi()->xcb_connect(__VA_ARGS__) : nullptr)
#define xcb_connect_to_display_with_auth_info(...) \
    (lb::xcbApi() ? lb::xcbApi()->xcb_connect_to_display_with_auth_info(__VA_ARGS__) : nullptr)
#define xcb_connection_has_error(...) \
    (lb::xcbApi() ? lb::xcbApi()->xcb_connection_has_error(__VA_ARGS__) : 1)
#define xcb_disconnect(...) (lb::xcbApi() ? lb::xcbApi()->xcb_disconnect(__VA_ARGS__) : void())
#define xcb_flush(...) lb::xcbApi()->xcb_flush(__VA_ARGS__)
#define xcb_get_file_descriptor(...) lb::xcbApi()->xcb_get_file_descriptor(__VA_ARGS__)
#define xcb_generate_id(...) lb::xcbApi()->xcb_generate_id(__VA_ARGS__)
#define xcb_get_setup(...) lb::xcbApi()->xcb_get_setup(__VA_ARGS__)
#define xcb_setup_roots_iterator(...) lb::xcbApi()->xcb_setup_roots_iterator(__VA_ARGS__)
#define xcb_screen_next(...) lb::xcbApi()->xcb_screen_next(__VA_ARGS__)
#define xcb_get_extension_data(...) lb::xcbApi()->xcb_get_extension_data(__VA_ARGS__)
#define xcb_intern_atom(...) lb::xcbApi()->xcb_intern_atom(__VA_ARGS__)
#define xcb_intern_atom_reply(...) lb::xcbApi()->xcb_intern_atom_reply(__VA_ARGS__)
#define xcb_get_property(...) lb::xcbApi()->xcb_get_property(__VA_ARGS__)
#define xcb_get_property_reply(...) lb::xcbApi()->xcb_get_property_reply(__VA_ARGS__)
#define xcb_get_property_value(...) lb::xcbApi()->xcb_get_property_value(__VA_ARGS__)
#define xcb_get_property_value_length(...) lb::xcbApi()->xcb_get_property_value_length(__VA_ARGS__)
#define xcb_change_property(...) lb::xcbApi()->xcb_change_property(__VA_ARGS__)
#define xcb_send_event(...) lb::xcbApi()->xcb_send_event(__VA_ARGS__)
#define xcb_poll_for_event(...) lb::xcbApi()->xcb_poll_for_event(__VA_ARGS__)
#define xcb_create_window(...) lb::xcbApi()->xcb_create_window(__VA_ARGS__)
#define xcb_query_tree(...) lb::xcbApi()->xcb_query_tree(__VA_ARGS__)
#define xcb_query_tree_reply(...) lb::xcbApi()->xcb_query_tree_reply(__VA_ARGS__)
#define xcb_query_tree_children(...) lb::xcbApi()->xcb_query_tree_children(__VA_ARGS__)
#define xcb_query_tree_children_length(...) \
    lb::xcbApi()->xcb_query_tree_children_length(__VA_ARGS__)
#define xcb_get_input_focus(...) lb::xcbApi()->xcb_get_input_focus(__VA_ARGS__)
#define xcb_get_input_focus_reply(...) lb::xcbApi()->xcb_get_input_focus_reply(__VA_ARGS__)
#define xcb_get_selection_owner(...) lb::xcbApi()->xcb_get_selection_owner(__VA_ARGS__)
#define xcb_get_selection_owner_reply(...) lb::xcbApi()->xcb_get_selection_owner_reply(__VA_ARGS__)
#define xcb_set_selection_owner(...) lb::xcbApi()->xcb_set_selection_owner(__VA_ARGS__)
#define xcb_convert_selection(...) lb::xcbApi()->xcb_convert_selection(__VA_ARGS__)
#define xcb_xfixes_query_version(...) lb::xcbApi()->xcb_xfixes_query_version(__VA_ARGS__)
#define xcb_xfixes_query_version_reply(...) \
    lb::xcbApi()->xcb_xfixes_query_version_reply(__VA_ARGS__)
#define xcb_xfixes_select_selection_input(...) \
    lb::xcbApi()->xcb_xfixes_select_selection_input(__VA_ARGS__)
#define xcb_xfixes_id (*lb::xcbApi()->xfixesId)

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
