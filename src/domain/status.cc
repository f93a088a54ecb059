#include "costops/domain/status.h"

namespace costops {

std::string_view status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk:
      return "ok";
    case StatusCode::kInvalidArgument:
      return "invalid_argument";
    case StatusCode::kNotFound:
      return "not_found";
    case StatusCode::kOutOfRange:
      return "out_of_range";
    case StatusCode::kInconsistentUsage:
      return "inconsistent_usage";
    case StatusCode::kUnsupported:
      return "unsupported";
    case StatusCode::kIoError:
      return "io_error";
    case StatusCode::kInternal:
      return "internal";
  }
  return "unknown";
}

std::string Status::to_string() const {
  if (is_ok()) return "ok";
  std::string s(status_code_name(code_));
  s += ": ";
  s += message_;
  return s;
}

Status Status::with_context(std::string_view context) const {
  if (is_ok()) return *this;
  std::string m(context);
  m += ": ";
  m += message_;
  return {code_, std::move(m)};
}

Status check_stored_name(std::string_view what, std::string_view name) {
  const std::string w(what);
  if (name.empty()) return invalid_argument("a " + w + " needs a name");
  for (const unsigned char c : name) {
    if (c < 0x20 || c == 0x7f)
      return invalid_argument("a " + w + " name has no control characters (line breaks, tabs)");
  }
  if (name.front() == ' ' || name.back() == ' ')
    return invalid_argument(w + " name \"" + std::string(name) + "\": begins or ends with a space");
  return Status::ok();
}

}  // namespace costops
