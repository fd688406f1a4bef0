// Inputs taken as they arrive: a take never waits for more than one record, keeps order, ends,
// gives up on a stop while the source is blocked, and passes on the source's failure.
#include "io/input_queue.h"

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <doctest/doctest.h>

namespace {

// A source that hands out records as a test releases them, like a pipe written by a camera.
struct Feed {
  std::mutex m;
  std::condition_variable cv;
  int released = 0, given = 0;
  bool closed = false;

  void release(int n) {
    std::lock_guard<std::mutex> lock(m);
    released += n;
    cv.notify_all();
  }
  void close() {
    std::lock_guard<std::mutex> lock(m);
    closed = true;
    cv.notify_all();
  }
  bool would_wait() {
    std::lock_guard<std::mutex> lock(m);
    return given >= released && !closed;
  }
  bool next(rd::InputRecord& r) {
    std::unique_lock<std::mutex> lock(m);
    cv.wait(lock, [&] { return given < released || closed; });
    if (given >= released) return false;
    r.path = "p" + std::to_string(given++);
    return true;
  }
};

std::vector<std::string> paths(const std::vector<rd::InputRecord>& rs) {
  std::vector<std::string> out;
  for (const auto& r : rs) out.push_back(r.path);
  return out;
}

}  // namespace

rd::InputQueue::WouldWait waits_of(const std::shared_ptr<Feed>& feed) {
  return [feed] { return feed->would_wait(); };
}

TEST_CASE("a take returns what has arrived without waiting for a full batch, in order") {
  auto feed = std::make_shared<Feed>();
  rd::InputQueue q([feed](rd::InputRecord& r) { return feed->next(r); }, 16, nullptr, waits_of(feed));
  feed->release(2);
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::string> got;
  while (got.size() < 2) {  // the two may arrive in one take or two
    auto part = paths(q.take(8));
    got.insert(got.end(), part.begin(), part.end());
  }
  CHECK(got == std::vector<std::string>{"p0", "p1"});
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  rd::InputRecord r;
  CHECK_FALSE(q.take_one(r, /*wait=*/false));  // nothing more has arrived: no wait
  feed->release(3);
  CHECK(q.take_one(r, /*wait=*/true));
  CHECK(r.path == "p2");
  feed->close();
  got = paths(q.take(8));
  while (!got.empty() && got.back() != "p4") {
    auto part = paths(q.take(8));
    got.insert(got.end(), part.begin(), part.end());
  }
  CHECK(got == std::vector<std::string>{"p3", "p4"});
  CHECK(q.take(8).empty());  // the end
}

TEST_CASE("a source that is busy, not waiting for input, fills whole batches") {
  // Records that have arrived but are still being read (a slow disk, a starved reader thread)
  // belong in the batch: the take waits for them.
  int n = 0;
  rd::InputQueue q(
      [&n](rd::InputRecord& r) {
        if (n == 8) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        r.path = std::to_string(n++);
        return true;
      },
      16, nullptr, [] { return false; });
  CHECK(q.take(4).size() == 4);
  CHECK(q.take(4).size() == 4);
  CHECK(q.take(4).empty());
}

TEST_CASE("a source that waits without saying so does not hold back what has arrived") {
  auto feed = std::make_shared<Feed>();
  rd::InputQueue q([feed](rd::InputRecord& r) { return feed->next(r); }, 16);  // no would_wait
  feed->release(1);
  const auto start = std::chrono::steady_clock::now();
  CHECK(q.take(8).size() == 1);  // after a short patience, not never
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  feed->close();
}

TEST_CASE("a take holds at most the batch and the queue reads ahead up to its capacity") {
  auto feed = std::make_shared<Feed>();
  feed->release(10);
  feed->close();
  rd::InputQueue q([feed](rd::InputRecord& r) { return feed->next(r); }, 4);
  std::vector<std::string> all;
  for (auto batch = q.take(3); !batch.empty(); batch = q.take(3)) {
    CHECK(batch.size() <= 3);
    for (auto& p : paths(batch)) all.push_back(p);
  }
  REQUIRE(all.size() == 10);
  for (int i = 0; i < 10; ++i) CHECK(all[size_t(i)] == "p" + std::to_string(i));
}

TEST_CASE("a stop ends a waiting take while the source is still blocked") {
  auto feed = std::make_shared<Feed>();
  std::atomic<int> stop{0};
  {
    rd::InputQueue q([feed](rd::InputRecord& r) { return feed->next(r); }, 4, &stop, waits_of(feed));
    stop = 15;  // as SIGTERM's handler does
    CHECK(q.take(8).empty());
    rd::InputRecord r;
    CHECK_FALSE(q.take_one(r, true));
  }  // the reader, still blocked, is left behind
  feed->close();  // and ends on its own
}

TEST_CASE("the source's failure comes out after the records before it") {
  int n = 0;
  rd::InputQueue q(
      [&n](rd::InputRecord& r) {
        if (n == 2) throw std::runtime_error("no such dataset");
        r.path = std::to_string(n++);
        return true;
      },
      8);
  std::vector<std::string> got;
  for (auto batch = q.take(8); !batch.empty(); batch = q.take(8))
    for (auto& p : paths(batch)) got.push_back(p);
  CHECK(got == std::vector<std::string>{"0", "1"});
  CHECK_THROWS_WITH_AS(q.rethrow_if_failed(), "no such dataset", std::runtime_error);
}
