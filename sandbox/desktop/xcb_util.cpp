#include "desktop/xcb_util.h"

#include <dlfcn.h>

#include <type_traits>

namespace lb {

const XcbApi* xcbApi() {
    static XcbApi api;
    static const bool loaded = [] {
        void* xcb = ::dlopen("libxcb.so.1", RTLD_NOW | RTLD_LOCAL);
        void* xfixes = xcb ? ::dlopen("libxcb-xfixes.so.0", RTLD_NOW | RTLD_LOCAL) : nullptr;
        if (!xcb || !xfixes) return false;
        bool ok = true;
        auto get = [&](void* lib, auto& fn, const char* name) {
            fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(lib, name));
            ok = ok && fn != nullptr;
        };
        // The names are spelled out: the macros of xcb_util.h would rewrite the members'.
#define LB_XCB_LOAD(f) get(xcb, api.f, #f);
        LB_XCB_FUNCTIONS(LB_XCB_LOAD)
#undef LB_XCB_LOAD
#define LB_XCB_LOAD(f) get(xfixes, api.f, #f);
        LB_XCB_XFIXES_FUNCTIONS(LB_XCB_LOAD)
#undef LB_XCB_LOAD
        api.xfixesId = static_cast<xcb_extension_t*>(::dlsym(xfixes, "xcb_xfixes_id"));
        return ok && api.xfixesId != nullptr;
    }();
    return loaded ? &api : nullptr;
}

}  // namespace lb
