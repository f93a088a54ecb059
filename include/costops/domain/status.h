// Status and Result<T>: errors as values. No exception crosses the public API.
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace costops {

/// Broad error categories. Stable: the CLI maps them to exit codes and JSON `code` strings.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,    // malformed input: bad JSON, bad field value
  kNotFound,           // unknown provider, model, file, flavor
  kOutOfRange,         // arithmetic overflow, value outside its domain
  kInconsistentUsage,  // usage parts larger than their whole (e.g. cache reads > input)
  kUnsupported,        // a feature or format this build cannot handle
  kIoError,            // the filesystem said no
  kInternal,           // a bug
};

/// Machine-readable name of a code, e.g. "invalid_argument".
std::string_view status_code_name(StatusCode code);

/// Outcome of an operation: ok, or a code and a message saying what, where and what to do.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }
  bool is_ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  /// "invalid_argument: <message>", or "ok".
  std::string to_string() const;
  /// Returns a copy whose message is prefixed by `context: `.
  Status with_context(std::string_view context) const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

inline Status invalid_argument(std::string m) {
  return {StatusCode::kInvalidArgument, std::move(m)};
}
inline Status not_found(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
inline Status out_of_range(std::string m) { return {StatusCode::kOutOfRange, std::move(m)}; }
inline Status io_error(std::string m) { return {StatusCode::kIoError, std::move(m)}; }

/// A value or an error Status; shaped like std::expected (which GCC 12 lacks in C++20).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}        // NOLINT: implicit like std::expected
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).is_ok() && "Result built from an ok Status");
  }

  bool has_value() const { return v_.index() == 0; }
  explicit operator bool() const { return has_value(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  /// REQUIRES: !has_value().
  const Status& status() const { return std::get<1>(v_); }
  Status status_or_ok() const { return has_value() ? Status::ok() : status(); }

 private:
  std::variant<T, Status> v_;
};

/// The name a stored budget or discount (`what`) is found by in list, status and remove: not
/// empty, no control characters (a line break would split the list's row), no space at either
/// end. The stores refuse others.
Status check_stored_name(std::string_view what, std::string_view name);

}  // namespace costops

/// Propagates a non-ok Status from an expression returning Status.
#define COSTOPS_RETURN_IF_ERROR(expr)             \
  do {                                            \
    ::costops::Status costops_st_ = (expr);       \
    if (!costops_st_.is_ok()) return costops_st_; \
  } while (0)
