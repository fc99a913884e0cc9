// Error values shared by every sfsg library.
//
// An Error carries a category (which maps to a process exit code in each command's
// main) and a one-line message that names the file, the field and the value at fault.
// Result<T> holds either a T or an Error. Libraries return these; nothing throws
// across a library boundary. Both types are plain values: copyable, movable, and
// thread-compatible (distinct objects may be used from distinct threads).
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace sfsg {

// Categories double as exit codes, so a script can tell bad usage from bad input.
enum class ErrorCode : int {
  kUsage = 2,              // bad option or argument
  kIo = 3,                 // a file or directory could not be read or written
  kBadInput = 4,           // a file was read but its content is malformed or out of range
  kUnsupported = 5,        // a well-formed input this version does not understand
  kNoSpace = 6,            // a limit (overlay size, capacity) was reached
  kToleranceExceeded = 7,  // a comparison or check ran and failed its tolerance
  kRemote = 8,             // a remote source (a Prometheus server) failed or had no data
  kInternal = 10,
};

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;

  static Error Usage(std::string m) { return {ErrorCode::kUsage, std::move(m)}; }
  static Error Io(std::string m) { return {ErrorCode::kIo, std::move(m)}; }
  static Error BadInput(std::string m) { return {ErrorCode::kBadInput, std::move(m)}; }
  static Error Unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }
  static Error NoSpace(std::string m) { return {ErrorCode::kNoSpace, std::move(m)}; }
  static Error Remote(std::string m) { return {ErrorCode::kRemote, std::move(m)}; }
  static Error Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }

  int exit_code() const { return static_cast<int>(code); }
};

// Result<T>: a value or an Error, in the spirit of std::expected (not in GCC 12's C++20).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  // REQUIRES: ok().
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // REQUIRES: !ok().
  const Error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, Error> v_;
};

// Status: success or an Error, for operations with no value.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error error) : error_(std::move(error)), ok_(false) {}  // NOLINT
  static Status Ok() { return Status(); }

  bool ok() const { return ok_; }
  explicit operator bool() const { return ok_; }
  // REQUIRES: !ok().
  const Error& error() const { return error_; }

 private:
  Error error_;
  bool ok_ = true;
};

}  // namespace sfsg
