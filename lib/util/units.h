// IEC sizes ("64KiB", "1.5GiB") and durations ("500ms", "30s", "5m"), parsed and printed
// the same way everywhere so that what memgap prints it also accepts.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "util/result.h"

namespace memgap {

// Accepts a plain number of bytes or a number with B, K/KB/KiB, M/MB/MiB, G/GB/GiB,
// T/TB/TiB (all powers of 1024, case-insensitive). Rejects negatives and overflow.
Result<uint64_t> parse_size(std::string_view text);

// "23.0KiB"-style rendering: integer bytes below 1 KiB, otherwise one decimal.
std::string format_size(uint64_t bytes);
// Signed variant for diffs: "+349KiB", "-12B", "0B".
std::string format_size_delta(int64_t bytes);

// Accepts "250ms", "30s", "5m", "1h", or a bare number of seconds. Returns milliseconds.
Result<uint64_t> parse_duration_ms(std::string_view text);
std::string format_duration_ms(uint64_t ms);

}  // namespace memgap
