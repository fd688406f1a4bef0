// The anomaly-map head (DESIGN §1) as ONNX operators: what score/anomaly_map.cpp computes from
// the feature pairs, so that an exported graph gives rd-score's maps and scores.
#pragma once
#include <string>

#include "export/onnx_graph.h"

namespace rd {

struct MapHeadSpec {
  int size = 256;         // the map is size x size (the image size)
  bool multiply = false;  // combine the scales by product instead of sum
  double sigma = 4.0;     // Gaussian smoothing (0: none)
  int top_k = 0;          // 0: score = max; K: mean of the K highest pixels
};

struct MapHeadOutputs {
  std::string map;    // [N, 1, size, size]
  std::string score;  // [N]
};

// Per-scale 1 - cos along channels, bilinear align_corners upsampling, sum or product, the
// separable Gaussian with scipy's reflect border (Slice + Concat + two Convs), max or top-k.
// The features must be float32. Throws UsageError for a Gaussian wider than the map.
MapHeadOutputs add_map_head(OnnxGraph& graph, const FeatureNames& teacher, const FeatureNames& student,
                            const MapHeadSpec& spec);

}  // namespace rd
