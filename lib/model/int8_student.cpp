#include "model/int8_student.h"

#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/Parallel.h>
#include <ATen/native/quantized/PackedParams.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <stdexcept>
#include <string>

#include "cpu/cpu_caches.h"
#include "errors.h"
#include "model/residual_block.h"

namespace rd {
namespace {

using Packed = c10::intrusive_ptr<ConvPackedParamsBase<2>>;

struct QConv {
  FusedConv fp32;  // folded weights: calibration runs them, quantize packs them
  size_t point = 0;
  bool relu = false;
  Packed packed;
};

struct QBlock {
  std::vector<QConv> body;
  std::optional<QConv> shortcut;
  size_t point = 0;  // after the residual add and ReLU
};

struct Quant {
  double scale = 1;
  int64_t zero = 0;
};

// Asymmetric uint8 over the range widened to hold 0 (so that zero padding and ReLU are exact):
// post-ReLU activations get zero point 0 and all 256 levels.
Quant quant_of(const ActivationRange& r) {
  const double lo = std::min(0.0f, r.lo), hi = std::max(0.0f, r.hi);
  const double scale = std::max(hi - lo, 1e-8) / 255;
  return {scale, std::clamp<int64_t>(std::llround(-lo / scale), 0, 255)};
}

// For a transposed convolution (1x1 to 4C, see FusedConv) the output channels are reordered from
// o*4 + i*2 + j to (i*2 + j)*C + o: in the channels-last layout the int8 convolutions write, the
// depth-to-space step then moves runs of C bytes (depth_to_space) instead of single bytes, and
// its output stays channels-last (a residual add of mixed layouts is 10-30x slower).
torch::Tensor channels_by_offset(const torch::Tensor& t, int64_t per_offset) {
  auto sizes = t.sizes().vec();
  std::vector<int64_t> split = {per_offset, 4};
  split.insert(split.end(), sizes.begin() + 1, sizes.end());
  return t.reshape(split).transpose(0, 1).reshape(sizes).contiguous();
}

torch::Tensor depth_to_space(const torch::Tensor& y) {
  const int64_t n = y.size(0), c = y.size(1) / 4, h = y.size(2), w = y.size(3);
  return y.permute({0, 2, 3, 1})
      .reshape({n, h, w, 2, 2, c})
      .permute({0, 1, 3, 2, 4, 5})
      .reshape({n, 2 * h, 2 * w, c})
      .permute({0, 3, 1, 2});
}

Packed prepack(const FusedConv& f) {
  static auto op = c10::Dispatcher::singleton()
                       .findSchemaOrThrow("quantized::conv2d_prepack", "")
                       .typed<Packed(at::Tensor, c10::optional<at::Tensor>, torch::List<int64_t>,
                                     torch::List<int64_t>, torch::List<int64_t>, int64_t)>();
  auto w = f.weight.to(torch::kCPU, torch::kFloat32).contiguous();
  auto bias = f.bias.to(torch::kCPU, torch::kFloat32).contiguous();
  if (f.depth_to_space) {
    w = channels_by_offset(w, w.size(0) / 4);
    bias = channels_by_offset(bias, bias.size(0) / 4);
  }
  const auto scale = w.abs().amax({1, 2, 3}).clamp_min(1e-12).to(torch::kDouble) / 127;
  const auto qw = at::quantize_per_channel(w, scale, torch::zeros({w.size(0)}, torch::kLong), 0, torch::kQInt8);
  return op.call(qw, bias,
                 torch::List<int64_t>({f.stride, f.stride}), torch::List<int64_t>({f.padding, f.padding}),
                 torch::List<int64_t>({1, 1}), 1);
}

// Runs f(image, first position, end position) over tiles of 64 positions of each image, in
// parallel: a tile's channels-last side (64 x channels) stays in cache while the loop transposes.
template <class F>
void for_position_tiles(int64_t images, int64_t positions, const F& f) {
  constexpr int64_t kTile = 64;
  const int64_t tiles = (positions + kTile - 1) / kTile;
  at::parallel_for(0, images * tiles, 1, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      const int64_t p0 = (t % tiles) * kTile;
      f(t / tiles, p0, std::min(positions, p0 + kTile));
    }
  });
}

// ATen's quantize_per_tensor and dequantize take 4-5 ns an element on this path (a quarter of the
// int8 student's time for wide_resnet50_2, measured); these loops do the same arithmetic at
// memory speed, converting between the teacher's NCHW and the channels-last layout the int8
// convolutions want as they go.
torch::Tensor quantize_channels_last(const torch::Tensor& x, const Quant& q) {
  const auto src = x.to(torch::kFloat32).contiguous();
  const int64_t c = src.size(1), hw = src.size(2) * src.size(3);
  auto out = at::_empty_affine_quantized(src.sizes(), src.options().dtype(torch::kQUInt8), q.scale, q.zero,
                                         at::MemoryFormat::ChannelsLast);
  const float* in = src.data_ptr<float>();
  auto* o = reinterpret_cast<uint8_t*>(out.data_ptr<c10::quint8>());
  const float inv = float(1.0 / q.scale), zero = float(q.zero) + 0.5f;  // +0.5: round by truncation
  for_position_tiles(src.size(0), hw, [&](int64_t img, int64_t p0, int64_t p1) {
    const float* plane = in + img * c * hw;
    uint8_t* dst = o + img * hw * c;
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = p0; p < p1; ++p)
        dst[p * c + ch] = uint8_t(std::min(255.0f, std::max(0.0f, plane[ch * hw + p] * inv + zero)));
  });
  return out;
}

