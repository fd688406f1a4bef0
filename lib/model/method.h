// The training methods rd knows: the paper's reverse distillation (RD4AD, CVPR 2022) and RD++
// (Tien et al., CVPR 2023), which adds a trainable projection before the bottleneck.
#pragma once
#include <string>

namespace rd {

enum class Method { Rd4ad, RdPlusPlus };

// "rd4ad" or "rd++"; throws UsageError naming the choices.
Method parse_method(const std::string& text);
const char* method_name(Method m);

}  // namespace rd
