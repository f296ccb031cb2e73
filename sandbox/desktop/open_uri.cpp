#include "desktop/open_uri.h"

#include <algorithm>
#include <cctype>
#include <cstring>

namespace lb {

namespace {

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// %XX decoded (for a mailto header's name only; a bad escape stays as it is).
std::string percentDecoded(const std::string& s) {
    std::string out;
    auto hex = [](char c) {
        return c >= '0' && c <= '9'   ? c - '0'
               : c >= 'a' && c <= 'f' ? c - 'a' + 10
               : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                      : -1;
    };
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
            out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
            i += 2;
        } else {
            out += s[i];
        }
    }
    return out;
}

OpenUriCheck refuse(std::string why) {
    OpenUriCheck c;
    c.why = std::move(why);
    return c;
}

std::string escapeMarkup(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '&')
            out += "&amp;";
        else if (c == '<')
            out += "&lt;";
        else if (c == '>')
            out += "&gt;";
        else
            out += c;
    }
    return out;
}

}  // namespace

OpenUriCheck checkOpenUri(const std::string& uri) {
    if (uri.empty()) return refuse("an empty link");
    if (uri.size() > kMaxOpenUri)
        return refuse("a link longer than " + std::to_string(kMaxOpenUri) + " characters");
    for (char c : uri) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u >= 0x7f)
            return refuse(
                "a link with a space, a control character or a character that is "
                "not plain ASCII");
        // Only what RFC 3986 lets a URI hold (unreserved, reserved and '%'): the quote, the
        // backquote, '$', '\\', '<', '>', '{', '}', '|' and '^' mean something to shells and
        // to handlers the host may have, and no real link needs them unescaped.
        if (std::strchr("\"`$\\<>{}|^", c))
            return refuse(std::string("a link with the character ") + c +
                          " (a link writes it %-escaped)");
    }
    const size_t colon = uri.find(':');
    if (colon == std::string::npos || colon == 0) return refuse("not a link (no scheme)");
    std::string scheme = lower(uri.substr(0, colon));
    if (!std::isalpha(static_cast<unsigned char>(scheme[0])) ||
        !std::all_of(scheme.begin(), scheme.end(), [](char c) {
            return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
        }))
        return refuse("not a link (a bad scheme)");
    OpenUriCheck out;
    out.scheme = scheme;
    const std::string rest = uri.substr(colon + 1);
    if (scheme == "http" || scheme == "https") {
        if (rest.compare(0, 2, "//") != 0) return refuse("a web link without a host");
        const size_t end = rest.find_first_of("/?#", 2);
        const std::string authority = rest.substr(2, end == std::string::npos ? end : end - 2);
        if (authority.find('@') != std::string::npos)
            return refuse("a web link with a user name before its host (it hides where it leads)");
        std::string host = authority;
        if (!host.empty() && host[0] == '[') {
            const size_t close = host.find(']');
            if (close == std::string::npos) return refuse("a web link with a bad host");
            host = host.substr(0, close + 1);
        } else if (const size_t port = host.rfind(':'); port != std::string::npos) {
            host = host.substr(0, port);
        }
        if (host.empty() || host == "[]") return refuse("a web link without a host");
        for (char c : host)
            if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '[' &&
                c != ']' && c != ':' && c != '_')
                return refuse("a web link with a bad host");
        out.host = host;
    } else if (scheme == "mailto") {
        // Headers beyond these make mail programs attach files or do more than write a mail.
        if (const size_t q = rest.find('?'); q != std::string::npos) {
            std::string query = rest.substr(q + 1);
            size_t start = 0;
            while (start <= query.size()) {
                size_t amp = query.find('&', start);
                std::string pair =
                    query.substr(start, amp == std::string::npos ? amp : amp - start);
                std::string name = lower(percentDecoded(pair.substr(0, pair.find('='))));
                if (!name.empty() && name != "to" && name != "cc" && name != "bcc" &&
                    name != "subject" && name != "body")
                    return refuse(
                        "a mail link with a header other than to, cc, bcc, subject "
                        "and body (" +
                        name.substr(0, 40) + ")");
                if (amp == std::string::npos) break;
                start = amp + 1;
            }
        }
    } else {
        return refuse("a " + scheme.substr(0, 40) +
                      ": link (only http, https and mailto links are opened outside)");
    }
    out.ok = true;
    return out;
}

UriQuestion planUriQuestion(const std::string& sandbox, const OpenUriCheck& check,
                            const std::string& uri) {
    UriQuestion q;
    q.summary = "Open a link from the sandbox \u201c" + sandbox + "\u201d?";
    std::string where =
        check.scheme == "mailto"
            ? std::string("Write a mail with your mail program to:\n")
            : "Open in your browser, outside the sandbox (site: " + check.host + "):\n";
    q.body = escapeMarkup("The program in the Layerbox sandbox \u201c" + sandbox +
                          "\u201d asks to open a link. " + where + uri);
    return q;
}

std::string portalRequestPath(const std::string& uniqueName, const std::string& token) {
    std::string sender =
        uniqueName.empty() || uniqueName[0] != ':' ? uniqueName : uniqueName.substr(1);
    for (char& c : sender)
        if (c == '.') c = '_';
    return "/org/freedesktop/portal/desktop/request/" + sender + "/" + token;
}

bool UriAskLimiter::admit(int64_t nowMs) {
    if (last_ >= 0 && nowMs > last_)
        tokens_ = std::min<double>(kBurst, tokens_ + double(nowMs - last_) / double(kRefillMs));
    last_ = nowMs;
    if (open_ >= kMaxOpen || tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    ++open_;
    return true;
}

void UriAskLimiter::closed() {
    if (open_ > 0) --open_;
}

}  // namespace lb
