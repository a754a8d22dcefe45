#include "pipeline/serial_detacher.h"

#include "pipeline/probe_session.h"

namespace memgap::pipeline {

SerialDetacher::~SerialDetacher() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  queue_.clear();  // left by stop() or never started: ~ProbeSession detaches here
}

void SerialDetacher::add(std::unique_ptr<ProbeSession> session) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    queue_.push_back(std::move(session));
  }
  if (!worker_.joinable()) worker_ = std::thread([this] { work(); });
  cv_.notify_one();
}

std::vector<std::unique_ptr<ProbeSession>> SerialDetacher::stop() {
  std::vector<std::unique_ptr<ProbeSession>> left;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    for (auto& s : queue_) left.push_back(std::move(s));
    queue_.clear();
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
  return left;
}

void SerialDetacher::work() {
  for (;;) {
    std::unique_ptr<ProbeSession> next;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping with nothing left
      next = std::move(queue_.front());
      queue_.pop_front();
    }
    next.reset();  // ~ProbeSession detaches: the slow part, outside the lock
  }
}

}  // namespace memgap::pipeline
