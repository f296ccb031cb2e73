// libFuzzer: DNS messages from the sandbox (queries) and from the network (answers).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "network/dns_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view msg(reinterpret_cast<const char*>(data), size);
    if (auto q = lb::parseDnsQuery(msg)) {
        if (q->name.size() > 253) std::abort();
        if (!lb::parseDnsQuery(lb::dnsErrorReply(msg, lb::kDnsNxDomain)).has_value() &&
            lb::dnsErrorReply(msg, lb::kDnsNxDomain).size() < 12)
            std::abort();
    }
    if (auto a = lb::parseDnsAnswer(msg))
        for (const auto& addr : a->addresses)
            if (addr.family != 2 && addr.family != 10) std::abort();
    return 0;
}
