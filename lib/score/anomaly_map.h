// Anomaly maps and image scores from teacher and student features (DESIGN §1).
#pragma once
#include <string>

#include "model/rd_model.h"

namespace rd {

enum class MapMode { Add, Mul };

struct MapSettings {
  MapMode mode = MapMode::Add;
  double sigma = 4.0;
  int top_k = 0;  // 0: score = max of the map; K: mean of the K highest pixels
};

MapMode parse_map_mode(const std::string& text);
const char* map_mode_name(MapMode mode);
// Parses "max" or "topk:K".
int parse_reduce(const std::string& text);

// Per-scale 1 - cos(E_k, D_k) along channels, upsampled bilinearly (align_corners) to
// size x size and summed (or multiplied). Returns [N, size, size] float32, not yet smoothed.
torch::Tensor raw_anomaly_maps(const Features& teacher, const Features& student, int size, MapMode mode);

// Smooths one row-major height x width map in place (scipy's gaussian_filter) and returns the
// image score.
double smooth_and_score(float* map, int height, int width, const MapSettings& settings);

}  // namespace rd
