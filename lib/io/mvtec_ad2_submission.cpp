#include "io/mvtec_ad2_submission.h"

#include <cstdint>
#include <filesystem>
#include <vector>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "errors.h"
#include "io/atomic_file.h"
#include "io/mvtec_ad2.h"

namespace fs = std::filesystem;

namespace rd {
namespace {

// Appends little-endian integers, as TIFF "II" files store them.
void put16(std::vector<char>& out, std::uint16_t v) {
  out.push_back(char(v & 0xff));
  out.push_back(char(v >> 8));
}

void put32(std::vector<char>& out, std::uint32_t v) {
  for (int shift = 0; shift < 32; shift += 8) out.push_back(char((v >> shift) & 0xff));
}

void create_parent(const std::string& path) {
  std::error_code ec;
  fs::create_directories(fs::path(path).parent_path(), ec);
  if (ec) throw RuntimeFailure(fmt::format("cannot create the folder of '{}': {}", path, ec.message()));
}

}  // namespace

std::string mvtec_ad2_submission_name(const std::string& image_path) {
  const fs::path p = fs::path(image_path).lexically_normal();
  std::vector<std::string> parts;
  for (const auto& part : p) parts.push_back(part.string());
  for (std::size_t i = parts.size(); i-- > 1;) {
    bool split = false;
    for (const char* s : kMvtecAd2TestSets) split = split || parts[i] == s;
    if (!split || i + 1 >= parts.size()) continue;
    fs::path name = fs::path(parts[i - 1]) / parts[i];
    for (std::size_t k = i + 1; k + 1 < parts.size(); ++k) name /= parts[k];
    return (name / p.stem()).string();
  }
  throw InputError(fmt::format("'{}' is not an image of an MVTec AD 2 test set (<object>/test_private/, "
                               "test_private_mixed/, test_public/ or validation/)", image_path));
}

void write_float16_tiff(const std::string& path, const cv::Mat& map) {
  if (map.type() != CV_32FC1 || map.empty())
    throw InputError(fmt::format("'{}': an anomaly map to write must be float32 with one channel", path));
  const std::uint64_t bytes = std::uint64_t(map.total()) * 2;
  if (bytes > 0xffffff00u) throw InputError(fmt::format("'{}': a {}x{} map is too large for a TIFF", path, map.cols, map.rows));
  cv::Mat clamped, half;
  cv::min(map, 65504.0, clamped);
  cv::max(clamped, -65504.0, clamped);
  clamped.convertTo(half, CV_16F);  // round to nearest even, as numpy's astype(float16)

  // Header, one IFD of 11 entries (in tag order, as TIFF requires), then the pixels.
  struct Entry {
    std::uint16_t tag, type;
    std::uint32_t value;
  };
  constexpr std::uint16_t kShort = 3, kLong = 4;
  constexpr std::uint32_t kEntries = 11, kData = 8 + 2 + kEntries * 12 + 4;
  const Entry entries[kEntries] = {
      {256, kLong, std::uint32_t(map.cols)},  // ImageWidth
      {257, kLong, std::uint32_t(map.rows)},  // ImageLength
      {258, kShort, 16},                      // BitsPerSample
      {259, kShort, 1},                       // Compression: none
      {262, kShort, 1},                       // PhotometricInterpretation: BlackIsZero
      {273, kLong, kData},                    // StripOffsets
      {277, kShort, 1},                       // SamplesPerPixel
      {278, kLong, std::uint32_t(map.rows)},  // RowsPerStrip: one strip
      {279, kLong, std::uint32_t(bytes)},     // StripByteCounts
      {284, kShort, 1},                       // PlanarConfiguration: contiguous
      {339, kShort, 3},                       // SampleFormat: IEEE floating point
  };
  std::vector<char> head{'I', 'I'};
  put16(head, 42);
  put32(head, 8);
  put16(head, kEntries);
  for (const Entry& e : entries) {
    put16(head, e.tag);
    put16(head, e.type);
    put32(head, 1);
    if (e.type == kShort) {
      put16(head, std::uint16_t(e.value));  // a SHORT sits left-justified in the 4-byte field
      put16(head, 0);
    } else {
      put32(head, e.value);
    }
  }
  put32(head, 0);  // no next IFD
  create_parent(path);
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(head.data(), std::streamsize(head.size()));
    for (int r = 0; r < half.rows; ++r) {
      std::vector<char> row;
      row.reserve(std::size_t(half.cols) * 2);
      const std::uint16_t* v = half.ptr<std::uint16_t>(r);
      for (int c = 0; c < half.cols; ++c) put16(row, v[c]);
      out.write(row.data(), std::streamsize(row.size()));
    }
  });
}

SubmissionFiles write_mvtec_ad2_submission(const std::string& dir, const std::string& image_path, const cv::Mat& map,
                                           cv::Size image_size, double threshold) {
  const std::string name = mvtec_ad2_submission_name(image_path);
  if (map.type() != CV_32FC1 || map.empty())
    throw InputError(fmt::format("'{}': the anomaly map must be float32 with one channel", image_path));
  cv::Mat full;
  if (map.size() == image_size) full = map;
  else cv::resize(map, full, image_size, 0, 0, cv::INTER_LINEAR);
  SubmissionFiles files;
  files.map = (fs::path(dir) / "anomaly_images" / (name + ".tiff")).string();
  files.thresholded = (fs::path(dir) / "anomaly_images_thresholded" / (name + ".png")).string();
  write_float16_tiff(files.map, full);
  const cv::Mat binary = full >= threshold;  // 0 or 255
  std::vector<uchar> png;
  if (!cv::imencode(".png", binary, png)) throw RuntimeFailure(fmt::format("cannot encode '{}'", files.thresholded));
  create_parent(files.thresholded);
  write_file_atomically(files.thresholded, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(png.data()), std::streamsize(png.size()));
  });
  return files;
}

}  // namespace rd
