#include "symbolize/unwinder.h"

#include <elfutils/libdwfl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>
#include <unordered_map>

namespace memgap::symbolize {
namespace {

struct CacheEntry {
  int64_t rbp_from_sp = 0;
  std::vector<std::pair<uint32_t, uint64_t>> reads;  // (offset from sp, word) the unwind used
  Unwound result;
};

constexpr size_t kEntriesPerPc = 8;
constexpr size_t kMaxCachedPcs = 50000;

}  // namespace

struct Unwinder::Impl {
  Dwfl* dwfl = nullptr;
  bool attached = false;
  // The record being unwound: libdw's callbacks read registers and memory from it.
  const StackCopy* current = nullptr;
  bool read_past_copy = false;
  bool thread_given = false;
  std::vector<uint64_t>* out = nullptr;
  std::vector<std::pair<uint32_t, uint64_t>>* reads = nullptr;
  size_t max_frames = 0;
  std::unordered_map<uint64_t, std::vector<CacheEntry>> cache;
  uint64_t hits = 0, unwinds = 0;

  static pid_t next_thread(Dwfl*, void* arg, void** thread_arg) {
    auto* self = static_cast<Impl*>(arg);
    if (self->thread_given || !self->current) return 0;
    self->thread_given = true;
    *thread_arg = self;
    return static_cast<pid_t>(self->current->tid);
  }

  static bool get_thread(Dwfl*, pid_t, void* arg, void** thread_arg) {
    *thread_arg = arg;
    return static_cast<Impl*>(arg)->current != nullptr;
  }

  static bool memory_read(Dwfl*, Dwarf_Addr addr, Dwarf_Word* result, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    const StackCopy* c = self->current;
    uint64_t sp = c->regs[7];
    if (addr >= sp && addr + sizeof(Dwarf_Word) <= sp + c->len) {
      std::memcpy(result, c->data + (addr - sp), sizeof(Dwarf_Word));
      self->reads->emplace_back(static_cast<uint32_t>(addr - sp), *result);
      return true;
    }
    // Above the copy: the stack goes on but we did not copy it.
    if (addr >= sp + c->len && addr < sp + (64u << 20)) self->read_past_copy = true;
    return false;
  }

  static bool set_initial_registers(Dwfl_Thread* thread, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    Dwarf_Word regs[MEMGAP_NREGS];
    for (int i = 0; i < MEMGAP_NREGS; ++i) regs[i] = self->current->regs[i];
    return dwfl_thread_state_registers(thread, 0, MEMGAP_NREGS, regs);
  }

  static int on_frame(Dwfl_Frame* frame, void* arg) {
    auto* self = static_cast<Impl*>(arg);
    Dwarf_Addr pc = 0;
    if (!dwfl_frame_pc(frame, &pc, nullptr)) return DWARF_CB_ABORT;
    if (pc == 0) return DWARF_CB_ABORT;
    self->out->push_back(pc);
    return self->out->size() >= self->max_frames ? DWARF_CB_ABORT : DWARF_CB_OK;
  }

  const Unwound* lookup(const StackCopy& c) {
    auto it = cache.find(c.regs[16]);
    if (it == cache.end()) return nullptr;
    int64_t rbp_from_sp = static_cast<int64_t>(c.regs[6] - c.regs[7]);
    for (const auto& e : it->second) {
      if (e.rbp_from_sp != rbp_from_sp) continue;
      bool same = true;
      for (const auto& [off, word] : e.reads) {
        uint64_t now = 0;
        if (off + sizeof now > c.len) {
          same = false;
          break;
        }
        std::memcpy(&now, c.data + off, sizeof now);
        if (now != word) {
          same = false;
          break;
        }
      }
      if (same) return &e.result;
    }
    return nullptr;
  }
};

namespace {
const Dwfl_Thread_Callbacks kThreadCallbacks = {
    Unwinder::Impl::next_thread, Unwinder::Impl::get_thread, Unwinder::Impl::memory_read,
    Unwinder::Impl::set_initial_registers, nullptr, nullptr,
};
}  // namespace

Unwinder::Unwinder(Symbolizer& symbolizer) : impl_(std::make_unique<Impl>()) { impl_->dwfl = symbolizer.dwfl(); }

Unwinder::~Unwinder() = default;

uint64_t Unwinder::cache_hits() const { return impl_->hits; }
uint64_t Unwinder::unwinds() const { return impl_->unwinds; }

Unwound Unwinder::unwind(const StackCopy& copy, size_t max_frames) {
  Impl& im = *impl_;
  if (const Unwound* hit = im.lookup(copy)) {
    ++im.hits;
    Unwound r = *hit;
    r.cached = true;
    return r;
  }
  Unwound result;
  if (!im.dwfl) {
    result.stop = UnwindStop::NoCfi;
    return result;
  }
  if (!im.attached) {
    // Attach once per Dwfl; the callbacks read whichever record is current.
    if (!dwfl_attach_state(im.dwfl, nullptr, getpid(), &kThreadCallbacks, &im)) {
      spdlog::debug("dwfl_attach_state: {}", dwfl_errmsg(-1));
      result.stop = UnwindStop::NoCfi;
      return result;
    }
    im.attached = true;
  }
  ++im.unwinds;
  CacheEntry entry;
  im.current = &copy;
  im.read_past_copy = false;
  im.thread_given = false;
  im.out = &result.pcs;
  im.reads = &entry.reads;
  im.max_frames = max_frames;
  int rc = dwfl_getthread_frames(im.dwfl, static_cast<pid_t>(copy.tid), Impl::on_frame, &im);
  im.current = nullptr;
  if (result.pcs.size() >= max_frames) result.stop = UnwindStop::MaxFrames;
  else if (rc == 0) result.stop = UnwindStop::Complete;
  else if (im.read_past_copy) result.stop = UnwindStop::CopyTooShort;
  else result.stop = UnwindStop::NoCfi;

  if (im.cache.size() < kMaxCachedPcs) {
    auto& slot = im.cache[copy.regs[16]];
    if (slot.size() >= kEntriesPerPc) slot.erase(slot.begin());
    entry.rbp_from_sp = static_cast<int64_t>(copy.regs[6] - copy.regs[7]);
    entry.result = result;
    slot.push_back(std::move(entry));
  }
  return result;
}

const char* unwind_stop_name(UnwindStop stop) {
  switch (stop) {
    case UnwindStop::Complete: return "complete";
    case UnwindStop::CopyTooShort: return "stack copy too short";
    case UnwindStop::NoCfi: return "no unwind info";
    case UnwindStop::MaxFrames: return "frame limit";
  }
  return "?";
}

}  // namespace memgap::symbolize
