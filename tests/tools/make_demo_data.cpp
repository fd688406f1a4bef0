// rd-demo-data: writes a small synthetic category in the MVTec AD layout (DESIGN.md "Datasets") so the
// demo and the tests need no download: procedural textures as normal images, painted-in scratches,
// stains and holes with their masks.
//
// Determinism: every random number comes from splitmix64 seeded by --seed, the texture, the folder and
// the image index (never from std:: distributions, which are implementation-defined), and the pixel path uses
// only + - * / sqrt floor, which IEEE 754 rounds exactly, and no libm transcendentals and no threads.
// So the pixels are the same everywhere; the PNG bytes also depend on the zlib that OpenCV links.
#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include <cxxopts.hpp>
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace fs = std::filesystem;
namespace {

using Rgb = std::array<double, 3>;
enum class Texture { tiles, fabric, wood };
enum class Defect { none, scratch, stain, hole };

std::uint64_t mix(std::uint64_t z) {  // the splitmix64 finaliser: a good 64-bit hash
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
double u01(std::uint64_t h) { return double(h >> 11) * 0x1.0p-53; }  // [0, 1)

struct Rng {  // splitmix64: tiny, fully specified, the same sequence on every platform
  std::uint64_t s;
  double uni() { return u01(mix(s += 0x9E3779B97F4A7C15ULL)); }
  double uni(double a, double b) { return a + (b - a) * uni(); }
  // Sensor noise: Irwin-Hall sum of four uniforms, scaled to unit variance (no log/cos as Box-Muller needs).
  double gauss() { return (uni() + uni() + uni() + uni() - 2.0) * std::sqrt(3.0); }
  // A uniformly random direction by rejection sampling in the unit disc, which avoids sin/cos.
  void direction(double& x, double& y) {
    for (;;) {
      x = uni(-1, 1), y = uni(-1, 1);
      double r2 = x * x + y * y;
      if (r2 > 0.01 && r2 <= 1) { double r = std::sqrt(r2); x /= r, y /= r; return; }
    }
  }
};

double clamp01(double v) { return std::min(1.0, std::max(0.0, v)); }
double lerp(double a, double b, double t) { return a + (b - a) * t; }
Rgb lerp(const Rgb& a, const Rgb& b, double t) { return {lerp(a[0], b[0], t), lerp(a[1], b[1], t), lerp(a[2], b[2], t)}; }
Rgb scale(const Rgb& a, double k) { return {a[0] * k, a[1] * k, a[2] * k}; }
double smooth01(double t) { return t * t * (3 - 2 * t); }
double smoothstep(double a, double b, double x) { return smooth01(clamp01((x - a) / (b - a))); }

// Value noise: hashed lattice values blended with smoothstep. Polynomial only, hence bit-reproducible.
double lattice(std::uint64_t seed, std::int64_t x, std::int64_t y) {
  return u01(mix(seed ^ mix(std::uint64_t(x) * 0x9E3779B97F4A7C15ULL + std::uint64_t(y))));
}
double noise(std::uint64_t seed, double x, double y) {
  double fx = std::floor(x), fy = std::floor(y);
  auto ix = std::int64_t(fx), iy = std::int64_t(fy);
  double tx = smooth01(x - fx), ty = smooth01(y - fy);
  return lerp(lerp(lattice(seed, ix, iy), lattice(seed, ix + 1, iy), tx),
              lerp(lattice(seed, ix, iy + 1), lattice(seed, ix + 1, iy + 1), tx), ty);
}
double fbm(std::uint64_t seed, double x, double y, int octaves) {  // in [0, 1), mean 0.5
  double sum = 0, amp = 1, norm = 0;
  for (int o = 0; o < octaves; ++o, amp *= 0.5, x *= 2, y *= 2) {
    sum += amp * noise(mix(seed + std::uint64_t(o)), x, y);
    norm += amp;
  }
  return sum / norm;
}

// The textures, at texture coordinates (u, v) in units of 1/128 of the image side, so the look does not
// depend on --size; s is output pixels per unit, used to anti-alias hard edges over one output pixel.
Rgb tiles(std::uint64_t ts, double u, double v, double s) {
  const double pitch = 32, grout = 1.5;  // tile pitch, half grout width
  double tx = std::floor(u / pitch), ty = std::floor(v / pitch);
  double fu = u - tx * pitch, fv = v - ty * pitch;
  double d = std::min(std::min(fu, pitch - fu), std::min(fv, pitch - fv));  // to the nearest grout line
  double in_grout = clamp01((grout - d) * s + 0.5);
  double bevel = 1 - 0.15 * clamp01(1 - (d - grout) / 3);  // tile edges are rounded, so slightly darker
  double each = 0.08 * (lattice(ts, std::int64_t(tx), std::int64_t(ty)) - 0.5);  // no two tiles alike
  double mottle = 0.12 * (fbm(ts + 1, u / 10, v / 10, 3) - 0.5);
  Rgb tile = scale({0.74, 0.47, 0.33}, (1 + each + mottle) * bevel);
  Rgb mortar = scale({0.80, 0.78, 0.74}, 1 + 0.10 * (fbm(ts + 2, u / 2, v / 2, 2) - 0.5));
  return lerp(tile, mortar, in_grout);
}

Rgb fabric(std::uint64_t ts, double u, double v, double) {  // 2/2 twill like denim
  const double pitch = 6;  // thread width
  double fi = std::floor(u / pitch), fj = std::floor(v / pitch);
  double a = u / pitch - fi, b = v / pitch - fj;
  auto i = std::int64_t(fi), j = std::int64_t(fj);
  bool warp = ((i + j) % 4 + 4) % 4 < 2;  // floats shift by one thread per row: the diagonal ribs
  double across = warp ? a : b;
  double crown = 4 * across * (1 - across);  // round thread: bright on top, shadowed at its edges
  double fibre = warp ? fbm(ts, u * 0.9, v * 0.12, 2) : fbm(ts + 3, u * 0.12, v * 0.9, 2);  // along the thread
  double slub = lattice(ts + 4, warp ? i : j, warp ? 0 : 1) - 0.5;  // each thread dyed/spun a bit differently
  Rgb base = warp ? Rgb{0.20, 0.30, 0.52} : Rgb{0.78, 0.77, 0.74};
  return scale(base, (0.55 + 0.45 * crown) * (1 + 0.15 * (fibre - 0.5) + 0.10 * slub));
}

Rgb wood(std::uint64_t ts, double u, double v, double) {
  double w = v + 0.05 * u + 14 * (fbm(ts, u / 60, v / 30, 3) - 0.5);  // growth rings, warped and sloped
  double r = w / 11, f = r - std::floor(r);
  double late = smoothstep(0.55, 0.95, std::fabs(2 * f - 1));  // narrow dark latewood band per ring
  double streak = fbm(ts + 1, u / 25, v * 0.6, 2) - 0.5;      // fine grain along the board
  Rgb c = lerp({0.82, 0.62, 0.40}, {0.50, 0.31, 0.15}, 0.85 * late);
  return scale(c, 1 + 0.20 * streak);
}

struct Image {
  int n;
  std::vector<double> px;  // RGB in [0, 1], row-major
  double* at(int x, int y) { return &px[3 * (std::size_t(y) * std::size_t(n) + std::size_t(x))]; }
};

// Each defect fills cov with its geometric coverage (anti-aliased over about one pixel) and paints itself.
// The mask is cov >= 0.5: the defect's nominal outline, as a person would trace it.
void blend(double* c, const Rgb& target, double alpha) {
  for (int ch = 0; ch < 3; ++ch) c[ch] = lerp(c[ch], target[ch], alpha);
}

void scratch(Image& im, std::vector<double>& cov, Rng& r, double s) {
  const int n = im.n;
  const double m = 10 * s;
  auto inside = [&](double x, double y) { return x >= m && y >= m && x <= n - m && y <= n - m; };
  double x0, y0, x1, y1, cx, cy;
  for (;;) {  // a quadratic Bezier curve 40-75 units long, bent sideways by up to 30 % of its length
    double dx, dy, len = r.uni(40, 75) * s;
    r.direction(dx, dy);
    x0 = r.uni(m, n - m), y0 = r.uni(m, n - m), x1 = x0 + len * dx, y1 = y0 + len * dy;
    double bend = r.uni(-0.3, 0.3) * len;
    cx = (x0 + x1) / 2 - dy * bend, cy = (y0 + y1) / 2 + dx * bend;
    if (inside(x1, y1) && inside(cx, cy)) break;  // the curve stays in their hull, so in the image
  }
  const int segs = 48;
  std::vector<double> px(segs + 1), py(segs + 1);
  for (int i = 0; i <= segs; ++i) {
    double t = double(i) / segs, a = (1 - t) * (1 - t), b = 2 * t * (1 - t), c = t * t;
    px[i] = a * x0 + b * cx + c * x1, py[i] = a * y0 + b * cy + c * y1;
  }
  const double half = r.uni(2.0, 2.8) * s, strength = r.uni(0.8, 1.0);  // 4-6 px wide at 128 px
  const bool bright = r.uni() < 0.5;
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      double X = x + 0.5, Y = y + 0.5, d2 = 1e300;
      for (int i = 0; i < segs; ++i) {  // distance to the polyline
        double ex = px[i + 1] - px[i], ey = py[i + 1] - py[i], wx = X - px[i], wy = Y - py[i];
        double t = clamp01((wx * ex + wy * ey) / (ex * ex + ey * ey));
        double qx = wx - t * ex, qy = wy - t * ey;
        d2 = std::min(d2, qx * qx + qy * qy);
      }
      double& k = cov[std::size_t(y) * n + x];
      k = clamp01(half - std::sqrt(d2) + 0.5);
      blend(im.at(x, y), bright ? Rgb{1, 1, 1} : Rgb{0, 0, 0}, 0.8 * k * strength);
    }
}

// An ellipse at a random place (at least `reach` px inside the border) and angle; e is the normalised
// radius (1 on the outline) and d an approximate signed distance to the outline in pixels.
struct Ellipse {
  double a, b, cx, cy, ux = 1, uy = 0;  // members are initialised in this order, so draws are too
  Ellipse(Rng& r, int n, double a_, double b_, double reach)
      : a(a_), b(b_), cx(r.uni(reach, n - reach)), cy(r.uni(reach, n - reach)) { r.direction(ux, uy); }
  double e(double x, double y) const {
    double dx = x - cx, dy = y - cy, p = (dx * ux + dy * uy) / a, q = (dy * ux - dx * uy) / b;
    return std::sqrt(p * p + q * q);
  }
  double d(double e) const { return (e - 1) * 0.5 * (a + b); }
};

void stain(Image& im, std::vector<double>& cov, Rng& r, double s, Texture tex) {
  // Colours chosen per texture to stand out from it.
  using P = std::array<Rgb, 3>;
  static const Rgb oil{0.10, 0.10, 0.08}, ink{0.12, 0.20, 0.55}, rust{0.62, 0.25, 0.08},
      mustard{0.85, 0.65, 0.08}, mould{0.30, 0.48, 0.18};
  const P palette = tex == Texture::fabric ? P{oil, rust, mustard} : P{oil, ink, mould};
  const Rgb tint = palette[std::size_t(r.uni() * 3)];
  const double a = r.uni(8, 13) * s, b = a * r.uni(0.6, 1.0), soft = 3 * s, strength = r.uni(0.7, 0.85);
  const Ellipse el(r, im.n, a, b, 1.2 * a + soft + 2);
  const std::uint64_t ns = mix(std::uint64_t(r.uni() * 0x1.0p53));
  for (int y = 0; y < im.n; ++y)
    for (int x = 0; x < im.n; ++x) {
      double X = x + 0.5, Y = y + 0.5;
      double e = el.e(X, Y) + 0.3 * (fbm(ns, X / (6 * s), Y / (6 * s), 2) - 0.5);  // ragged outline
      double& k = cov[std::size_t(y) * im.n + x];
      k = clamp01(0.5 - el.d(e) / soft);  // a soft edge about 3 units wide
      double* c = im.at(x, y);
      double lum = (c[0] + c[1] + c[2]) / 3;  // keep some of the texture showing through the stain
      double density = 0.85 + 0.3 * (noise(ns + 1, X / (4 * s), Y / (4 * s)) - 0.5);
      blend(c, scale(tint, 0.6 + 0.5 * lum), smooth01(k) * strength * density);
    }
}

void hole(Image& im, std::vector<double>& cov, Rng& r, double s) {
  const double a = r.uni(5, 9) * s, b = a * r.uni(0.75, 1.0), rim = r.uni(1.8, 2.6) * s;
  const Ellipse el(r, im.n, a, b, a + rim + 2);
  for (int y = 0; y < im.n; ++y)
    for (int x = 0; x < im.n; ++x) {
      double X = x + 0.5, Y = y + 0.5, d = el.d(el.e(X, Y));
      double in_hole = clamp01(0.5 - d), in_rim = clamp01(rim + 0.5 - d);
      cov[std::size_t(y) * im.n + x] = in_rim;
      // The torn or chipped rim shows lighter material, lightest at the hole; the hole itself is dark.
      double* c = im.at(x, y);
      blend(c, {1, 1, 1}, in_rim * (0.25 + 0.35 * clamp01(1 - d / rim)));
      double depth = 0.04 + 0.04 * clamp01(-d / a);  // a little light reaches the middle
      blend(c, {depth, depth, depth * 0.9}, in_hole);
    }
}

// One image: the texture translated at random, the defect, then lighting (brightness and colour
// jitter) and sensor noise, so a model must learn the texture rather than one picture.
// s: output pixels per texture unit (the image side / 128 unless --zoom says otherwise).
void make(Texture tex, Defect def, int n, double s, std::uint64_t ts, std::uint64_t seed, cv::Mat& bgr, cv::Mat& mask) {
  Rng r{seed};
  const double ox = r.uni(0, 4096), oy = r.uni(0, 4096), bright = r.uni(0.95, 1.05);
  const Rgb jitter{r.uni(-0.02, 0.02), r.uni(-0.02, 0.02), r.uni(-0.02, 0.02)};
  Image im{n, std::vector<double>(std::size_t(n) * n * 3)};
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      double u = (x + 0.5) / s + ox, v = (y + 0.5) / s + oy;
      Rgb c = tex == Texture::tiles ? tiles(ts, u, v, s) : tex == Texture::fabric ? fabric(ts, u, v, s) : wood(ts, u, v, s);
      std::copy(c.begin(), c.end(), im.at(x, y));
    }
  std::vector<double> cov(std::size_t(n) * n, 0.0);
  if (def == Defect::scratch) scratch(im, cov, r, s);
  if (def == Defect::stain) stain(im, cov, r, s, tex);
  if (def == Defect::hole) hole(im, cov, r, s);
  bgr.create(n, n, CV_8UC3);
  mask.create(n, n, CV_8UC1);
  for (int y = 0; y < n; ++y)
    for (int x = 0; x < n; ++x) {
      const double* c = im.at(x, y);
      auto* out = bgr.ptr<std::uint8_t>(y) + 3 * x;
      for (int ch = 0; ch < 3; ++ch) {
        double v = c[ch] * bright * (1 + jitter[ch]) + 0.01 * r.gauss();
        out[2 - ch] = std::uint8_t(std::floor(clamp01(v) * 255 + 0.5));  // OpenCV wants BGR
      }
      mask.at<std::uint8_t>(y, x) = cov[std::size_t(y) * n + x] >= 0.5 ? 255 : 0;
    }
}

