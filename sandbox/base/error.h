// Error contract (after crun): an error carries the errno of the failing call (0 when there is
// none) and a message naming the call and its arguments, e.g.
//   mount("overlay", "/newroot/usr"): Invalid argument
// It is wrapped with context on the way up ("mounting the root: ...") and printed once, at the top.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace lb {

class Error {
public:
    Error() = default;
    explicit Error(std::string message, int code = 0) : message_(std::move(message)), code_(code) {}

    // `call` names the syscall and its arguments; the errno text is appended.
    static Error sys(std::string_view call, int err);
    // Same, reading errno now. Call it right after the failing call.
    static Error fromErrno(std::string_view call);

    // Prepend context: "context: message".
    Error& wrap(std::string_view context) &;
    Error&& wrap(std::string_view context) &&;
    Error wrap(std::string_view context) const& { return Error(*this).wrap(context); }

    const std::string& message() const { return message_; }
    int code() const { return code_; }

private:
    std::string message_;
    int code_ = 0;
};

// Status: success or an Error.
class [[nodiscard]] Status {
public:
    Status() = default;
    Status(Error e) : err_(std::move(e)), failed_(true) {}  // NOLINT: implicit by design
    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const Error& error() const& { return err_; }
    Error&& error() && { return std::move(err_); }

private:
    Error err_;
    bool failed_ = false;
};

inline Status Ok() {
    return {};
}

// Result<T>: a value or an Error.
template <class T>
class [[nodiscard]] Result {
public:
    Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT
    Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}      // NOLINT
    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    const T& value() const& { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    T* operator->() { return &std::get<0>(v_); }
    const T* operator->() const { return &std::get<0>(v_); }
    T& operator*() & { return std::get<0>(v_); }
    const Error& error() const& { return std::get<1>(v_); }
    Error&& error() && { return std::get<1>(std::move(v_)); }
    Status status() const { return ok() ? Status() : Status(error()); }

private:
    std::variant<T, Error> v_;
};

// Propagate a failed Status/Result from the current function.
#define LB_TRY(expr)                                                                  \
    do {                                                                              \
        if (auto lb_try_r_ = (expr); !lb_try_r_) return std::move(lb_try_r_).error(); \
    } while (0)

// Propagate with context prepended.
#define LB_TRY_CTX(expr, ctx)                                                                   \
    do {                                                                                        \
        if (auto lb_try_r_ = (expr); !lb_try_r_) return std::move(lb_try_r_).error().wrap(ctx); \
    } while (0)

#define LB_CONCAT_INNER_(a, b) a##b
#define LB_CONCAT_(a, b) LB_CONCAT_INNER_(a, b)
// Declare `var` from a Result, or propagate its error.
#define LB_ASSIGN(var, expr)                                          \
    auto LB_CONCAT_(lb_assign_r_, __LINE__) = (expr);                 \
    if (!LB_CONCAT_(lb_assign_r_, __LINE__))                          \
        return std::move(LB_CONCAT_(lb_assign_r_, __LINE__)).error(); \
    var = std::move(LB_CONCAT_(lb_assign_r_, __LINE__)).value()

}  // namespace lb
