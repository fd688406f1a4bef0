#include "model/backbone.h"

#include <fmt/format.h>

#include "errors.h"

namespace rd {
namespace {

const std::vector<BackboneSpec>& all_backbones() {
  static const std::vector<BackboneSpec> specs = {
      {"resnet18", BlockKind::Basic, {2, 2, 2}, 64, 2, "resnet18-f37072fd.pth"},
      {"resnet34", BlockKind::Basic, {3, 4, 6}, 64, 3, "resnet34-b627a593.pth"},
      {"resnet50", BlockKind::Bottleneck, {3, 4, 6}, 64, 3, "resnet50-0676ba61.pth"},
      {"wide_resnet50_2", BlockKind::Bottleneck, {3, 4, 6}, 128, 3, "wide_resnet50_2-95faca4d.pth"},
      {"wide_resnet101_2", BlockKind::Bottleneck, {3, 4, 23}, 128, 3, "wide_resnet101_2-32ee1156.pth"},
  };
  return specs;
}

}  // namespace

const BackboneSpec& backbone_spec(const std::string& name) {
  for (const auto& spec : all_backbones())
    if (spec.name == name) return spec;
  throw UsageError(fmt::format("unknown backbone '{}' (choose one of: {})", name,
                               fmt::join(backbone_names(), ", ")));
}

std::vector<std::string> backbone_names() {
  std::vector<std::string> names;
  for (const auto& spec : all_backbones()) names.push_back(spec.name);
  return names;
}

}  // namespace rd
