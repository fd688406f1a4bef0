// rd-map's work: for each scored record, an overlay of its anomaly map on its image, written to a
// directory, and the record again with `overlay` added (DESIGN §2, §5).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "draw/overlay.h"
#include "io/image_decode.h"
#include "io/input_records.h"

namespace rd {

// What the user gave for the colour scale: rd-map's -t, -m, --range and --normalize.
struct ScaleRequest {
  std::string threshold_file;                 // -t: a pixel threshold file; empty if none
  const nlohmann::json* model_meta = nullptr;  // -m: the model's metadata; null if none
  std::string model_name;                     // -m's path, for messages
  std::string model_id;                       // -m's model id
  std::string range;                          // --range "LO,HI"; empty if none
  bool per_image = false;                     // --normalize per-image
};

struct ResolvedScale {
  ColourScale scale;
  std::optional<std::string> model_id;  // the model the scale belongs to (-m, or the threshold file's)
  std::string description;              // one line for -v: the scale, the threshold and where they came from
};

// Reads the threshold file and the model's validation pixel statistics and applies choose_scale.
// Throws UsageError for a threshold file that is not a pixel threshold, one fitted for another
// model than -m, a bad --range, or when no scale can be made; FormatError for a malformed file.
ResolvedScale resolve_scale(const ScaleRequest& request);

// Parses --range "LO,HI". Throws UsageError for anything but two finite numbers.
std::pair<double, double> parse_range(const std::string& text);

struct MapToolOptions {
  std::string out_dir;        // overlays go here, named by output_file_name(path, format)
  std::string format = "png";  // png or jpg
  int quality = 95;           // JPEG quality, 1-100
  OverlayOptions overlay;
  ColourScale scale;
  std::optional<std::string> model_id;  // records naming another `model` are refused (UsageError)
  int64_t max_pixels = kDefaultMaxPixels;
  // Instead of overlays: MVTec AD 2's submission below this folder (write_mvtec_ad2_submission),
  // the map at the image's size and thresholded at the scale's pixel threshold, which it needs.
  std::string mvtec_ad2_dir;
};

// Checks the format ("jpeg" becomes "jpg"), the quality and the alpha, and that there is one
// output: -o DIR, or an MVTec AD 2 folder with a pixel threshold. Throws UsageError.
void check_map_tool_options(MapToolOptions& options);

struct MapToolCallbacks {
  std::function<void(const RecordFields&)> emit;        // each record, in input order
  std::function<void(const std::string&)> report;       // why a record failed (one line, names the file)
  std::function<cv::Mat(const std::string&)> compute_map;  // image path -> map; empty: records need `map`
  std::function<void(std::size_t done)> progress;
  std::function<bool()> should_stop;  // polled after each record (SIGINT/SIGTERM): read() returns early
};

struct MapToolCounts {
  std::size_t records = 0;   // every record read
  std::size_t drawn = 0;     // overlays written
  std::size_t failed = 0;    // records this tool turned into error records
  std::size_t upstream = 0;  // records that came with `error`, passed through unchanged
};

// An image as 8-bit BGR, decoded as rd-score decodes it (no EXIF rotation, so a map fits it;
// 16-bit and float images scaled from 0..1 to 0..255). Throws InputError naming the file.
cv::Mat read_image_bgr8(const std::string& path, int64_t max_pixels);

// One record's inputs to draw_overlay, read as rd-map reads them: the image as 8-bit BGR (decoded
// as rd-score decodes it), the map from the record's `map` (else compute_map(path), when given),
// the `mask`, and `score`, `anomalous` and `threshold`. Throws InputError naming the record for an
// image, map or mask it cannot use (no `map` and no compute_map, non-finite map values).
OverlayInput read_overlay_input(const InputRecord& record, int64_t max_pixels,
                                const std::function<cv::Mat(const std::string&)>& compute_map = {});

// The record loop. A record that already has `error` passes through unchanged; a bad record
// (unusable line, image that does not decode, no `map` and no model, unreadable map, mask or
// non-finite map) becomes an error record, is reported, and the run goes on. Writing an overlay
// that fails throws RuntimeFailure (exit 3); a record of another model throws UsageError.
class MapTool {
 public:
  MapTool(MapToolOptions options, MapToolCallbacks callbacks);

  // Reads every record of a stream (JSON lines, or plain image paths, or NUL-separated paths).
  // Says false when should_stop ended it early.
  bool read(std::istream& in, const std::string& source, bool nul_separated);
  // Draws one record and emits it.
  void add(const InputRecord& record);
  const MapToolCounts& counts() const { return counts_; }

 private:
  RecordFields draw(const InputRecord& record);
  RecordFields submit(const InputRecord& record);
  void write_overlay(const std::string& path, const cv::Mat& picture) const;
  void check_model(const RecordFields& fields, const std::string& where) const;

  MapToolOptions options_;
  MapToolCallbacks callbacks_;
  MapToolCounts counts_;
};

}  // namespace rd
