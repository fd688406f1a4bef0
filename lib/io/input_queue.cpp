#include "io/input_queue.h"

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
  bool ended = false;  // the source said false or threw
  bool closing = false;  // the queue is gone: the reader stops at its next record
  std::exception_ptr failure;
  const std::atomic<int>* stop = nullptr;
  std::thread reader;

  bool stopped() const { return stop && stop->load() != 0; }

  void read(Source source) {
    for (;;) {
      InputRecord r;
      bool more = false;
      std::exception_ptr error;
      try {
        more = source(r);
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
      arrived.notify_all();
    }
  }

  // Waits (with `lock` held) until a record is there, the end, or a stop; says whether one is.
  bool wait_for_record(std::unique_lock<std::mutex>& lock) {
    // The stop flag is set by a signal handler, which cannot notify: look at it every 50 ms.
    while (records.empty() && !ended && !stopped()) arrived.wait_for(lock, std::chrono::milliseconds(50));
    return !records.empty() && !stopped();
  }
};

InputQueue::InputQueue(Source source, std::size_t capacity, const std::atomic<int>* stop)
    : state_(std::make_shared<State>()) {
  state_->capacity = std::max<std::size_t>(1, capacity);
  state_->stop = stop;
  // The thread holds the state too: after a stop it may still be blocked in the source's read.
  state_->reader = std::thread([s = state_, source = std::move(source)]() mutable { s->read(std::move(source)); });
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
  if (!state_->wait_for_record(lock)) return out;
  while (!state_->records.empty() && out.size() < max) {
    out.push_back(std::move(state_->records.front()));
    state_->records.pop_front();
  }
  state_->room.notify_all();
  return out;
}

bool InputQueue::take_one(InputRecord& record, bool wait) {
  std::unique_lock<std::mutex> lock(state_->mutex);
  if (wait ? !state_->wait_for_record(lock) : state_->records.empty() || state_->stopped()) return false;
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
