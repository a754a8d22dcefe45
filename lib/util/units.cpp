#include "util/units.h"

#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

namespace memgap {
namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits "1.5GiB" into 1.5 and "gib"; fails on anything that is not number + suffix.
bool split_number(std::string_view text, double& number, std::string& suffix) {
  std::string s(text);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  size_t i = 0;
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  size_t start = i;
  bool digits = false;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) {
    digits = digits || std::isdigit(static_cast<unsigned char>(s[i]));
    ++i;
  }
  if (!digits) return false;
  try {
    number = std::stod(s.substr(start, i - start));
  } catch (...) {
    return false;
  }
  while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  suffix = lower(std::string_view(s).substr(i));
  return std::isfinite(number);
}

}  // namespace

Result<uint64_t> parse_size(std::string_view text) {
  double n = 0;
  std::string suffix;
  if (!split_number(text, n, suffix))
    return make_error("invalid size '" + std::string(text) + "'", "use bytes or IEC units, e.g. 4096, 64KiB, 1.5GiB");
  double mult = 0;
  if (suffix.empty() || suffix == "b") mult = 1;
  else if (suffix == "k" || suffix == "kb" || suffix == "kib") mult = 1024.0;
  else if (suffix == "m" || suffix == "mb" || suffix == "mib") mult = 1024.0 * 1024;
  else if (suffix == "g" || suffix == "gb" || suffix == "gib") mult = 1024.0 * 1024 * 1024;
  else if (suffix == "t" || suffix == "tb" || suffix == "tib") mult = 1024.0 * 1024 * 1024 * 1024;
  else
    return make_error("invalid size unit in '" + std::string(text) + "'", "use B, KiB, MiB, GiB or TiB");
  double bytes = n * mult;
  if (bytes >= static_cast<double>(std::numeric_limits<uint64_t>::max()))
    return make_error("size '" + std::string(text) + "' is too large", "");
  return static_cast<uint64_t>(std::llround(bytes));
}

std::string format_size(uint64_t bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  if (bytes < 1024) return std::to_string(bytes) + "B";
  double v = static_cast<double>(bytes);
  int u = 0;
  while (v >= 1024.0 && u < 6) {
    v /= 1024.0;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f%s", v, units[u]);
  return buf;
}

std::string format_size_delta(int64_t bytes) {
  if (bytes == 0) return "0B";
  uint64_t mag = bytes < 0 ? static_cast<uint64_t>(-(bytes + 1)) + 1 : static_cast<uint64_t>(bytes);
  return (bytes < 0 ? "-" : "+") + format_size(mag);
}

Result<uint64_t> parse_duration_ms(std::string_view text) {
  double n = 0;
  std::string suffix;
  if (!split_number(text, n, suffix))
    return make_error("invalid duration '" + std::string(text) + "'", "use e.g. 500ms, 30s, 5m, 1h");
  double mult = 0;
  if (suffix.empty() || suffix == "s" || suffix == "sec") mult = 1000;
  else if (suffix == "ms") mult = 1;
  else if (suffix == "m" || suffix == "min") mult = 60'000;
  else if (suffix == "h") mult = 3'600'000;
  else
    return make_error("invalid duration unit in '" + std::string(text) + "'", "use ms, s, m or h");
  double ms = n * mult;
  if (ms > 1e15) return make_error("duration '" + std::string(text) + "' is too long", "");
  return static_cast<uint64_t>(std::llround(ms));
}

std::string format_duration_ms(uint64_t ms) {
  char buf[32];
  if (ms < 1000) std::snprintf(buf, sizeof buf, "%llums", static_cast<unsigned long long>(ms));
  else if (ms < 60'000) std::snprintf(buf, sizeof buf, "%.1fs", ms / 1000.0);
  else if (ms < 3'600'000) std::snprintf(buf, sizeof buf, "%.1fm", ms / 60000.0);
  else std::snprintf(buf, sizeof buf, "%.1fh", ms / 3600000.0);
  return buf;
}

}  // namespace memgap