// Features leave in NCHW, the layout of the teacher's: the map head's cosine over channels of one
// NCHW and one channels-last tensor took 1.6-3x as long (measured, wide_resnet50_2).
torch::Tensor dequantize_nchw(const torch::Tensor& q) {
  if (!q.is_contiguous(at::MemoryFormat::ChannelsLast) || q.dim() != 4) return q.dequantize().contiguous();
  const int64_t c = q.size(1), hw = q.size(2) * q.size(3);
  auto out = torch::empty(q.sizes(), q.options().dtype(torch::kFloat32));
  const auto* in = reinterpret_cast<const uint8_t*>(q.data_ptr<c10::quint8>());
  float* dst = out.data_ptr<float>();
  const float scale = float(q.q_scale()), zero = float(q.q_zero_point());
  for_position_tiles(q.size(0), hw, [&](int64_t img, int64_t p0, int64_t p1) {
    const uint8_t* src = in + img * hw * c;
    float* plane = dst + img * c * hw;
    for (int64_t ch = 0; ch < c; ++ch)
      for (int64_t p = p0; p < p1; ++p) plane[ch * hw + p] = (float(src[p * c + ch]) - zero) * scale;
  });
  return out;
}

// oneDNN's int8 kernels (VNNI, AMX); fbgemm where a LibTorch build lacks them, and where the CPU
// hides its cache sizes from a oneDNN 3.x, whose channels-last int8 1x1 kernels divide by them
// (cpu/cpu_caches.h; oneDNN 2.6 runs them).
void select_engine() {
  const auto& engines = at::globalContext().supportedQEngines();
  const bool onednn_fails = !onednn_caches_visible() && onednn_major_version() >= 3;
  const auto order = onednn_fails ? std::vector<at::QEngine>{at::QEngine::FBGEMM}
                                  : std::vector<at::QEngine>{at::QEngine::ONEDNN, at::QEngine::FBGEMM};
  for (auto e : order)
    if (std::find(engines.begin(), engines.end(), e) != engines.end()) {
      at::globalContext().setQEngine(e);
      return;
    }
  throw UsageError(onednn_fails ? "--precision int8: this CPU hides its cache sizes, where oneDNN 3's int8 "
                                  "kernels fail, and this LibTorch has no fbgemm; use bf16 or fp32"
                                : "--precision int8: this LibTorch has no x86 int8 engine (oneDNN or fbgemm)");
}

}  // namespace

struct Int8Student::Graph {
  size_t stride4 = 0, stride8 = 0, joined = 0;  // inputs; `joined` also holds both branch outputs
  QConv down1a, down1b, down2;
  std::vector<QBlock> ocbe;
  std::array<std::vector<QBlock>, 3> decoder;
  std::vector<ActivationRange> ranges;
  std::vector<bool> seen;
  std::vector<Quant> quant;  // empty until quantize

  size_t new_point() {
    ranges.emplace_back();
    seen.push_back(false);
    return ranges.size() - 1;
  }
  QConv conv(const ConvBn& unit, bool relu, std::optional<size_t> point = std::nullopt) {
    return QConv{unit.folded_conv(), point ? *point : new_point(), relu, {}};
  }
  void add_stage(const torch::nn::Sequential& stage, std::vector<QBlock>& out) {
    for (const auto& child : stage->children()) {
      const auto* block = child->as<ResidualBlockImpl>();
      QBlock b;
      const auto& body = block->body();
      for (size_t i = 0; i < body.size(); ++i) b.body.push_back(conv(body[i], i + 1 < body.size()));
      if (block->shortcut()) b.shortcut = conv(*block->shortcut(), false);
      b.point = new_point();
      out.push_back(std::move(b));
    }
  }
};

namespace {

// One run of the student graph: fp32 while calibrating (widening ranges), else int8.
class Pass {
 public:
  using Graph = Int8Student::Graph;
  Pass(const Graph& g, std::vector<ActivationRange>* ranges, std::vector<bool>* seen)
      : g_(g), ranges_(ranges), seen_(seen) {}

