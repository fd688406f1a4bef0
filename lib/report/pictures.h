// The page's pictures: a record's overlay, its map drawn over its image on the fixed colour scale
// (as rd-map draws it), or the image itself. Pictures a browser cannot show (TIFF, 16-bit PNG)
// and pictures the page draws become PNG files in the page's `<stem>_files/` folder, or, with
// --embed, JPEG data: URIs in the page.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <opencv2/core.hpp>

#include "draw/overlay.h"
#include "report/report.h"

namespace rd {

struct PictureOptions {
  std::string page_dir;    // the page's folder: links are relative to it
  std::string files_dir;   // where made pictures go (created when the first one is written)
  std::string files_url;   // the same folder as a URL relative to the page, ending in '/'
  bool embed = false;
  std::size_t embed_limit = 20u << 20;  // bytes of data: URIs at most; later pictures are linked
  int width = 480;                      // made pictures are at most this wide
  std::optional<ColourScale> scale;     // without one, maps are not drawn
  OverlayOptions overlay;
  int64_t max_pixels = kDefaultMaxPixels;
  std::function<void(const std::string&)> warn;
};

// What the page shows for one record.
struct Picture {
  std::string src;   // for <img src>; empty: no picture (see note)
  std::string kind;  // "overlay", "map" (drawn here), "image", or "" without a picture
  std::string note;  // why there is no picture, or what it lacks ("no map: the image alone")
};

class PictureMaker {
 public:
  explicit PictureMaker(PictureOptions options);

  // The gallery's picture: the record's overlay, else its map drawn over its image, else the
  // image (a thumbnail when a browser cannot show it). A picture that cannot be made is a note
  // and a warning, never an error of the run.
  Picture gallery(const ReportEntry& entry);
  // The table's picture, without decoding anything: the overlay, the picture the gallery made,
  // or the image when a browser shows it; empty with --embed (only the gallery is embedded).
  std::string table_src(const ReportEntry& entry) const;
  // The record's image as a link relative to the page.
  std::string link(const std::string& path) const;

  // {"drawn", "thumbnails", "linked", "embedded", "embedded_bytes", "failed"} of the pictures made.
  nlohmann::ordered_json counts() const;

 private:
  // A picture made here, named "<prefix>_<output_file_name>": a data: URI while the embedding
  // budget lasts, else a PNG in the files folder (its URL relative to the page).
  std::string place(const cv::Mat& picture, const std::string& source_path, const std::string& prefix);
  std::string embed_file(const std::string& path);

  PictureOptions options_;
  std::map<std::size_t, std::string> made_;  // entry index -> src of a picture made for it
  std::size_t drawn_ = 0, thumbnails_ = 0, linked_ = 0, embedded_ = 0, embedded_bytes_ = 0, failed_ = 0;
  std::size_t over_limit_ = 0;
  bool files_dir_made_ = false;
};

// Says whether browsers show the file as it is: PNG (8-bit or less), JPEG, GIF, WebP, BMP, AVIF
// by its extension; a PNG's bit depth is read from its header.
bool browser_shows(const std::string& path);

}  // namespace rd
