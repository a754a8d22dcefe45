// File-name helpers shared by every stage.
#pragma once
#include <string>
#include <string_view>

namespace memgap {

// The last component of a path ("/usr/lib/libc.so.6" -> "libc.so.6"); the path itself
// when it has no '/'. Frames, modules and suppressions name files by it, because
// directories differ between build trees and mount namespaces.
inline std::string basename_of(std::string_view path) {
  auto slash = path.rfind('/');
  return std::string(slash == std::string_view::npos ? path : path.substr(slash + 1));
}

}  // namespace memgap
