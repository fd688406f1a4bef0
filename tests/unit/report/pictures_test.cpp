// The page's pictures: what a browser shows as it is, thumbnails of what it cannot, maps drawn on
// the fixed scale, embedding within its budget, and a missing image that is a note, not an error.
#include "report/pictures.h"

#include <doctest/doctest.h>

#include <filesystem>
#include <vector>

#include <opencv2/imgcodecs.hpp>

#include "io/npy.h"
#include "support.h"

namespace fs = std::filesystem;

namespace {

struct Scene {
  std::string dir = rd::test::scratch_dir("report-pictures");
  Scene() {
    const cv::Mat image(40, 60, CV_8UC3, cv::Scalar(30, 140, 200));
    cv::imwrite(dir + "/a.png", image);
    cv::imwrite(dir + "/b.tif", image);
    cv::Mat deep;
    image.convertTo(deep, CV_16UC3, 257);
    cv::imwrite(dir + "/deep.png", deep);
    std::vector<float> map(20 * 30, 0.1f);
    map[10 * 30 + 15] = 0.9f;
    rd::write_npy(dir + "/a.npy", map.data(), 20, 30);
  }
  ~Scene() { fs::remove_all(dir); }

  rd::PictureOptions options() const {
    rd::PictureOptions o;
    o.page_dir = dir;
    o.files_dir = dir + "/report_files";
    o.files_url = "report_files/";
    o.width = 120;
    return o;
  }
  rd::ReportEntry entry(const std::string& name, std::size_t index = 0) const {
    rd::ReportEntry e;
    e.index = index;
    e.path = dir + "/" + name;
    e.score = 0.5;
    e.where = "run:1";
    return e;
  }
};

}  // namespace

TEST_CASE("browsers show 8-bit PNG and JPEG as they are, not TIFF or 16-bit PNG") {
  Scene s;
  CHECK(rd::browser_shows(s.dir + "/a.png"));
  CHECK_FALSE(rd::browser_shows(s.dir + "/deep.png"));
  CHECK_FALSE(rd::browser_shows(s.dir + "/b.tif"));
  CHECK(rd::browser_shows("x/photo.JPG"));
}

TEST_CASE("an image is linked, a TIFF gets a PNG thumbnail, a map is drawn over its image") {
  Scene s;
  rd::PictureMaker maker(s.options());
  const rd::Picture plain = maker.gallery(s.entry("a.png", 0));
  CHECK(plain.kind == "image");
  CHECK(plain.src == "a.png");

  const rd::Picture tiff = maker.gallery(s.entry("b.tif", 1));
  CHECK(tiff.kind == "image");
  CHECK(tiff.src.rfind("report_files/thumb_b_", 0) == 0);
  CHECK(fs::exists(s.dir + "/" + tiff.src));

  rd::ReportEntry with_map = s.entry("a.png", 2);
  with_map.map = s.dir + "/a.npy";
  const rd::Picture unscaled = maker.gallery(with_map);  // no colour scale: the image alone, said so
  CHECK(unscaled.kind == "image");
  CHECK(unscaled.note.find("no colour scale") != std::string::npos);

  rd::PictureOptions o = s.options();
  o.scale = rd::ColourScale{0, 1, 0.5, false};
  rd::PictureMaker drawing(o);
  const rd::Picture drawn = drawing.gallery(with_map);
  CHECK(drawn.kind == "map");
  REQUIRE(drawn.src.rfind("report_files/map_a_", 0) == 0);
  const cv::Mat picture = cv::imread(s.dir + "/" + drawn.src);
  CHECK(picture.cols == 120);  // drawn at the picture width, the small image scaled up
  CHECK(drawing.table_src(with_map) == drawn.src);
  CHECK(drawing.counts()["drawn"] == 1);
}

TEST_CASE("a picture that cannot be made is a note and a count, never an error") {
  Scene s;
  std::vector<std::string> warnings;
  rd::PictureOptions o = s.options();
  o.warn = [&](const std::string& m) { warnings.push_back(m); };
  rd::PictureMaker maker(o);
  const rd::Picture gone = maker.gallery(s.entry("gone.tif"));
  CHECK(gone.src.empty());
  CHECK(gone.note.find("gone.tif") != std::string::npos);
  REQUIRE(warnings.size() == 1);
  CHECK(warnings[0].rfind("run:1: no picture: ", 0) == 0);
  CHECK(maker.counts()["failed"] == 1);
}

TEST_CASE("--embed puts JPEG data in the page until its budget is spent, then links") {
  Scene s;
  rd::PictureOptions o = s.options();
  o.embed = true;
  rd::PictureMaker maker(o);
  const rd::Picture embedded = maker.gallery(s.entry("a.png"));
  CHECK(embedded.src.rfind("data:image/jpeg;base64,", 0) == 0);
  CHECK(maker.table_src(s.entry("a.png")).empty());  // the table takes the gallery's picture
  o.embed_limit = 10;
  rd::PictureMaker poor(o);
  CHECK(poor.gallery(s.entry("a.png")).src.rfind("report_files/image_a_", 0) == 0);
  const auto counts = poor.counts();
  CHECK(counts["embedded"] == 0);
  CHECK(counts["linked"] == 1);
}
