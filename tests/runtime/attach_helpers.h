// Runs `memgap attach` against a purpose-built target and reads back its snapshot; shared
// by the runtime tests of every attach feature.
#pragma once
#include <gtest/gtest.h>

#include <cstdio>
#include <string>
#include <vector>

#include "harness.h"
#include "model/snapshot_json.h"

namespace memgap::test {

constexpr int kTimeoutMs = 30000;

struct AttachRun {
  int exit_code = -1;
  std::string err;
  std::string out;
  model::Snapshot snapshot;
  bool have_snapshot = false;
};

// Starts `memgap attach` on the target, waits for "Attached", sends `go` rounds to the
// target, then stops memgap with SIGINT and reads its snapshot.
inline AttachRun attach_during(Child& target, std::vector<std::string> extra, int rounds = 1) {
  AttachRun run;
  std::string out = temp_path("snap.json");
  std::remove(out.c_str());
  std::vector<std::string> argv{MEMGAP_BIN, "attach", std::to_string(target.pid()), "-o", out};
  argv.insert(argv.end(), extra.begin(), extra.end());
  Child memgap(argv);
  if (!memgap.wait_for("Attached to PID", kTimeoutMs, true)) {
    run.exit_code = memgap.wait_exit(kTimeoutMs);
    run.err = memgap.err();
    return run;
  }
  for (int i = 0; i < rounds; ++i) {
    target.send("go");
    EXPECT_TRUE(target.wait_for("done", kTimeoutMs));
  }
  kill(memgap.pid(), SIGINT);
  run.exit_code = memgap.wait_exit(kTimeoutMs);
  run.err = memgap.err();
  run.out = memgap.out();
  auto snap = model::read_snapshot_file(out);
  if (snap) {
    run.snapshot = *snap;
    run.have_snapshot = true;
  }
  std::remove(out.c_str());
  return run;
}

inline const model::Site* find_site(const model::Snapshot& s, const std::string& function) {
  for (const auto& site : s.sites)
    if (!site.frames.empty() && site.frames[0].function == function) return &site;
  return nullptr;
}

inline bool chain_contains(const model::Site& site, const std::vector<std::string>& functions) {
  size_t k = 0;
  for (const auto& f : site.frames)
    if (k < functions.size() && f.function == functions[k]) ++k;
  return k == functions.size();
}

}  // namespace memgap::test
