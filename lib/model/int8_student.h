// The student (OCBE and decoder) as an int8 network: static post-training quantisation with
// per-channel weight scales and per-tensor activation ranges calibrated on training images.
// Activations stay quint8 from the student's input to its three features (bench/README.md,
// "int8": quantising and dequantising around each convolution costs more than the fp32
// convolution it replaces); only those features are dequantised, for the fp32 map head.
#pragma once
#include <array>
#include <memory>
#include <vector>

#include "model/rd_model.h"
#include "rd_torch.h"

namespace rd {

// Smallest and largest value seen at one quantisation point.
struct ActivationRange {
  float lo = 0, hi = 0;
};

class Int8Student {
 public:
  // The graph of `net`'s OCBE and decoder, with their BatchNorm folded (the network itself is
  // left as it is).
  explicit Int8Student(const RdModelImpl& net);
  ~Int8Student();

  // Quantisation points (activations that get a range), in a fixed order for this backbone.
  size_t points() const;
  // Calibration: runs the student in fp32 on a batch of bottleneck inputs (teacher features, or
  // RD++'s projection of them) and widens every point's range to what it sees.
  void observe(const Features& bottleneck_input);
  const std::vector<ActivationRange>& ranges() const;

  // Quantises the weights for `ranges` (from observe or a model file; one per point) and makes
  // the network runnable in int8 on the CPU. Throws std::invalid_argument on a count mismatch.
  void quantize(const std::vector<ActivationRange>& ranges);
  // int8 inference (after quantize): fp32 dense features in teacher order, as the fp32 student.
  Features forward(const Features& bottleneck_input) const;

  struct Graph;  // defined in the .cpp

 private:
  std::unique_ptr<Graph> graph_;
};

}  // namespace rd
