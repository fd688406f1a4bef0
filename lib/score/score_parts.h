// What the untiled and the tiled scorer share: which inputs to score, and the records they emit.
#pragma once
#include <atomic>
#include <memory>
#include <string>
#include <unordered_set>

#include "io/input_queue.h"
#include "score/score.h"

namespace rd::detail {

// The inputs that pass --shard and --resume, in order; the others are counted as skipped.
class InputFilter {
 public:
  InputFilter(InputSource& source, const ScoreOptions& options);
  // The next input to score or report (a record with `error` is reported, not scored).
  bool next(InputRecord& record);
  bool would_wait() const { return source_.would_wait(); }
  int64_t skipped() const { return skipped_; }

 private:
  InputSource& source_;
  Shard shard_;
  std::unordered_set<std::string> done_;
  std::atomic<int64_t> skipped_{0};
};

// The inputs that pass the filter, read ahead on their own thread as they arrive, so that a
// batch is what has arrived (never a wait for more while there is work in hand).
class ArrivingInputs {
 public:
  ArrivingInputs(InputSource& source, const ScoreOptions& options, const std::atomic<int>* stop);
  InputQueue& queue() { return *queue_; }
  // Inputs --shard and --resume left out so far.
  int64_t skipped() const { return filter_->skipped(); }

 private:
  std::shared_ptr<InputFilter> filter_;  // shared with the reading thread, which may outlive a stop
  std::unique_ptr<InputQueue> queue_;
};

// The record for a scored input: its fields plus score, size, model and precision; with
// --maps, the map (row-major height x width, smoothed) is saved and named in `map`.
RecordFields scored_record(const InputRecord& input, double score, int width, int height, const Model& model,
                           const ScoreOptions& options, const float* map, int map_height, int map_width);

// Warns, emits the error record and counts it.
void report_failure(const InputRecord& input, const std::string& error, const ScoreCallbacks& callbacks,
                    ScoreSummary& summary);

void check_score_options(const ScoreOptions& options);

// score_inputs for a tiled model.
ScoreSummary score_tiled_inputs(Model& model, InputSource& source, const ScoreOptions& options,
                                const ScoreCallbacks& callbacks);

}  // namespace rd::detail
