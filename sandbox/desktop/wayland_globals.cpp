#include "desktop/wayland_globals.h"

#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include "base/fsutil.h"

namespace lb {

namespace {

// The wire format: every message is the object id, then (size << 16 | opcode), both 32-bit in
// the host's byte order, then the arguments; a string is its length with the NUL, the bytes,
// padded to 4.
void put32(std::string& m, uint32_t v) {
    m.append(reinterpret_cast<const char*>(&v), 4);
}

std::string request(uint32_t object, uint16_t opcode, uint32_t arg) {
    std::string m;
    put32(m, object);
    put32(m, (12u << 16) | opcode);
    put32(m, arg);
    return m;
}

uint32_t get32(const std::string& b, size_t at) {
    uint32_t v;
    std::memcpy(&v, b.data() + at, 4);
    return v;
}

constexpr uint32_t kDisplay = 1, kRegistry = 2, kCallback = 3;

}  // namespace

Result<std::vector<std::string>> waylandGlobals(const std::string& socketPath) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd.valid()) return Error::fromErrno("socket");
    struct sockaddr_un a = {};
    a.sun_family = AF_UNIX;
    if (socketPath.size() >= sizeof a.sun_path) return Error(quote(socketPath) + ": too long");
    std::memcpy(a.sun_path, socketPath.c_str(), socketPath.size() + 1);
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a), sizeof a) != 0)
        return Error::fromErrno("connect(" + quote(socketPath) + ")");
    // wl_display.get_registry (opcode 1) -> object 2; wl_display.sync (opcode 0) -> object 3:
    // its done event comes after every global has been announced.
    const std::string hello = request(kDisplay, 1, kRegistry) + request(kDisplay, 0, kCallback);
    LB_TRY(writeAll(fd.get(), hello, socketPath));
    std::vector<std::string> out;
    std::string buf;
    for (;;) {
        struct pollfd p = {fd.get(), POLLIN, 0};
        int n = ::poll(&p, 1, 3000);
        if (n == 0)
            return Error("the compositor at " + quote(socketPath) + " did not answer", ETIMEDOUT);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::fromErrno("poll");
        char chunk[4096];
        ssize_t got = ::read(fd.get(), chunk, sizeof chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0)
            return Error("the compositor at " + quote(socketPath) + " closed the connection",
                         EPROTO);
        buf.append(chunk, static_cast<size_t>(got));
        while (buf.size() >= 8) {
            const uint32_t object = get32(buf, 0), word = get32(buf, 4);
            const size_t size = word >> 16;
            const uint16_t opcode = word & 0xffff;
            if (size < 8 || size % 4) return Error("a malformed Wayland message", EPROTO);
            if (buf.size() < size) break;
            if (object == kRegistry && opcode == 0 && size >= 16) {
                // wl_registry.global(name, interface, version)
                const uint32_t len = get32(buf, 12);
                if (len > 0 && 16 + len <= size) out.emplace_back(buf.data() + 16, len - 1);
            } else if (object == kCallback && opcode == 0) {
                std::sort(out.begin(), out.end());
                out.erase(std::unique(out.begin(), out.end()), out.end());
                return out;
            } else if (object == kDisplay && opcode == 0) {
                return Error("the compositor refused the registry request", EPROTO);
            }
            buf.erase(0, size);
        }
    }
}

std::vector<WaylandReach> waylandPrivileged(std::vector<std::string> globals) {
    std::sort(globals.begin(), globals.end());
    static const WaylandReach known[] = {
        {"zwlr_screencopy_manager_v1", "take screenshots of every output"},
        {"ext_image_copy_capture_manager_v1", "take screenshots of outputs and windows"},
        {"ext_output_image_capture_source_manager_v1", "capture outputs"},
        {"zwlr_export_dmabuf_manager_v1", "capture outputs"},
        {"zwlr_data_control_manager_v1", "read and set the clipboard without focus"},
        {"ext_data_control_manager_v1", "read and set the clipboard without focus"},
        {"zwp_virtual_keyboard_manager_v1", "type into other windows"},
        {"zwlr_virtual_pointer_manager_v1", "move and click the pointer anywhere"},
        {"org_kde_kwin_fake_input", "type and click anywhere"},
        {"zwp_input_method_manager_v2", "act as the input method (see what is typed)"},
        {"zwlr_foreign_toplevel_manager_v1", "list, focus and close other windows"},
        {"ext_foreign_toplevel_list_v1", "list other windows and their titles"},
        {"zwlr_layer_shell_v1", "draw over every window (panels, lock screens, fakes)"},
        {"zwlr_gamma_control_manager_v1", "change the outputs' colours"},
        {"zwlr_output_power_manager_v1", "turn outputs off"},
        {"zwlr_output_manager_v1", "change the outputs' modes and layout"},
        {"zwp_xwayland_keyboard_grab_manager_v1", "grab the keyboard"},
        {"weston_screenshooter", "take screenshots (weston lets only its own tools)"},
    };
    std::vector<WaylandReach> out;
    for (const auto& k : known)
        if (std::binary_search(globals.begin(), globals.end(), k.global)) out.push_back(k);
    return out;
}

bool waylandHasSecurityContext(const std::vector<std::string>& globals) {
    return std::find(globals.begin(), globals.end(), "wp_security_context_manager_v1") !=
           globals.end();
}

}  // namespace lb
