// Network fields that mean something only with "mode": "nat" ("none" is loopback only), in
// the order the validator reports them (profile.cpp). `refusedWithout`: the message the
// validator gives for a non-empty value with "none"; empty: such a value is kept but unused.
// The GUI's editor disables them while the mode is "none": one list, so the editor and the
// validator cannot disagree.
#pragma once

#include <string>
#include <vector>

namespace lb {

struct NatOnlyField {
    std::string pointer;  // "/network/ports"
    std::string refusedWithout;
};
const std::vector<NatOnlyField>& natOnlyFields();

}  // namespace lb
