// RIP-relative operand decoding used to find runtime globals in stripped binaries.
#include <gtest/gtest.h>

#include "runtime/go/code_refs.h"

using namespace memgap::runtime::go;

namespace {
void put_disp(std::vector<uint8_t>& b, int32_t d) {
  for (int i = 0; i < 4; ++i) b.push_back(static_cast<uint8_t>(uint32_t(d) >> (8 * i)));
}
}  // namespace

TEST(GoCodeRefs, DecodesMovLeaAndTwoByteOpcodes) {
  const uint64_t base = 0x401000;
  std::vector<uint8_t> code;
  code.push_back(0x55);                                    // push rbp
  code.insert(code.end(), {0x48, 0x8b, 0x05}); put_disp(code, 0x1000);  // mov rax,[rip+0x1000]
  code.insert(code.end(), {0x48, 0x8d, 0x0d}); put_disp(code, 0x2000);  // lea rcx,[rip+0x2000]
  code.insert(code.end(), {0x0f, 0xb6, 0x15}); put_disp(code, -0x10);   // movzx edx,byte [rip-0x10]
  code.insert(code.end(), {0x48, 0x8b, 0x05}); put_disp(code, 0x7fff0000);  // outside data: dropped
  code.push_back(0xc3);
  auto refs = rip_refs(code.data(), code.size(), base, [](uint64_t a) { return a < 0x500000; });
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[0].insn, base + 1);
  EXPECT_EQ(refs[0].target, base + 1 + 7 + 0x1000);
  EXPECT_FALSE(refs[0].lea);
  EXPECT_EQ(refs[1].target, base + 8 + 7 + 0x2000);
  EXPECT_TRUE(refs[1].lea);
  EXPECT_EQ(refs[2].target, base + 15 + 7 - 0x10);
  EXPECT_FALSE(refs[2].lea);
}

TEST(GoCodeRefs, HandlesPrefixesAndIgnoresImmediateForms) {
  std::vector<uint8_t> code;
  code.insert(code.end(), {0xf0, 0x48, 0x0f, 0xc1, 0x05}); put_disp(code, 0x100);  // lock xadd [rip+..],rax
  code.insert(code.end(), {0x48, 0x83, 0x3d}); put_disp(code, 0x100); code.push_back(0);  // cmp [rip+..],0
  auto refs = rip_refs(code.data(), code.size(), 0, [](uint64_t) { return true; });
  ASSERT_EQ(refs.size(), 1u);
  EXPECT_EQ(refs[0].target, 9u + 0x100);
}
