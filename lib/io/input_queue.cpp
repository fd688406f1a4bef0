#include "io/input_queue.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>

namespace rd {

struct InputQueue::State {
  std::mutex mutex;
  std::condition_variable arrived, room;
  std::deque<InputRecord> records;
  std::size_t capacity = 1;
  bool ended = false;    // the source said false or threw
  bool closing = false;  // the queue is gone: the reader stops at its next record
  bool starved = false;  // the reader waits for input that has not arrived
  std::chrono::steady_clock::time_point last_arrival = std::chrono::steady_clock::now();
  std::exception_ptr failure;
  const std::atomic<int>* stop = nullptr;
  std::thread reader;

  bool stopped() const { return stop && stop->load() != 0; }

  void read(Source source, WouldWait would_wait) {
    for (;;) {
      InputRecord r;
      bool more = false;
      std::exception_ptr error;
      try {
        const bool waits = would_wait && would_wait();
        if (waits) set_starved(true);
        more = source(r);
        if (waits) set_starved(false);
      } catch (...) {
        error = std::current_exception();
      }
      std::unique_lock<std::mutex> lock(mutex);
      if (!more || error || closing) {
        ended = true;
        failure = error;
        arrived.notify_all();
        return;
      }
      room.wait(lock, [&] { return records.size() < capacity || closing; });
      records.push_back(std::move(r));
      last_arrival = std::chrono::steady_clock::now();
      arrived.notify_all();
    }
  }

  void set_starved(bool value) {
    std::lock_guard<std::mutex> lock(mutex);
    starved = value;
    arrived.notify_all();
  }

  // Waits (with `lock` held) until `enough()`, the end, or a stop; says whether a record is there.
  // It also gives up when nothing has arrived for a while and it holds a record (or need not
  // have one): a source can wait without saying so (half a line buffered), and that must not
  // hold back what has arrived.
  template <class Enough>
  bool wait_until(std::unique_lock<std::mutex>& lock, Enough enough, bool need_one) {
    using namespace std::chrono;
    constexpr auto kPatience = milliseconds(200);
    const auto start = steady_clock::now();
    while (!enough() && !ended && !stopped()) {
      const bool may_leave = !need_one || !records.empty();
      if (may_leave && steady_clock::now() - std::max(start, last_arrival) > kPatience) break;
      // The stop flag is set by a signal handler, which cannot notify: look at it every 50 ms.
      arrived.wait_for(lock, milliseconds(50));
    }
    return !records.empty() && !stopped();
  }
};

InputQueue::InputQueue(Source source, std::size_t capacity, const std::atomic<int>* stop, WouldWait would_wait)
    : state_(std::make_shared<State>()) {
  state_->capacity = std::max<std::size_t>(1, capacity);
  state_->stop = stop;
  // The thread holds the state too: after a stop it may still be blocked in the source's read.
  state_->reader = std::thread([s = state_, source = std::move(source), would_wait = std::move(would_wait)]() mutable {
    s->read(std::move(source), std::move(would_wait));
  });
}

InputQueue::~InputQueue() {
  std::unique_lock<std::mutex> lock(state_->mutex);
  state_->closing = true;
  state_->room.notify_all();
  const bool finished = state_->ended;
  lock.unlock();
  if (finished) state_->reader.join();
  else state_->reader.detach();  // blocked in a read of stdin; it ends when the read returns
}

std::vector<InputRecord> InputQueue::take(std::size_t max) {
  std::vector<InputRecord> out;
  std::unique_lock<std::mutex> lock(state_->mutex);
  State& s = *state_;
  // A full batch, or what has arrived once the source waits for more (a busy reader thread is
  // not a wait for input: its records have arrived).
  const std::size_t want = std::min(max, s.capacity);
  if (!s.wait_until(lock, [&] { return s.records.size() >= want || (!s.records.empty() && s.starved); }, true))
    return out;
  while (!state_->records.empty() && out.size() < max) {
    out.push_back(std::move(state_->records.front()));
    state_->records.pop_front();
  }
  state_->room.notify_all();
  return out;
}

bool InputQueue::take_one(InputRecord& record, bool wait) {
  std::unique_lock<std::mutex> lock(state_->mutex);
  State& s = *state_;
  if (!s.wait_until(lock, [&] { return !s.records.empty() || (!wait && s.starved); }, wait)) return false;
  record = std::move(state_->records.front());
  state_->records.pop_front();
  state_->room.notify_all();
  return true;
}

void InputQueue::rethrow_if_failed() {
  std::unique_lock<std::mutex> lock(state_->mutex);
  if (state_->records.empty() && state_->failure) std::rethrow_exception(state_->failure);
}

}  // namespace rd
