#include "base/error.h"

#include <cerrno>
#include <cstring>

namespace lb {

Error Error::sys(std::string_view call, int err) {
    std::string m(call);
    m += ": ";
    m += strerrordesc_np(err) ? strerrordesc_np(err) : "unknown error";
    return Error(std::move(m), err);
}

Error Error::fromErrno(std::string_view call) {
    return sys(call, errno);
}

Error& Error::wrap(std::string_view context) & {
    message_ = std::string(context) + ": " + message_;
    return *this;
}

Error&& Error::wrap(std::string_view context) && {
    message_ = std::string(context) + ": " + message_;
    return std::move(*this);
}

}  // namespace lb
