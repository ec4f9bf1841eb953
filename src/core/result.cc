#include "clearbox/core/result.h"

#include <cstring>

namespace clearbox {

std::string_view ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kInvalidInput:
      return "invalid input";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kAlreadyExists:
      return "already exists";
    case ErrorCode::kIo:
      return "I/O error";
    case ErrorCode::kLimitExceeded:
      return "limit exceeded";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kVerificationFailed:
      return "verification failed";
    case ErrorCode::kConflict:
      return "conflict";
    case ErrorCode::kPermissionDenied:
      return "permission denied";
    case ErrorCode::kUnavailable:
      return "unavailable";
    case ErrorCode::kInternal:
      return "internal error";
  }
  return "unknown error";
}

Error Error::FromErrno(std::string_view what, std::string_view path, int err) {
  std::string m(what);
  m += ' ';
  m += path;
  m += ": ";
  m += std::strerror(err);
  return {err == ENOENT                   ? ErrorCode::kNotFound
          : err == EEXIST                 ? ErrorCode::kAlreadyExists
          : err == EACCES || err == EPERM ? ErrorCode::kPermissionDenied
                                          : ErrorCode::kIo,
          std::move(m)};
}

std::string Error::ToString() const { return std::string(ErrorCodeName(code_)) + ": " + message_; }

}  // namespace clearbox
