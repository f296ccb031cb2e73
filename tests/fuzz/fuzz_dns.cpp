// libFuzzer: DNS messages from the sandbox (queries, over UDP or as a TCP stream) and from the
// network (answers).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "network/dns_message.h"

namespace {

void message(std::string_view msg) {
    if (auto q = lb::parseDnsQuery(msg)) {
        if (q->name.size() > 253) std::abort();
        // A query that parses gets a reply that is an answer to its question, with its id.
        auto reply = lb::parseDnsAnswer(lb::dnsErrorReply(msg, lb::kDnsNxDomain));
        if (!reply || reply->id != q->id || reply->rcode != lb::kDnsNxDomain ||
            reply->question.name != q->name || reply->question.type != q->type ||
            reply->question.cls != q->cls || !reply->addresses.empty())
            std::abort();
    }
    if (auto a = lb::parseDnsAnswer(msg))
        for (const auto& addr : a->addresses)
            if (addr.family != 2 && addr.family != 10) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view input(reinterpret_cast<const char*>(data), size);
    message(input);
    // The same bytes as a TCP stream: each message after its length.
    for (std::string_view stream = input;;) {
        std::string_view msg;
        size_t used = 0;
        if (lb::nextDnsFrame(stream, msg, used) != lb::DnsFrame::Complete) break;
        if (used != msg.size() + 2 || used > stream.size()) std::abort();
        message(msg);
        stream.remove_prefix(used);
    }
    return 0;
}
