// libFuzzer: instance records (files in the runtime directory another process wrote) must
// decode without crashing, and what decodes must encode and decode to the same record.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "launch/instances.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    auto r = lb::decodeRecord(text);
    if (!r) return 0;
    auto again = lb::decodeRecord(lb::encodeRecord(*r));
    if (!again || again->id != r->id || again->command != r->command ||
        again->profile != r->profile)
        std::abort();
    return 0;
}
