// desktop.open_uri "ask": what the OpenURI gate (open_uri_gate.h) decides before it asks, in
// pure functions. A link the program wants opened outside is checked (only web and mail links,
// short, printable, nothing that names a host file or runs a program), the question shows the
// sandbox's name and the exact link, and a program cannot flood the user with questions.
#pragma once

#include <cstdint>
#include <string>

namespace lb {

// Longest link the gate asks about (browsers' own practical limit for what a person can read
// is far below it; a longer one is refused, never shown cut).
inline constexpr size_t kMaxOpenUri = 2048;

struct OpenUriCheck {
    bool ok = false;
    std::string scheme;  // lower case: http, https, mailto
    std::string host;    // http(s): the host the link leads to, as written
    std::string why;     // when refused: one line
};

// Only http, https and mailto; printable ASCII without spaces (a program sends links encoded;
// nothing bidirectional or look-alike can hide in the question); http(s) with a host and no
// user name in it (https://bank.example@evil.example); mailto with no header beyond to, cc,
// bcc, subject and body (mail programs attach files named in `attach=`). Never file://, data:,
// javascript:, or a scheme whose handler would run something.
OpenUriCheck checkOpenUri(const std::string& uri);

struct UriQuestion {
    std::string summary;
    std::string body;  // notification body markup: & < > escaped
};
UriQuestion planUriQuestion(const std::string& sandbox, const OpenUriCheck& check,
                            const std::string& uri);

// The portal's request handle for a caller's unique name and token
// (/org/freedesktop/portal/desktop/request/1_42/TOKEN), as the caller computes it itself.
std::string portalRequestPath(const std::string& uniqueName, const std::string& token);

// How many questions may be open, and how fast new ones may come: at most kMaxOpen waiting for
// an answer, and a bucket of kBurst refilled with one every kRefillMs. A request past that is
// refused at once (the program's call fails), and never becomes a question.
class UriAskLimiter {
public:
    static constexpr int kMaxOpen = 3;
    static constexpr int kBurst = 5;
    static constexpr int64_t kRefillMs = 10000;

    // A new question at `nowMs` (a monotonic clock): true when it may be asked.
    bool admit(int64_t nowMs);
    // A question was answered, closed or expired.
    void closed();
    int open() const { return open_; }

private:
    int open_ = 0;
    double tokens_ = kBurst;
    int64_t last_ = -1;
};

}  // namespace lb
