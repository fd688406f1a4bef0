#include "draw/curve_plot.h"

#include <cmath>
#include <filesystem>

#include <fmt/format.h>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "errors.h"
#include "io/atomic_file.h"

namespace rd {
namespace {

const cv::Scalar kBlack(0, 0, 0), kGrid(228, 228, 228), kGray(150, 150, 150), kCurve(180, 100, 20);
constexpr int kFont = cv::FONT_HERSHEY_SIMPLEX;
constexpr int kShift = 4;  // sub-pixel bits for antialiased lines
constexpr int kLeft = 80, kRight = 30, kTop = 50, kBottom = 70;

// Maps curve coordinates in [0, 1] to pixels of the plot area.
struct Frame {
  int width, height;
  cv::Point2d pixel(double x, double y) const {
    return {kLeft + x * (width - kLeft - kRight), kTop + (1 - y) * (height - kTop - kBottom)};
  }
  cv::Point fixed(double x, double y) const {
    const cv::Point2d p = pixel(x, y);
    return {int(std::lround(p.x * (1 << kShift))), int(std::lround(p.y * (1 << kShift)))};
  }
};

void text(cv::Mat& image, const std::string& s, cv::Point at, double scale, bool centred = false) {
  int baseline = 0;
  const cv::Size size = cv::getTextSize(s, kFont, scale, 1, &baseline);
  if (centred) at.x -= size.width / 2;
  cv::putText(image, s, at, kFont, scale, kBlack, 1, cv::LINE_AA);
}

void dashed(cv::Mat& image, cv::Point2d a, cv::Point2d b, const cv::Scalar& colour) {
  const double length = cv::norm(b - a);
  const int dashes = std::max(1, int(length / 8));
  for (int i = 0; i < dashes; i += 2) {
    const cv::Point2d p = a + (b - a) * (double(i) / dashes), q = a + (b - a) * (double(i + 1) / dashes);
    cv::line(image, p, q, colour, 1, cv::LINE_AA);
  }
}

void axes(cv::Mat& image, const Frame& f, const PlotStyle& style) {
  for (int i = 0; i <= 5; ++i) {
    const double v = i / 5.0;
    cv::line(image, f.pixel(v, 0), f.pixel(v, 1), kGrid, 1);
    cv::line(image, f.pixel(0, v), f.pixel(1, v), kGrid, 1);
    const cv::Point2d bx = f.pixel(v, 0), ly = f.pixel(0, v);
    cv::line(image, bx, bx + cv::Point2d(0, 5), kBlack, 1);
    cv::line(image, ly, ly - cv::Point2d(5, 0), kBlack, 1);
    const std::string label = fmt::format("{:.1f}", v);
    text(image, label, cv::Point(int(bx.x), int(bx.y) + 22), 0.45, true);
    text(image, label, cv::Point(int(ly.x) - 36, int(ly.y) + 5), 0.45);
  }
  cv::rectangle(image, f.pixel(0, 1), f.pixel(1, 0), kBlack, 1);
  text(image, style.title, cv::Point(f.width / 2, 30), 0.6, true);
  text(image, style.x_label, cv::Point(int(f.pixel(0.5, 0).x), f.height - 18), 0.5, true);
  // The y label, drawn horizontally and turned a quarter.
  int baseline = 0;
  const cv::Size size = cv::getTextSize(style.y_label, kFont, 0.5, 1, &baseline);
  cv::Mat label(size.height + baseline + 4, size.width + 4, CV_8UC3, cv::Scalar::all(255));
  cv::putText(label, style.y_label, cv::Point(2, size.height + 2), kFont, 0.5, kBlack, 1, cv::LINE_AA);
  cv::rotate(label, label, cv::ROTATE_90_COUNTERCLOCKWISE);
  const int x = 12, y = int(f.pixel(0, 0.5).y) - label.rows / 2;
  if (y >= 0 && y + label.rows <= image.rows) label.copyTo(image(cv::Rect(x, y, label.cols, label.rows)));
}

void legend(cv::Mat& image, const Frame& f, const PlotStyle& style) {
  if (style.legend.empty()) return;
  int baseline = 0;
  const cv::Size size = cv::getTextSize(style.legend, kFont, 0.5, 1, &baseline);
  const int w = size.width + 60, h = size.height + 20;
  const cv::Point2d corner = style.legend_bottom_left ? f.pixel(0, 0) + cv::Point2d(12, -12 - h)
                                                      : f.pixel(1, 0) + cv::Point2d(-12 - w, -12 - h);
  const cv::Rect box(int(corner.x), int(corner.y), w, h);
  cv::rectangle(image, box, cv::Scalar::all(255), cv::FILLED);
  cv::rectangle(image, box, kGray, 1);
  const int mid = box.y + h / 2;
  cv::line(image, cv::Point(box.x + 10, mid), cv::Point(box.x + 40, mid), kCurve, 2, cv::LINE_AA);
  text(image, style.legend, cv::Point(box.x + 50, mid + size.height / 2), 0.5);
}

std::string number(double v) { return std::isinf(v) ? (v > 0 ? "inf" : "-inf") : fmt::format("{}", v); }

}  // namespace

cv::Mat plot_curve(const std::vector<CurvePoint>& curve, const PlotStyle& style) {
  cv::Mat image(style.height, style.width, CV_8UC3, cv::Scalar::all(255));
  const Frame f{style.width, style.height};
  axes(image, f, style);
  if (style.diagonal) dashed(image, f.pixel(0, 0), f.pixel(1, 1), kGray);
  if (style.x_limit) dashed(image, f.pixel(*style.x_limit, 0), f.pixel(*style.x_limit, 1), kGray);
  std::vector<cv::Point> points;
  points.reserve(curve.size());
  for (const CurvePoint& p : curve) points.push_back(f.fixed(p.x, p.y));
  if (points.size() >= 2) cv::polylines(image, points, false, kCurve, 2, cv::LINE_AA, kShift);
  legend(image, f, style);
  return image;
}

void write_curve_csv(const std::string& path, const std::vector<CurvePoint>& curve, const std::string& x_name,
                     const std::string& y_name) {
  write_file_atomically(path, [&](std::ostream& out) {
    out << x_name << ',' << y_name << ",threshold\n";
    for (const CurvePoint& p : curve) out << number(p.x) << ',' << number(p.y) << ',' << number(p.threshold) << '\n';
  });
}

void write_png(const std::string& path, const cv::Mat& image) {
  std::vector<unsigned char> bytes;
  if (!cv::imencode(".png", image, bytes)) throw RuntimeFailure(fmt::format("cannot encode '{}' as PNG", path));
  write_file_atomically(path, [&](std::ostream& out) {
    out.write(reinterpret_cast<const char*>(bytes.data()), std::streamsize(bytes.size()));
  });
}

std::vector<std::string> write_curves(const EvalReport& report, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw RuntimeFailure(fmt::format("cannot make the curves directory '{}': {}", dir, ec.message()));
  std::vector<std::string> written;
  auto both = [&](const std::string& stem, const std::vector<CurvePoint>& curve, const std::string& x,
                  const std::string& y, const PlotStyle& style) {
    const std::string base = (std::filesystem::path(dir) / stem).string();
    write_curve_csv(base + ".csv", curve, x, y);
    write_png(base + ".png", plot_curve(curve, style));
    written.push_back(base + ".csv");
    written.push_back(base + ".png");
  };
  auto style = [](const char* title, const char* x, const char* y, std::string legend) {
    PlotStyle s;
    s.title = title;
    s.x_label = x;
    s.y_label = y;
    s.legend = std::move(legend);
    return s;
  };
  const auto& m = report.overall.image;
  const auto& c = report.curves;
  PlotStyle roc = style("Image ROC", "False positive rate", "True positive rate",
                        fmt::format("AUROC = {:.4f}", m.auroc));
  roc.diagonal = true;
  both("roc", c.roc, "fpr", "tpr", roc);
  PlotStyle pr = style("Image precision-recall", "Recall", "Precision",
                       fmt::format("AP = {:.4f}", m.average_precision));
  pr.legend_bottom_left = true;
  both("pr", c.pr, "recall", "precision", pr);
  if (const auto& p = report.overall.pixel) {
    if (!c.pixel_roc.empty()) {
      PlotStyle pixel_roc = style("Pixel ROC", "False positive rate", "True positive rate",
                                  fmt::format("AUROC = {:.4f}", p->auroc));
      pixel_roc.diagonal = true;
      both("pixel_roc", c.pixel_roc, "fpr", "tpr", pixel_roc);
    }
    if (!c.pro.empty()) {
      PlotStyle pro = style("Per-region overlap", "False positive rate", "PRO",
                            fmt::format("AUPRO (FPR <= {}) = {:.4f}", report.options.fpr_limit, p->aupro));
      pro.x_limit = report.options.fpr_limit;
      both("pro", c.pro, "fpr", "pro", pro);
    }
  }
  return written;
}

}  // namespace rd
