// The memgap binary a runtime test runs (MEMGAP_BIN): the one this build made, or the one
// named by MEMGAP_TEST_BIN. scripts/test.sh sets it to the ASan/UBSan build's memgap to run
// memgap's parsers (procfs, ELF/DWARF, Go runtime, suppressions) under the sanitizers on
// real targets. Force-included into every runtime test (tests/CMakeLists.txt).
#pragma once
#include <cstdlib>

inline const char* memgap_test_bin() {
  const char* e = std::getenv("MEMGAP_TEST_BIN");
  return e && *e ? e : MEMGAP_BUILT_BIN;
}
