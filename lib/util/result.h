// Errors are values: every fallible library call returns Result<T>. An Error carries a
// one-line message, a hint telling the user what to do about it (bpftrace's ERROR/HINT
// pair), and a kind, which callers decide on (a permission failure is never softened into
// a note) and cmd maps to an exit status. Exceptions never cross a module border.
#pragma once
#include <string>
#include <utility>
#include <variant>

namespace memgap {

enum class ErrorKind {
  kInternal,           // anything not classified below
  kNoSuchProcess,      // the PID does not exist (or has exited)
  kPermission,         // privileges missing: BPF, ptrace, /proc of another user
  kUnsupportedTarget,  // a kernel thread, a zombie, a binary memgap cannot read or probe
  kBadInput,           // a file or argument that does not parse or validate
};

struct Error {
  std::string message;
  std::string hint;  // may be empty
  ErrorKind kind = ErrorKind::kInternal;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Error error) : v_(std::move(error)) {}

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

struct Ok {};
using Status = Result<Ok>;

inline Error make_error(std::string message, std::string hint = {}, ErrorKind kind = ErrorKind::kInternal) {
  return Error{std::move(message), std::move(hint), kind};
}

}  // namespace memgap