  torch::Tensor enter(const torch::Tensor& x, size_t point) {
    if (ranges_) return widen(point, x);
    return quantize_channels_last(x, g_.quant[point]);
  }
  torch::Tensor conv(const QConv& c, const torch::Tensor& x) {
    if (ranges_) {
      auto y = c.fp32(x);
      return widen(c.point, c.relu ? y.relu_() : y);
    }
    const Quant& q = g_.quant[c.point];
    auto y = c.relu ? c.packed->apply_relu(x, q.scale, q.zero) : c.packed->apply(x, q.scale, q.zero);
    return c.fp32.depth_to_space ? depth_to_space(y) : y;
  }
  torch::Tensor block(const QBlock& b, const torch::Tensor& x) {
    torch::Tensor out = x;
    for (const auto& c : b.body) out = conv(c, out);
    const torch::Tensor skip = b.shortcut ? conv(*b.shortcut, x) : x;
    if (ranges_) return widen(b.point, (out + skip).relu_());
    static auto add_relu = c10::Dispatcher::singleton()
                               .findSchemaOrThrow("quantized::add_relu", "")
                               .typed<at::Tensor(at::Tensor, at::Tensor, double, int64_t)>();
    const Quant& q = g_.quant[b.point];
    return add_relu.call(out, skip, q.scale, q.zero);
  }
  torch::Tensor leave(const torch::Tensor& x) { return ranges_ ? x : dequantize_nchw(x); }

 private:
  torch::Tensor widen(size_t point, const torch::Tensor& x) {
    const auto [min, max] = at::aminmax(x);  // one pass over the activation
    const float lo = min.item<float>(), hi = max.item<float>();
    auto& r = (*ranges_)[point];
    if (!(*seen_)[point]) r = {lo, hi};
    else r = {std::min(r.lo, lo), std::max(r.hi, hi)};
    (*seen_)[point] = true;
    return x;
  }

  const Graph& g_;
  std::vector<ActivationRange>* ranges_;
  std::vector<bool>* seen_;
};

Features run(Pass& p, const Int8Student::Graph& g, const Features& t) {
  auto a = p.conv(g.down1b, p.conv(g.down1a, p.enter(t[0], g.stride4)));
  auto b = p.conv(g.down2, p.enter(t[1], g.stride8));
  // One range for the three parts, so the concatenation copies without requantising.
  auto x = torch::cat({a, b, p.enter(t[2], g.joined)}, 1);
  for (const auto& blk : g.ocbe) x = p.block(blk, x);
  std::array<torch::Tensor, 3> out;  // stride 16, 8, 4
  for (size_t k = 0; k < 3; ++k) {
    for (const auto& blk : g.decoder[k]) x = p.block(blk, x);
    out[k] = x;
  }
  return {p.leave(out[2]), p.leave(out[1]), p.leave(out[0])};
}

}  // namespace

Int8Student::Int8Student(const RdModelImpl& net) : graph_(std::make_unique<Graph>()) {
  Graph& g = *graph_;
  const auto& bn = *net.bn;
  g.stride4 = g.new_point();
  g.stride8 = g.new_point();
  g.joined = g.new_point();
  g.down1a = g.conv(bn.down1a(), true);
  g.down1b = g.conv(bn.down1b(), true, g.joined);
  g.down2 = g.conv(bn.down2(), true, g.joined);
  g.add_stage(bn.stage(), g.ocbe);
  const auto stages = net.decoder->stages();
  for (size_t k = 0; k < 3; ++k) g.add_stage(stages[k], g.decoder[k]);
}

Int8Student::~Int8Student() = default;

size_t Int8Student::points() const { return graph_->ranges.size(); }

void Int8Student::observe(const Features& bottleneck_input) {
  torch::NoGradGuard no_grad;
  Pass p(*graph_, &graph_->ranges, &graph_->seen);
  run(p, *graph_, bottleneck_input);
}

const std::vector<ActivationRange>& Int8Student::ranges() const { return graph_->ranges; }

void Int8Student::quantize(const std::vector<ActivationRange>& ranges) {
  Graph& g = *graph_;
  if (ranges.size() != g.ranges.size())
    throw std::invalid_argument("int8 calibration has " + std::to_string(ranges.size()) +
                                " activation ranges; this network has " + std::to_string(g.ranges.size()));
  torch::NoGradGuard no_grad;
  select_engine();
  g.ranges = ranges;
  g.quant.clear();
  for (const auto& r : ranges) g.quant.push_back(quant_of(r));
  auto pack = [](QConv& c) { c.packed = prepack(c.fp32); };
  pack(g.down1a);
  pack(g.down1b);
  pack(g.down2);
  for (auto* blocks : {&g.ocbe, &g.decoder[0], &g.decoder[1], &g.decoder[2]})
    for (auto& b : *blocks) {
      for (auto& c : b.body) pack(c);
      if (b.shortcut) pack(*b.shortcut);
    }
}

Features Int8Student::forward(const Features& bottleneck_input) const {
  if (graph_->quant.empty()) throw std::logic_error("Int8Student::forward before quantize");
  Pass p(*graph_, nullptr, nullptr);
  return run(p, *graph_, bottleneck_input);
}

}  // namespace rd
