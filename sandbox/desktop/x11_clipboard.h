// desktop.clipboard for an isolated display (desktop.x11 "isolated"): the sandbox's nested X
// server has a clipboard of its own, and nothing crosses between it and the desktop's unless
// the profile says so. "none": nothing; "in": what the user copies on the desktop can be pasted
// inside; "out": what the program copies can be pasted on the desktop; "both".
//
// The bridge is a child of the runner, outside the sandbox (the program cannot reach it: it is
// not in the sandbox's PID namespace and holds no descriptor the sandbox has), with one X11
// connection to each server. It watches the CLIPBOARD selection's owner on the side a transfer
// may come from (XFixes), reads the new text there, takes the selection on the other side and
// serves that text to whoever asks. Only text (UTF8_STRING, STRING, TEXT), at most
// kClipboardMaxBytes; PRIMARY (the highlight-to-paste selection) never crosses: it changes with
// every selection of text, which would hand the program what the user merely highlighted.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "base/error.h"

namespace lb {

enum class ClipboardPolicy { None, In, Out, Both };
const char* clipboardPolicyName(ClipboardPolicy p);
std::optional<ClipboardPolicy> parseClipboardPolicy(std::string_view s);

inline constexpr size_t kClipboardMaxBytes = 1 << 20;

struct ClipboardPlan {
    bool in = false;   // desktop -> sandbox
    bool out = false;  // sandbox -> desktop
    bool any() const { return in || out; }
};
ClipboardPlan planClipboard(ClipboardPolicy policy);

// Start the bridge between the desktop's display (`hostDisplay`, with the runner's own
// XAUTHORITY) and the nested one (`nestedDisplay`, ":N", with its cookie). Returns its pid (a
// child of the caller, ended with SIGTERM; PR_SET_PDEATHSIG ends it with the caller). Its
// messages go to `logFd`.
Result<pid_t> startClipboardBridge(const ClipboardPlan& plan, const std::string& hostDisplay,
                                   const std::string& nestedDisplay, const std::string& cookie,
                                   int logFd);

}  // namespace lb
