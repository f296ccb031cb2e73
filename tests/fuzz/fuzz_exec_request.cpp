// libFuzzer: requests on a running sandbox's control socket.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "launch/channel.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    auto r = lb::decodeExecRequest(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!r) return 0;
    auto again = lb::decodeExecRequest(lb::encodeExecRequest(*r));
    if (!again || again->cwd != r->cwd || again->pty != r->pty) std::abort();
    return 0;
}
