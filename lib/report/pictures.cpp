#include "report/pictures.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "draw/curve_plot.h"
#include "draw/map_tool.h"
#include "errors.h"
#include "io/output_names.h"
#include "report/html.h"

namespace rd {
namespace {

std::string lower_extension(const std::string& path) {
  std::string ext = std::filesystem::path(path).extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return ext;
}

cv::Mat fit_width(const cv::Mat& picture, int width) {
  if (picture.cols <= width) return picture;
  cv::Mat out;
  const int height = std::max(1, int(std::lround(double(picture.rows) * width / picture.cols)));
  cv::resize(picture, out, {width, height}, 0, 0, cv::INTER_AREA);
  return out;
}

std::vector<unsigned char> encode(const cv::Mat& picture, const std::string& ext) {
  std::vector<unsigned char> bytes;
  std::vector<int> params;
  if (ext == ".jpg") params = {cv::IMWRITE_JPEG_QUALITY, 85};
  if (!cv::imencode(ext, picture, bytes, params)) throw RuntimeFailure(fmt::format("cannot encode a picture as {}", ext));
  return bytes;
}

}  // namespace

bool browser_shows(const std::string& path) {
  const std::string ext = lower_extension(path);
  if (ext == ".jpg" || ext == ".jpeg" || ext == ".gif" || ext == ".webp" || ext == ".bmp" || ext == ".avif") return true;
  if (ext != ".png") return false;
  // IHDR: signature (8), length (4), "IHDR" (4), width (4), height (4), bit depth (1).
  std::ifstream in(path, std::ios::binary);
  char head[25] = {};
  if (!in.read(head, sizeof head)) return true;  // unreadable: the browser will say so, as it would anyway
  return static_cast<unsigned char>(head[24]) <= 8;
}

PictureMaker::PictureMaker(PictureOptions options) : options_(std::move(options)) {}

std::string PictureMaker::link(const std::string& path) const { return relative_link(path, options_.page_dir); }

std::string PictureMaker::place(const cv::Mat& picture, const std::string& source_path, const std::string& prefix) {
  const cv::Mat small = fit_width(picture, options_.width);
  if (options_.embed) {
    const std::string uri = data_uri("image/jpeg", encode(small, ".jpg"));
    if (embedded_bytes_ + uri.size() <= options_.embed_limit) {
      embedded_bytes_ += uri.size();
      ++embedded_;
      return uri;
    }
    ++over_limit_;
  }
  if (!files_dir_made_) {
    std::error_code ec;
    std::filesystem::create_directories(options_.files_dir, ec);
    if (ec) throw RuntimeFailure(fmt::format("cannot make the folder '{}': {}", options_.files_dir, ec.message()));
    files_dir_made_ = true;
  }
  const std::string name = prefix + "_" + output_file_name(source_path, "png");
  write_png((std::filesystem::path(options_.files_dir) / name).string(), small);
  ++linked_;
  return options_.files_url + url_encode_path(name);
}

// A file shown as it is: linked, or with --embed re-encoded small (JPEG) into the page.
std::string PictureMaker::embed_file(const std::string& path) {
  if (!options_.embed) {
    ++linked_;
    return link(path);
  }
  return place(read_image_bgr8(path, options_.max_pixels), path, "image");
}

Picture PictureMaker::gallery(const ReportEntry& e) {
  Picture p;
  try {
    if (!e.overlay.empty()) {
      p.kind = "overlay";
      p.src = embed_file(e.overlay);
    } else if (!e.map.empty() && options_.scale) {
      InputRecord record;
      record.path = e.path;
      record.fields = {{"path", e.path}, {"map", e.map}};
      if (!e.mask.empty()) record.fields["mask"] = e.mask;
      if (e.score) record.fields["score"] = *e.score;
      if (e.anomalous) record.fields["anomalous"] = *e.anomalous;
      if (e.threshold) record.fields["threshold"] = *e.threshold;
      OverlayInput in = read_overlay_input(record, options_.max_pixels);
      // A small image is drawn at the picture's width, so that the legend band is legible.
      if (in.image.cols < options_.width) {
        const double f = double(options_.width) / in.image.cols;
        cv::resize(in.image, in.image, {}, f, f, cv::INTER_LINEAR);
        if (!in.mask.empty()) cv::resize(in.mask, in.mask, in.image.size(), 0, 0, cv::INTER_NEAREST);
      }
      p.kind = "map";
      p.src = place(draw_overlay(in, *options_.scale, options_.overlay), e.path, "map");
      ++drawn_;
    } else {
      p.kind = "image";
      if (!e.map.empty()) p.note = "no colour scale for its map (give -m MODEL or --pixel-threshold): the image alone";
      if (browser_shows(e.path)) {
        p.src = embed_file(e.path);
      } else {
        p.src = place(read_image_bgr8(e.path, options_.max_pixels), e.path, "thumb");
        ++thumbnails_;
      }
    }
  } catch (const InputError& error) {
    ++failed_;
    p = {};
    p.note = error.what();
    if (options_.warn) options_.warn(fmt::format("{}: no picture: {}", e.where, error.what()));
  } catch (const cv::Exception& error) {
    ++failed_;
    p = {};
    p.note = fmt::format("'{}': {}", e.path, error.err);
    if (options_.warn) options_.warn(fmt::format("{}: no picture: {}", e.where, p.note));
  }
  if (!p.src.empty()) made_[e.index] = p.src;
  return p;
}

std::string PictureMaker::table_src(const ReportEntry& e) const {
  if (options_.embed || !e.score) return "";  // an error record's image may well be what failed
  if (const auto it = made_.find(e.index); it != made_.end()) return it->second;
  if (!e.overlay.empty()) return link(e.overlay);
  if (!e.path.empty() && browser_shows(e.path)) return link(e.path);
  return "";
}

nlohmann::ordered_json PictureMaker::counts() const {
  if (over_limit_ && options_.warn)
    options_.warn(fmt::format("{} pictures did not fit in --embed-limit ({:.3g} MB); they are linked from '{}'", over_limit_,
                              double(options_.embed_limit) / (1 << 20), options_.files_dir));
  return {{"drawn", drawn_},       {"thumbnails", thumbnails_},         {"linked", linked_},
          {"embedded", embedded_}, {"embedded_bytes", embedded_bytes_}, {"failed", failed_}};
}

}  // namespace rd
