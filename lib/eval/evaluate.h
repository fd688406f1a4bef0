// rd-eval's work: labelled score records in, image and pixel metrics out (DESIGN §5).
//
// Records are JSON objects with `score` and `label` (1 anomalous, 0 normal), optionally `defect`,
// `map` (an anomaly map file) and `mask` (a ground-truth mask image). Nothing is dropped
// silently: records with `error`, without a label, or that cannot be used are counted.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "eval/metrics.h"
#include "io/input_records.h"

namespace rd {

// How AUPRO is computed: the MVTec AD evaluation's (all images jointly, integrated to the FPR
// limit) or the RD4AD paper's test.py (per image, 200 thresholds, averaged).
enum class ProMode { mvtec, rd4ad };

// Parses "mvtec" or "rd4ad"; throws UsageError otherwise.
ProMode parse_pro_mode(const std::string& text);
const char* pro_mode_name(ProMode mode);

// Reads a record's `label`: 1 or 0 (also true/false and 1.0/0.0), kNoLabel when absent or
// null. Says false, leaving kNoLabel, for any other value.
bool read_label(const RecordFields& record, int& label);

struct EvalOptions {
  double fpr_limit = 0.3;  // AUPRO integration limit, in (0, 1]; rd4ad mode allows only 0.3
  ProMode pro_mode = ProMode::mvtec;
  bool by_defect = false;  // also each defect's records against all normal ones
  bool pixel = true;       // pixel metrics when the records carry maps and masks
  bool curves = false;     // keep the ROC/PR (and pixel ROC/PRO) curves in the report
  std::size_t curve_points = 1000;  // pixel curves are thinned to about this many points
  // Pixel metrics keep every pixel (8 bytes each; exact: 1e-9 against scikit-learn) while a
  // group has at most this many pixels, and beyond it stream over the map files in bounded
  // memory (StreamingPixelMetrics: within 2e-5, at the cost of one to three more passes).
  std::uint64_t exact_pixel_limit = kDefaultExactPixelLimit;
  static constexpr std::uint64_t kDefaultExactPixelLimit = std::uint64_t(1) << 25;  // 256 MiB of pixels
};

struct EvalCounts {
  std::size_t records = 0;             // every record read
  std::size_t normal = 0;              // used, label 0
  std::size_t anomalous = 0;           // used, label 1
  std::size_t skipped_error = 0;       // with `error`, or unusable (bad line, score, label, map, mask)
  std::size_t skipped_unlabelled = 0;  // no label (absent or null)
};

// Pixel metrics of one group of images.
struct PixelResult {
  std::size_t images = 0;   // images with a map (and, if anomalous, a mask)
  std::size_t regions = 0;  // connected ground-truth regions among them
  double auroc = 0;
  double aupro = 0;
  double average_precision = 0;
  int passes = 0;          // passes over the maps when streamed; 0: exact (every pixel held)
  double error_bound = 0;  // streamed: the largest error the metrics can have; exact: 0
};

// The metrics of one group: all records, or one defect's records with all normal ones.
struct GroupMetrics {
  std::string name;  // "all" or the defect
  ImageMetrics image;
  std::optional<PixelResult> pixel;  // absent without maps and masks
};

// Curves of the whole set, kept with EvalOptions::curves. Pixel curves are thinned.
struct EvalCurves {
  std::vector<CurvePoint> roc;        // FPR, TPR
  std::vector<CurvePoint> pr;         // recall, precision
  std::vector<CurvePoint> pixel_roc;  // empty without pixel metrics
  std::vector<CurvePoint> pro;        // FPR, PRO; empty without pixel metrics or in rd4ad mode
};

struct EvalReport {
  EvalOptions options;
  EvalCounts counts;
  GroupMetrics overall;
  std::vector<GroupMetrics> by_defect;  // sorted by name; empty without EvalOptions::by_defect
  EvalCurves curves;
};

struct EvalCallbacks {
  std::function<void(const std::string&)> warn;
  // Maps read so far and in all; pixel metrics read every map once, and once more per defect.
  std::function<void(std::size_t done, std::size_t total)> progress;
};

// Collects records, then computes the report. Records are kept as scores, labels and file
// names; maps are read only in finish(), one at a time.
class Evaluator {
 public:
  // Throws UsageError for an FPR limit outside (0, 1] or rd4ad mode with a limit other than 0.3.
  explicit Evaluator(EvalOptions options = {}, EvalCallbacks callbacks = {});

  // Reads JSON lines; `source` names the stream in warnings ("scores.jsonl:12: ...").
  void read(std::istream& in, const std::string& source);
  // Takes one record; `where` names it in warnings.
  void add(const RecordFields& record, const std::string& where);

  // Computes the metrics. Throws UsageError when no record is usable or only one class is
  // present (the metrics are undefined then). A map or mask that cannot be read skips its
  // record (counted in skipped_error, with a warning); pixel metrics that are undefined for a
  // group (no anomalous pixel, no region) are left out with a warning.
  EvalReport finish();

 private:
  struct Entry {
    double score;
    int label;
    std::string defect;
    std::string map;   // empty: none
    std::string mask;  // empty: none
    std::string where;
    bool pixel = false;       // takes part in the pixel metrics
    bool unreadable = false;  // its map or mask could not be read
  };
  using Group = std::vector<Entry*>;

  void warn(const std::string& message) const;
  void skip(const std::string& where, const std::string& cause);
  bool choose_pixel_entries();
  std::optional<PixelResult> pixel_metrics(const Group& group, const std::string& name, EvalCurves* curves,
                                           bool first_pass);
  GroupMetrics group_metrics(const std::string& name, const Group& group, bool pixel, EvalCurves* curves);

  EvalOptions options_;
  EvalCallbacks callbacks_;
  EvalCounts counts_;
  std::vector<Entry> entries_;
  std::size_t upstream_errors_ = 0;
  std::size_t maps_done_ = 0, maps_total_ = 0;
};

// Reads one stream of JSON lines and evaluates it.
EvalReport evaluate(std::istream& in, const EvalOptions& options = {}, const EvalCallbacks& callbacks = {});

}  // namespace rd
