// D-Bus's wire format written by hand for tests (little-endian, as the specification lays it
// out), independent of sandbox/base/dbus_wire.cpp, which the tests check against it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace lbtest {

struct WireBytes {
    std::string b;
    void pad(size_t a) {
        while (b.size() % a)
            b.push_back('\0');
    }
    void u32(uint32_t v) {
        pad(4);
        for (int i = 0; i < 4; ++i)
            b.push_back(char(v >> (8 * i)));
    }
    void str(const std::string& s) {
        u32(uint32_t(s.size()));
        b += s;
        b.push_back('\0');
    }
    void sig(const std::string& s) {
        b.push_back(char(s.size()));
        b += s;
        b.push_back('\0');
    }
};

}  // namespace lbtest
