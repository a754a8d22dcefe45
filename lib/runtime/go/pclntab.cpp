#include "runtime/go/pclntab.h"

#include <cstdio>

#include "runtime/go/remote_memory.h"

namespace memgap::runtime::go {

namespace {
constexpr uint32_t kMagic118 = 0xfffffff0;  // go1.18, go1.19
constexpr uint32_t kMagic120 = 0xfffffff1;  // go1.20 and later
// _func field offsets (go1.18+): entryoff, nameoff, args, deferreturn, pcsp, pcfile,
// pcln, npcdata, cuOffset.
constexpr size_t kFuncNameOff = 4, kFuncPcsp = 16, kFuncPcfile = 20, kFuncPcln = 24,
                 kFuncNpcdata = 28, kFuncCuOffset = 32;
constexpr uint32_t kPcdataInlTreeIndex = 2, kFuncdataInlTree = 3;
}  // namespace

uint32_t Pclntab::u32(size_t off) const {
  return off + 4 <= b_.size() ? load_u32(b_, off) : 0;
}

std::string Pclntab::cstr(size_t off) const {
  std::string s;
  while (off < b_.size() && b_[off]) s.push_back(static_cast<char>(b_[off++]));
  return s;
}

Result<Pclntab> Pclntab::parse(std::vector<uint8_t> bytes, uint64_t text_addr) {
  Pclntab t;
  t.b_ = std::move(bytes);
  if (t.b_.size() < 72) return make_error(".gopclntab is missing or truncated");
  uint32_t magic = t.u32(0);
  if (magic != kMagic118 && magic != kMagic120) {
    char m[16];
    std::snprintf(m, sizeof m, "0x%x", magic);
    return make_error(std::string(".gopclntab has an unknown format (magic ") + m + ")",
                      "memgap reads Go 1.18+ binaries");
  }
  if (t.b_[7] != 8) return make_error(".gopclntab is not from a 64-bit binary");
  t.func_header_ = magic == kMagic120 ? 44 : 40;
  t.nfunc_ = load_u64(t.b_, 8);
  t.text_start_ = load_u64(t.b_, 24);
  if (t.text_start_ == 0) t.text_start_ = text_addr;
  t.funcname_off_ = load_u64(t.b_, 32);
  t.cu_off_ = load_u64(t.b_, 40);
  t.filetab_off_ = load_u64(t.b_, 48);
  t.pctab_off_ = load_u64(t.b_, 56);
  t.pcln_off_ = load_u64(t.b_, 64);
  if (t.pcln_off_ + (t.nfunc_ + 1) * 8 > t.b_.size())
    return make_error(".gopclntab function table is truncated");
  return t;
}

FuncRef Pclntab::func_at(size_t i) const {
  size_t ft = pcln_off_ + i * 8;
  FuncRef f;
  f.entry = text_start_ + u32(ft);
  f.end = text_start_ + u32(ft + 8);  // the table has nfunc+1 entries; the last is the end
  uint32_t funcoff = u32(ft + 4);
  int32_t nameoff = static_cast<int32_t>(u32(pcln_off_ + funcoff + kFuncNameOff));
  f.name = cstr(funcname_off_ + nameoff);
  return f;
}

std::optional<FuncRef> Pclntab::find(uint64_t pc) const {
  if (nfunc_ == 0 || pc < text_start_) return std::nullopt;
  uint64_t off = pc - text_start_;
  size_t lo = 0, hi = nfunc_;  // binary search for the last entry <= off
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (u32(pcln_off_ + mid * 8) <= off) lo = mid; else hi = mid;
  }
  if (u32(pcln_off_ + lo * 8) > off || off >= u32(pcln_off_ + nfunc_ * 8)) return std::nullopt;
  return func_at(lo);
}

std::optional<FuncRef> Pclntab::lookup(const std::string& name) const {
  for (size_t i = 0; i < nfunc_; ++i) {
    uint32_t funcoff = u32(pcln_off_ + i * 8 + 4);
    int32_t nameoff = static_cast<int32_t>(u32(pcln_off_ + funcoff + kFuncNameOff));
    size_t p = funcname_off_ + nameoff;
    if (p + name.size() < b_.size() && b_[p + name.size()] == 0 &&
        name.compare(0, name.size(), reinterpret_cast<const char*>(&b_[p]), name.size()) == 0)
      return func_at(i);
  }
  return std::nullopt;
}

