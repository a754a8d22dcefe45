// Detaches probe sessions of process images that have ended while `memgap run` goes on,
// one at a time on one worker thread, oldest first. One at a time because the kernel
// serialises uprobe registration and unregistration (~100 ms per probe here): detaching
// several sessions at once only makes the next program's attach wait behind all of them
// (measured: a shell loop of 10 /bin/true under --follow took 3.2 s per command with a
// thread per detach).
#pragma once
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace memgap::pipeline {

class ProbeSession;

class SerialDetacher {
 public:
  SerialDetacher() = default;
  ~SerialDetacher();  // detaches what is queued, then joins
  SerialDetacher(const SerialDetacher&) = delete;
  SerialDetacher& operator=(const SerialDetacher&) = delete;

  void add(std::unique_ptr<ProbeSession> session);
  // Lets the detach in progress finish and returns the sessions not yet detached, so
  // the caller can hand them on (memgap's report must not wait for them).
  std::vector<std::unique_ptr<ProbeSession>> stop();

 private:
  void work();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::unique_ptr<ProbeSession>> queue_;
  bool stopping_ = false;
  std::thread worker_;  // started by the first add()
};

}  // namespace memgap::pipeline