[[noreturn]] void fail(int code, const std::string& msg) {
  fmt::print(stderr, "rd-demo-data: {}\n", msg);
  std::exit(code);
}

void write_png(const fs::path& p, const cv::Mat& m) {
  if (!cv::imwrite(p.string(), m, {cv::IMWRITE_PNG_COMPRESSION, 9})) fail(1, fmt::format("cannot write {}", p.string()));
}

}  // namespace

int main(int argc, char** argv) {
  cv::setNumThreads(1);
  cxxopts::Options opts("rd-demo-data", "Write a deterministic synthetic demo dataset in the MVTec AD layout.");
  opts.custom_help("--out DIR [options]");
  opts.add_options()
    ("o,out", "output directory (created if missing)", cxxopts::value<std::string>(), "DIR")
    ("category", "category name: the folder made under --out", cxxopts::value<std::string>()->default_value("tiles"), "NAME")
    ("texture", "tiles, fabric or wood (default: the category's name if it is one of these, else tiles)", cxxopts::value<std::string>(), "NAME")
    ("size", "image width and height in pixels, 32 to 4096", cxxopts::value<int>()->default_value("128"), "PX")
    ("zoom", "texture and defects drawn F times their size in a 128 px image (default: SIZE/128, the same "
             "picture at any size); --size 1024 --zoom 1 shows 64 times the area with defects as small as at 128 px",
     cxxopts::value<double>(), "F")
    ("train", "normal images in train/good", cxxopts::value<int>()->default_value("60"), "N")
    ("test-good", "normal images in test/good", cxxopts::value<int>()->default_value("10"), "N")
    ("test-defect", "images per defect type in test/scratch, test/stain, test/hole", cxxopts::value<int>()->default_value("6"), "N")
    ("seed", "random seed; the same arguments give the same files", cxxopts::value<std::uint64_t>()->default_value("1"), "S")
    ("force", "replace train/, test/, ground_truth/ and README.txt of an existing category folder")
    ("h,help", "print this help and exit");
  cxxopts::ParseResult args;
  try {
    args = opts.parse(argc, argv);
  } catch (const std::exception& e) {
    fail(2, fmt::format("{} (see --help)", e.what()));
  }
  if (args.count("help")) {
    fmt::print("{}\n", opts.help());
    fmt::print("Writes DIR/CATEGORY/train/good/000.png ..., test/good/, test/{{scratch,stain,hole}}/ and\n"
               "ground_truth/{{scratch,stain,hole}}/<stem>_mask.png (8-bit, 0 or 255), plus a README.txt.\n"
               "The images are procedural textures with painted-in defects, not photographs.\n"
               "Exit status: 0 done, 1 cannot write (or the folder exists without --force), 2 bad options.\n");
    return 0;
  }
  if (!args.unmatched().empty()) fail(2, fmt::format("unexpected argument '{}' (see --help)", args.unmatched()[0]));
  if (!args.count("out") || args["out"].as<std::string>().empty()) fail(2, "--out DIR is required (see --help)");
  const std::string cat = args["category"].as<std::string>();
  if (cat.empty() || cat == "." || cat == ".." || cat.find_first_of("/\\") != std::string::npos)
    fail(2, fmt::format("--category '{}' must be a plain folder name", cat));
  const std::string tex_name = args.count("texture") ? args["texture"].as<std::string>()
                               : (cat == "fabric" || cat == "wood") ? cat : "tiles";
  if (tex_name != "tiles" && tex_name != "fabric" && tex_name != "wood")
    fail(2, fmt::format("--texture must be tiles, fabric or wood, not '{}'", tex_name));
  const Texture tex = tex_name == "tiles" ? Texture::tiles : tex_name == "fabric" ? Texture::fabric : Texture::wood;
  const int size = args["size"].as<int>();
  if (size < 32 || size > 4096) fail(2, fmt::format("--size must be 32 to 4096, not {}", size));
  const double zoom = args.count("zoom") ? args["zoom"].as<double>() : size / 128.0;
  if (!(zoom >= 0.25 && zoom <= 32)) fail(2, fmt::format("--zoom must be 0.25 to 32, not {}", zoom));
  const int train = args["train"].as<int>(), good = args["test-good"].as<int>(), per = args["test-defect"].as<int>();
  for (auto [name, v] : {std::pair{"--train", train}, {"--test-good", good}, {"--test-defect", per}})
    if (v < 0 || v > 100000) fail(2, fmt::format("{} must be 0 to 100000, not {}", name, v));
  const std::uint64_t seed = args["seed"].as<std::uint64_t>();

  const fs::path root = fs::path(args["out"].as<std::string>()) / cat;
  try {
    if (fs::exists(root) && !fs::is_empty(root)) {
      if (!args.count("force")) fail(1, fmt::format("{} exists and is not empty (use --force to replace it)", root.string()));
      for (const char* p : {"train", "test", "ground_truth", "README.txt"}) fs::remove_all(root / p);
    }
    // Each image is seeded by (seed, texture, folder, index), not by the order of writing:
    // train/good/005.png does not change when --test-good does, and categories of other textures differ.
    struct Folder { const char* dir; Defect def; int count; };
    const Folder folders[] = {{"train/good", Defect::none, train}, {"test/good", Defect::none, good},
                              {"test/scratch", Defect::scratch, per}, {"test/stain", Defect::stain, per},
                              {"test/hole", Defect::hole, per}};
    const std::uint64_t base = mix(mix(seed) + std::uint64_t(tex)), ts = mix(base ^ 0x7E47u);
    for (std::uint64_t tag = 0; tag < 5; ++tag) {
      const Folder& f = folders[tag];
      const fs::path dir = root / f.dir, gt = root / "ground_truth" / fs::path(f.dir).filename();
      fs::create_directories(dir);
      if (f.def != Defect::none) fs::create_directories(gt);
      const int width = std::max<int>(3, int(std::to_string(std::max(f.count - 1, 0)).size()));
      for (int i = 0; i < f.count; ++i) {
        cv::Mat bgr, mask;
        make(tex, f.def, size, zoom, ts, mix(base ^ (tag << 32 | std::uint64_t(i))), bgr, mask);
        const std::string stem = fmt::format("{:0{}}", i, width);
        write_png(dir / (stem + ".png"), bgr);
        if (f.def != Defect::none) write_png(gt / (stem + "_mask.png"), mask);
      }
    }
  } catch (const std::exception& e) {  // filesystem_error and cv::Exception name the path and the cause
    fail(1, e.what());
  }
  std::ofstream readme(root / "README.txt");
  readme << "Synthetic demo data written by rd-demo-data, part of rd. These are not photographs: each image\n"
            "is a procedural '" << tex_name << "' texture (randomly shifted, with brightness, colour and\n"
            "sensor-noise variation), and the test defects (scratch, stain, hole) are painted in.\n"
            "Layout: MVTec AD (train/good, test/<defect>, ground_truth/<defect>/<stem>_mask.png, masks 0/255).\n"
            "Arguments: --category " << cat << " --texture " << tex_name << " --size " << size << " --zoom " << zoom << " --train "
         << train << " --test-good " << good << " --test-defect " << per << " --seed " << seed << "\n"
            "The same arguments give the same images. The data contains no third-party material; use it freely.\n";
  readme.close();
  if (!readme) fail(1, fmt::format("cannot write {}", (root / "README.txt").string()));
  return 0;
}