// Decodes a pc-value table the way runtime.pcvalue does: zig-zag value deltas and
// pc deltas (PCQuantum 1 on amd64), starting from value -1 at the entry.
std::optional<int32_t> Pclntab::pcvalue(uint32_t tab_off, uint64_t entry, uint64_t pc) const {
  if (tab_off == 0) return std::nullopt;
  size_t p = pctab_off_ + tab_off;
  auto varint = [&](uint32_t& v) {
    v = 0;
    for (int shift = 0; p < b_.size() && shift < 35; shift += 7) {
      uint8_t c = b_[p++];
      v |= uint32_t(c & 0x7f) << shift;
      if (!(c & 0x80)) return true;
    }
    return false;
  };
  int32_t val = -1;
  uint64_t cur = entry;
  for (bool first = true;; first = false) {
    uint32_t uv = 0, pcd = 0;
    if (p >= b_.size() || !varint(uv)) return std::nullopt;
    if (uv == 0 && !first) return std::nullopt;
    val += static_cast<int32_t>(-(uv & 1) ^ (uv >> 1));
    if (!varint(pcd)) return std::nullopt;
    cur += pcd;
    if (pc < cur) return val;
  }
}

// Offset of the _func record of the function containing `pc`, and its entry.
std::optional<size_t> Pclntab::func_record(uint64_t pc, uint64_t& entry) const {
  auto f = find(pc);
  if (!f) return std::nullopt;
  uint64_t off = f->entry - text_start_;
  size_t lo = 0, hi = nfunc_;
  while (hi - lo > 1) {
    size_t mid = (lo + hi) / 2;
    if (u32(pcln_off_ + mid * 8) <= off) lo = mid; else hi = mid;
  }
  entry = f->entry;
  return pcln_off_ + u32(pcln_off_ + lo * 8 + 4);
}

std::optional<SourceLine> Pclntab::source(uint64_t pc) const {
  uint64_t entry = 0;
  auto fn = func_record(pc, entry);
  if (!fn) return std::nullopt;
  auto fileno = pcvalue(u32(*fn + kFuncPcfile), entry, pc);
  auto line = pcvalue(u32(*fn + kFuncPcln), entry, pc);
  if (!fileno || !line || *fileno < 0) return std::nullopt;
  uint32_t fileoff = u32(cu_off_ + (size_t(u32(*fn + kFuncCuOffset)) + *fileno) * 4);
  if (fileoff == 0xffffffff) return std::nullopt;
  return SourceLine{cstr(filetab_off_ + fileoff), *line};
}

std::optional<int32_t> Pclntab::sp_delta(uint64_t pc) const {
  uint64_t entry = 0;
  auto fn = func_record(pc, entry);
  if (!fn) return std::nullopt;
  return pcvalue(u32(*fn + kFuncPcsp), entry, pc);
}

std::optional<Pclntab::InlineRef> Pclntab::inline_ref(uint64_t pc) const {
  uint64_t entry = 0;
  auto fn = func_record(pc, entry);
  if (!fn || *fn + func_header_ > b_.size()) return std::nullopt;
  uint32_t npcdata = u32(*fn + kFuncNpcdata);
  uint8_t nfuncdata = b_[*fn + func_header_ - 1];  // nfuncdata is the header's last byte
  if (npcdata <= kPcdataInlTreeIndex || nfuncdata <= kFuncdataInlTree) return std::nullopt;
  uint32_t tree = u32(*fn + func_header_ + 4 * npcdata + 4 * kFuncdataInlTree);
  if (tree == 0xffffffff) return std::nullopt;
  auto ix = pcvalue(u32(*fn + func_header_ + 4 * kPcdataInlTreeIndex), entry, pc);
  InlineRef r;
  r.index = ix ? *ix : -1;
  r.tree_off = tree;
  r.entry = entry;
  return r;
}

}  // namespace memgap::runtime::go
