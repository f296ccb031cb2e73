// What a profile lets its program reach beyond another profile (normally the built-in
// "default"): for the review an import shows before it saves a profile. Plain statements of
// what is granted, one per line, not a verdict; empty when it grants nothing more.
#pragma once

#include <string>
#include <vector>

#include "profile/profile.h"

namespace lb {

// Lines such as "network: NAT (internet only: no LAN, no host)", "~/Downloads read-write",
// "D-Bus: talk to org.freedesktop.Notifications". `home` shortens paths below it to ~/...
std::vector<std::string> permissionsBeyond(const Profile& profile, const Profile& base,
                                           const std::string& home);

}  // namespace lb
