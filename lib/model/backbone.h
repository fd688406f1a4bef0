// The teacher backbones rd supports and the shapes that follow from each one.
#pragma once
#include <array>
#include <string>
#include <vector>

namespace rd {

enum class BlockKind { Basic, Bottleneck };

struct BackboneSpec {
  std::string name;
  BlockKind block = BlockKind::Basic;
  std::array<int, 3> layers{};   // residual blocks in layer1..layer3 (teacher) and decoder layer3..layer1
  int width_per_group = 64;      // 128 for the wide variants
  int bottleneck_blocks = 3;     // OCE stage depth: 2 for resnet18, 3 otherwise (reference code)
  std::string weights_file;      // torchvision's file name in $TORCH_HOME/hub/checkpoints
  int expansion() const { return block == BlockKind::Basic ? 1 : 4; }
  // Channels of teacher layer k (1..3): 64, 128, 256 times the block expansion.
  int channels(int layer) const { return (32 << layer) * expansion(); }
  // torchvision names files <arch>-<first 8 hex digits of the sha256>.pth (io/weights_cache.h
  // checks the digits).
  std::string weights_url() const { return "https://download.pytorch.org/models/" + weights_file; }
};

// Returns the spec of a backbone by name; throws UsageError naming the choices.
const BackboneSpec& backbone_spec(const std::string& name);

// Lists the supported backbone names, in a stable order.
std::vector<std::string> backbone_names();

}  // namespace rd
