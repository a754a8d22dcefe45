#include "symbolize/unwinder.h"

#include <elfutils/libdwfl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cstring>

namespace memgap::symbolize {

struct Unwinder::Impl {
  Dwfl* dwfl = nullptr;
  bool attached = false;
  // The event being unwound: libdw's callbacks read registers and memory from it.
  const memgap_stack_event* current = nullptr;
  bool read_past_copy = false;
  bool thread_given = false;
  std::vector<uint64_t>* out = nullptr;
  size_t max_frames = 0;
  bool first_frame = true;

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
    const memgap_stack_event* ev = self->current;
    uint64_t sp = ev->regs[7];
    if (addr >= sp && addr + sizeof(Dwarf_Word) <= sp + ev->len) {
      std::memcpy(result, ev->data + (addr - sp), sizeof(Dwarf_Word));
      return true;
    }
    // Above the copy: the stack goes on but we did not copy it.
    if (addr >= sp + ev->len && addr < sp + (64u << 20)) self->read_past_copy = true;
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
    bool activation = false;
    if (!dwfl_frame_pc(frame, &pc, &activation)) return DWARF_CB_ABORT;
    if (self->first_frame) {  // the probed allocation function itself
      self->first_frame = false;
      return DWARF_CB_OK;
    }
    if (pc == 0) return DWARF_CB_ABORT;
    self->out->push_back(pc);
    return self->out->size() >= self->max_frames ? DWARF_CB_ABORT : DWARF_CB_OK;
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

Unwound Unwinder::unwind(const memgap_stack_event& event, size_t max_frames) {
  Unwound result;
  Impl& im = *impl_;
  if (!im.dwfl) {
    result.stop = UnwindStop::NoCfi;
    return result;
  }
  if (!im.attached) {
    // Attach once per Dwfl; the callbacks read whichever event is current.
    if (!dwfl_attach_state(im.dwfl, nullptr, getpid(), &kThreadCallbacks, &im)) {
      spdlog::debug("dwfl_attach_state: {}", dwfl_errmsg(-1));
      result.stop = UnwindStop::NoCfi;
      return result;
    }
    im.attached = true;
  }
  im.current = &event;
  im.read_past_copy = false;
  im.thread_given = false;
  im.out = &result.pcs;
  im.max_frames = max_frames;
  im.first_frame = true;
  int rc = dwfl_getthread_frames(im.dwfl, static_cast<pid_t>(event.tid), Impl::on_frame, &im);
  im.current = nullptr;
  if (result.pcs.size() >= max_frames) result.stop = UnwindStop::MaxFrames;
  else if (rc == 0) result.stop = UnwindStop::Complete;
  else if (im.read_past_copy) result.stop = UnwindStop::CopyTooShort;
  else result.stop = UnwindStop::NoCfi;
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
