#include <gtest/gtest.h>

#include <vector>

#include "collect/probe_placement.h"

using memgap::collect::place_entry_probe;

namespace {
uint64_t place(std::vector<uint8_t> code, bool free_like = false) {
  code.resize(32, 0x90);
  return place_entry_probe(code.data(), code.size(), free_like).offset;
}
}  // namespace

// Byte sequences are the real prologues of Debian 12's glibc 2.36 and libstdc++ 12.
TEST(ProbePlacement, StaysAtAPushAtOffsetZero) {
  EXPECT_EQ(place({0x41, 0x54, 0x55, 0x53}), 0u);  // malloc: push %r12
}

TEST(ProbePlacement, SkipsFreesNullCheckOnlyForFreeLikeFunctions) {
  // free: test %rdi,%rdi; je +0xbf; push %rbp
  std::vector<uint8_t> free_prologue{0x48, 0x85, 0xff, 0x0f, 0x84, 0xbf, 0x00, 0x00, 0x00, 0x55};
  EXPECT_EQ(place(free_prologue, true), 9u);
  EXPECT_EQ(place(free_prologue, false), 0u);  // an allocation function must not be skipped
}

TEST(ProbePlacement, SkipsAFlagsOnlyCompare) {
  // posix_memalign: cmpb $0x0,0x140201(%rip); push %r12
  EXPECT_EQ(place({0x80, 0x3d, 0x01, 0x02, 0x14, 0x00, 0x00, 0x41, 0x54}), 7u);
}

TEST(ProbePlacement, SkipsEndbrTestAndScratchMoveInOperatorNew) {
  // _Znwm: endbr64; test %rdi,%rdi; mov $0x1,%eax; push %rbx
  EXPECT_EQ(place({0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x85, 0xff, 0xb8, 0x01, 0x00, 0x00, 0x00, 0x53}), 12u);
  // _Znam: endbr64; jmp _Znwm@plt
  EXPECT_EQ(place({0xf3, 0x0f, 0x1e, 0xfa, 0xe9, 0xf7, 0x02, 0xef, 0xff}), 4u);
}

TEST(ProbePlacement, StaysAtZeroWhenArgumentsOrStackChange) {
  // reallocarray: mov %rsi,%rax; mul %rdx (clobbers rdx, an argument)
  EXPECT_EQ(place({0x48, 0x89, 0xf0, 0x48, 0xf7, 0xe2}), 0u);
  // nothrow new: endbr64; sub $0x8,%rsp (moves the return address away from [rsp])
  EXPECT_EQ(place({0xf3, 0x0f, 0x1e, 0xfa, 0x48, 0x83, 0xec, 0x08, 0xe8}), 0u);
  // aligned_alloc: cmpb ...; je (a branch around the probe in an allocation function)
  EXPECT_EQ(place({0x80, 0x3d, 0x71, 0x0e, 0x14, 0x00, 0x00, 0x74, 0x07, 0xe9}), 0u);
  // munmap: mov $0xb,%eax; syscall
  EXPECT_EQ(place({0xb8, 0x0b, 0x00, 0x00, 0x00, 0x0f, 0x05}), 0u);
}

TEST(ProbePlacement, TruncatedCodeStaysAtZero) {
  uint8_t code[] = {0x80, 0x3d, 0x01};
  EXPECT_EQ(place_entry_probe(code, sizeof code, false).offset, 0u);
  EXPECT_EQ(place_entry_probe(code, 0, false).offset, 0u);
}
