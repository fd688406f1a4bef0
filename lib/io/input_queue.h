// Inputs as they arrive: a thread pulls records from a source that may block (a pipe from a
// camera's watcher, a FIFO) into a bounded queue, so that a consumer can take whatever has
// arrived without waiting for more (DESIGN §2 "Latency").
#pragma once
#include <atomic>
#include <cstddef>
#include <functional>
#include <memory>
#include <vector>

#include "io/input_records.h"

namespace rd {

class InputQueue {
 public:
  // Says true and fills the record, or false at the end of the inputs. Called on the queue's
  // thread only, so it may block (reading stdin).
  using Source = std::function<bool(InputRecord&)>;
  // Says whether the next call of the source would wait for input that has not arrived (also
  // called on the queue's thread). Without it, the source is taken to never wait.
  using WouldWait = std::function<bool()>;

  // Starts reading ahead, holding at most `capacity` records that were not taken yet.
  // `stop` (optional): when it becomes non-zero, waiting takes give up and say the end.
  InputQueue(Source source, std::size_t capacity, const std::atomic<int>* stop = nullptr,
             WouldWait would_wait = {});
  // Joins the reader, or leaves it behind where it is blocked in a read after a stop (its
  // state is shared, so it may finish later without touching freed memory).
  ~InputQueue();
  InputQueue(const InputQueue&) = delete;
  InputQueue& operator=(const InputQueue&) = delete;

  // Waits until at least one record has arrived, then takes up to `max` of those that have: it
  // returns fewer only when the source waits for more input (or ends). Empty at the end of the
  // inputs (or after a stop).
  std::vector<InputRecord> take(std::size_t max);
  // Takes one record: waiting for it when `wait`, else only if one has arrived (it still waits
  // for one the source is reading). False when there is none (the end, a stop, or none has
  // arrived without `wait`).
  bool take_one(InputRecord& record, bool wait);
  // Rethrows what the source threw, once every record before it was taken.
  void rethrow_if_failed();

 private:
  struct State;
  std::shared_ptr<State> state_;
};

}  // namespace rd
