// libFuzzer: the profile parser and validator (text from users, imports, the GUI).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "profile/profile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto diags = lb::validateProfileText(text, "fuzz.json", "fuzz");
    for (const auto& d : diags)
        (void)d.text();
    (void)lb::extendsOfText(text);
    if (auto renamed = lb::renamedProfileText(text, "renamed"); renamed.ok())
        (void)lb::validateProfileText(*renamed, "renamed.json", "renamed");
    (void)lb::parseSize(text.substr(0, 32));
    return 0;
}
