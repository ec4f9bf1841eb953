// Error, Status and Result<T>: how every clearbox module reports failure.
//
// Errors cross module boundaries as values, never as exceptions. An Error carries a
// code (what kind of failure, and whether retrying can help) and a message a user can
// act on: it names the file, offset or field and what was wrong.
//
//   Result<Checkpoint> c = ParseCheckpoint(text);
//   if (!c.ok()) return c.error().WithContext("checkpoint from " + url);
//   Use(*c);
//
//   CLEARBOX_ASSIGN_OR_RETURN(auto file, MappedFile::Open(path));
//   CLEARBOX_RETURN_IF_ERROR(WriteFileAtomic(path, bytes));
#pragma once

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace clearbox {

// A small fixed set of codes. Each says what went wrong and whether a retry can help.
enum class ErrorCode {
  kInvalidInput,        // malformed or hostile input; retrying the same input won't help
  kNotFound,            // a named file, entry or key does not exist
  kAlreadyExists,       // refusing to overwrite something (a key file, a non-empty dir)
  kIo,                  // the OS refused a read/write/fsync; may succeed after fixing the cause
  kLimitExceeded,       // a user-set limit (size, depth, ratio, time) stopped the work
  kUnsupported,         // a valid input in a format or variant clearbox cannot handle yet
  kVerificationFailed,  // a signature, hash, proof or CRC did not verify: evidence, not a bug
  kConflict,            // state moved underneath (a tree grew, a witness is ahead); refetch, retry
  kPermissionDenied,    // an unknown or unauthorised key
  kUnavailable,         // a peer did not answer; retrying later may help
  kInternal,            // a bug in clearbox; please report it
};

std::string_view ErrorCodeName(ErrorCode code);

class [[nodiscard]] Error {
 public:
  Error(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Error InvalidInput(std::string m) { return {ErrorCode::kInvalidInput, std::move(m)}; }
  static Error NotFound(std::string m) { return {ErrorCode::kNotFound, std::move(m)}; }
  static Error AlreadyExists(std::string m) { return {ErrorCode::kAlreadyExists, std::move(m)}; }
  static Error Io(std::string m) { return {ErrorCode::kIo, std::move(m)}; }
  static Error LimitExceeded(std::string m) { return {ErrorCode::kLimitExceeded, std::move(m)}; }
  static Error Unsupported(std::string m) { return {ErrorCode::kUnsupported, std::move(m)}; }
  static Error VerificationFailed(std::string m) {
    return {ErrorCode::kVerificationFailed, std::move(m)};
  }
  static Error Conflict(std::string m) { return {ErrorCode::kConflict, std::move(m)}; }
  static Error PermissionDenied(std::string m) {
    return {ErrorCode::kPermissionDenied, std::move(m)};
  }
  static Error Unavailable(std::string m) { return {ErrorCode::kUnavailable, std::move(m)}; }
  static Error Internal(std::string m) { return {ErrorCode::kInternal, std::move(m)}; }
  // An I/O error from errno, naming the operation and path: "open /x/y: No such file".
  static Error FromErrno(std::string_view what, std::string_view path, int err);

  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with where the failure happened: "tile/0/001: <message>".
  Error WithContext(std::string_view context) const& {
    return {code_, std::string(context) + ": " + message_};
  }
  Error WithContext(std::string_view context) && {
    message_.insert(0, std::string(context) + ": ");
    return std::move(*this);
  }

  std::string ToString() const;

 private:
  ErrorCode code_;
  std::string message_;
};

// Status: success or an Error.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Error e) : error_(std::move(e)), ok_(false) {}  // NOLINT: implicit by design

  static Status Ok() { return {}; }
  bool ok() const { return ok_; }
  const Error& error() const {
    assert(!ok_);
    return error_;
  }
  std::string ToString() const { return ok_ ? "ok" : error_.ToString(); }

 private:
  Error error_{ErrorCode::kInternal, ""};
  bool ok_ = true;
};

// Result<T>: a T or an Error (modelled on absl::StatusOr; g++ 12 lacks std::expected).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}      // NOLINT: implicit by design
  Result(Error error) : v_(std::move(error)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(status.error()) { assert(!status.ok()); }  // NOLINT

  bool ok() const { return v_.index() == 0; }
  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }
  Status status() const { return ok() ? Status() : Status(error()); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T value_or(T fallback) const& { return ok() ? std::get<0>(v_) : std::move(fallback); }

  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Error> v_;
};

namespace internal {
inline Status ToStatus(const Status& s) { return s; }
template <typename T>
Status ToStatus(const Result<T>& r) {
  return r.status();
}
}  // namespace internal

}  // namespace clearbox

#define CLEARBOX_CONCAT_INNER_(a, b) a##b
#define CLEARBOX_CONCAT_(a, b) CLEARBOX_CONCAT_INNER_(a, b)

// Returns the error of a Status or Result expression from the enclosing function.
#define CLEARBOX_RETURN_IF_ERROR(expr)                       \
  do {                                                       \
    auto _clearbox_s = ::clearbox::internal::ToStatus(expr); \
    if (!_clearbox_s.ok()) return _clearbox_s.error();       \
  } while (0)

// Evaluates a Result expression; on error returns it, else moves the value into lhs.
#define CLEARBOX_ASSIGN_OR_RETURN(lhs, expr) \
  CLEARBOX_ASSIGN_OR_RETURN_IMPL_(CLEARBOX_CONCAT_(_clearbox_r, __LINE__), lhs, expr)
#define CLEARBOX_ASSIGN_OR_RETURN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                                    \
  if (!tmp.ok()) return tmp.error();                    \
  lhs = std::move(tmp).value()
