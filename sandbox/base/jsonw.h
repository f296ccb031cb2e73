// A minimal JSON writer for machine output (status events, --json listings). Keeping it here,
// instead of pulling nlohmann/json into every file, keeps headers lean and compiles fast.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace lb {

class JsonWriter {
public:
    JsonWriter& beginObject();
    JsonWriter& endObject();
    JsonWriter& beginArray();
    JsonWriter& endArray();
    JsonWriter& key(std::string_view k);
    JsonWriter& value(std::string_view s);
    JsonWriter& value(const char* s) { return value(std::string_view(s)); }
    JsonWriter& value(const std::string& s) { return value(std::string_view(s)); }
    JsonWriter& value(bool b);
    JsonWriter& value(int64_t n);
    JsonWriter& value(uint64_t n);
    JsonWriter& value(int n) { return value(static_cast<int64_t>(n)); }
    JsonWriter& value(double d);
    JsonWriter& null();
    JsonWriter& raw(std::string_view json);  // an already-serialised value
    JsonWriter& strings(const std::vector<std::string>& v);
    template <class T>
    JsonWriter& field(std::string_view k, const T& v) {
        key(k);
        return value(v);
    }
    const std::string& str() const { return out_; }

private:
    void sep();
    std::string out_;
    std::vector<bool> first_;
    bool afterKey_ = false;
};

}  // namespace lb
