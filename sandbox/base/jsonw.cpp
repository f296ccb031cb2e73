#include "base/jsonw.h"

#include <cmath>
#include <cstdio>

namespace lb {

namespace {

// Append `s` as a JSON string. Runs of characters that need no escape go in at once (diff
// --json writes hundreds of thousands of paths).
void appendEscaped(std::string& out, std::string_view s) {
    out += '"';
    size_t run = 0;
    for (size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c != '"' && c != '\\') continue;
        out.append(s.substr(run, i - run));
        run = i + 1;
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\t':
                out += "\\t";
                break;
            case '\r':
                out += "\\r";
                break;
            default: {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            }
        }
    }
    out.append(s.substr(run));
    out += '"';
}

}  // namespace

void JsonWriter::sep() {
    if (afterKey_) {
        afterKey_ = false;
        return;
    }
    if (!first_.empty()) {
        if (!first_.back()) out_ += ',';
        first_.back() = false;
    }
}

JsonWriter& JsonWriter::beginObject() {
    sep();
    out_ += '{';
    first_.push_back(true);
    return *this;
}
JsonWriter& JsonWriter::endObject() {
    out_ += '}';
    first_.pop_back();
    return *this;
}
JsonWriter& JsonWriter::beginArray() {
    sep();
    out_ += '[';
    first_.push_back(true);
    return *this;
}
JsonWriter& JsonWriter::endArray() {
    out_ += ']';
    first_.pop_back();
    return *this;
}
JsonWriter& JsonWriter::key(std::string_view k) {
    sep();
    appendEscaped(out_, k);
    out_ += ':';
    afterKey_ = true;
    return *this;
}
JsonWriter& JsonWriter::value(std::string_view s) {
    sep();
    appendEscaped(out_, s);
    return *this;
}
JsonWriter& JsonWriter::value(bool b) {
    sep();
    out_ += b ? "true" : "false";
    return *this;
}
JsonWriter& JsonWriter::value(int64_t n) {
    sep();
    out_ += std::to_string(n);
    return *this;
}
JsonWriter& JsonWriter::value(uint64_t n) {
    sep();
    out_ += std::to_string(n);
    return *this;
}
JsonWriter& JsonWriter::value(double d) {
    sep();
    if (!std::isfinite(d)) {
        out_ += "null";
        return *this;
    }
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", d);
    out_ += buf;
    return *this;
}
JsonWriter& JsonWriter::null() {
    sep();
    out_ += "null";
    return *this;
}
JsonWriter& JsonWriter::raw(std::string_view json) {
    sep();
    out_ += json;
    return *this;
}
JsonWriter& JsonWriter::strings(const std::vector<std::string>& v) {
    beginArray();
    for (const auto& s : v)
        value(s);
    return endArray();
}

}  // namespace lb
