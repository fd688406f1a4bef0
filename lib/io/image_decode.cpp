#include "io/image_decode.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <vector>

#include <fmt/format.h>
#include <opencv2/core/utils/logger.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "errors.h"

namespace rd {
namespace {

uint32_t be16(const unsigned char* p) { return uint32_t(p[0]) << 8 | p[1]; }
uint32_t be32(const unsigned char* p) { return be16(p) << 16 | be16(p + 2); }
uint32_t le16(const unsigned char* p) { return uint32_t(p[1]) << 8 | p[0]; }
uint32_t le32(const unsigned char* p) { return le16(p + 2) << 16 | le16(p); }

std::pair<int64_t, int64_t> sniff_jpeg(const unsigned char* d, size_t n) {
  size_t i = 2;
  while (i + 9 < n) {
    if (d[i] != 0xFF) return {0, 0};
    const unsigned char marker = d[i + 1];
    if (marker == 0xFF) { ++i; continue; }
    const bool sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) return {be16(d + i + 7), be16(d + i + 5)};
    i += 2 + be16(d + i + 2);
  }
  return {0, 0};
}

std::pair<int64_t, int64_t> sniff_tiff(const unsigned char* d, size_t n) {
  const bool le = d[0] == 'I';
  auto u16 = [&](size_t at) { return le ? le16(d + at) : be16(d + at); };
  auto u32 = [&](size_t at) { return le ? le32(d + at) : be32(d + at); };
  size_t ifd = u32(4);
  if (ifd + 2 > n) return {0, 0};
  int64_t w = 0, h = 0;
  for (uint32_t k = 0, count = u16(ifd); k < count && ifd + 2 + 12 * (k + 1) <= n; ++k) {
    size_t e = ifd + 2 + 12 * k;
    const uint32_t tag = u16(e), type = u16(e + 2);
    const int64_t value = type == 3 ? u16(e + 8) : u32(e + 8);
    if (tag == 256) w = value;
    if (tag == 257) h = value;
  }
  return {w, h};
}

// libjpeg decodes a truncated JPEG without an error (grey where the data stopped) and libpng
// prints its own message on stderr before OpenCV gives up, so truncation is checked here:
// a JPEG needs an end-of-image marker after its last start-of-scan (markers cannot occur inside
// entropy-coded data, so the first of the two met from the end decides), a PNG its IEND chunk at
// the end (a little trailing junk is tolerated).
const char* truncation_of(const unsigned char* d, size_t n) {
  if (n >= 8 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) {
    const size_t from = n > 64 ? n - 64 : 0;
    for (size_t i = from; i + 4 <= n; ++i)
      if (std::memcmp(d + i, "IEND", 4) == 0) return nullptr;
    return "truncated PNG (no IEND chunk)";
  }
  if (n >= 4 && d[0] == 0xFF && d[1] == 0xD8) {
    for (size_t i = n - 1; i > 2; --i) {
      if (d[i - 1] != 0xFF) continue;
      if (d[i] == 0xD9) return nullptr;
      if (d[i] == 0xDA) break;
    }
    return "truncated JPEG (no end-of-image marker)";
  }
  return nullptr;
}

}  // namespace

std::pair<int64_t, int64_t> sniff_image_size(const unsigned char* d, size_t n) {
  if (n >= 24 && std::memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0) return {be32(d + 16), be32(d + 20)};
  if (n >= 4 && d[0] == 0xFF && d[1] == 0xD8) return sniff_jpeg(d, n);
  if (n >= 26 && d[0] == 'B' && d[1] == 'M') return {le32(d + 18), std::abs(int32_t(le32(d + 22)))};
  if (n >= 10 && std::memcmp(d, "GIF8", 4) == 0) return {le16(d + 6), le16(d + 8)};
  if (n >= 30 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) {
    if (std::memcmp(d + 12, "VP8X", 4) == 0)
      return {1 + (d[24] | d[25] << 8 | d[26] << 16), 1 + (d[27] | d[28] << 8 | d[29] << 16)};
    if (std::memcmp(d + 12, "VP8L", 4) == 0) {
      const uint32_t b = le32(d + 21);
      return {1 + (b & 0x3FFF), 1 + ((b >> 14) & 0x3FFF)};
    }
    if (std::memcmp(d + 12, "VP8 ", 4) == 0) return {le16(d + 26) & 0x3FFF, le16(d + 28) & 0x3FFF};
  }
  if (n >= 8 && (std::memcmp(d, "II*\0", 4) == 0 || std::memcmp(d, "MM\0*", 4) == 0)) return sniff_tiff(d, n);
  return {0, 0};
}

void quiet_opencv() {
  static const bool once = [] {
    cv::utils::logging::setLogLevel(cv::utils::logging::LOG_LEVEL_SILENT);
    return true;
  }();
  (void)once;
}

DecodedImage decode_image(const std::string& path, int64_t max_pixels) {
  auto fail = [&](const std::string& why) { return InputError(fmt::format("cannot decode '{}': {}", path, why)); };
  struct stat st {};
  if (stat(path.c_str(), &st) != 0) throw fail(std::strerror(errno));
  if (S_ISDIR(st.st_mode)) throw fail("is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw fail(std::strerror(errno));
  std::vector<unsigned char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw fail(fmt::format("read error: {}", std::strerror(errno)));
  if (bytes.empty()) throw fail("empty file (0 bytes)");

  auto [w, h] = sniff_image_size(bytes.data(), bytes.size());
  if (w > 0 && h > 0 && w * h > max_pixels)
    throw fail(fmt::format("{}x{} pixels is over the limit of {} (--max-pixels)", w, h, max_pixels));

  if (const char* why = truncation_of(bytes.data(), bytes.size()))
    throw fail(fmt::format("{} ({} bytes)", why, bytes.size()));

  quiet_opencv();
  cv::Mat img;
  try {
    img = cv::imdecode(bytes, cv::IMREAD_UNCHANGED | cv::IMREAD_ANYDEPTH);
  } catch (const cv::Exception& e) {
    throw fail(e.msg);
  }
  if (img.empty()) throw fail(fmt::format("not an image or truncated ({} bytes)", bytes.size()));

  DecodedImage out;
  out.width = img.cols;
  out.height = img.rows;
  out.eight_bit = img.depth() == CV_8U;
  double scale = 1.0;
  switch (img.depth()) {
    case CV_8U: scale = 1.0 / 255; break;
    case CV_16U: scale = 1.0 / 65535; break;
    case CV_32F: case CV_64F: break;
    default: throw fail("unsupported sample type");
  }
  // PIL's convert('RGB') drops alpha without compositing; do the same.
  auto to_rgb = [&](const cv::Mat& m, cv::Mat& dst) {
    switch (m.channels()) {
      case 1: cv::cvtColor(m, dst, cv::COLOR_GRAY2RGB); break;
      case 3: cv::cvtColor(m, dst, cv::COLOR_BGR2RGB); break;
      case 4: cv::cvtColor(m, dst, cv::COLOR_BGRA2RGB); break;
      default: throw fail(fmt::format("unsupported channel count {}", m.channels()));
    }
  };
  if (out.eight_bit) {
    to_rgb(img, out.rgb8);
  } else {
    cv::Mat f;
    img.convertTo(f, CV_32F, scale);
    to_rgb(f, out.rgb);
  }
  return out;
}

}  // namespace rd
