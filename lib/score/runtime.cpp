#include "score/runtime.h"

#include <fmt/format.h>
#include <opencv2/core.hpp>

#include "errors.h"
#include "cpu/cpu_caches.h"
#include "rd_torch.h"

namespace rd {

void set_threads(int threads) {
  at::set_num_threads(threads);
  cv::setNumThreads(threads);
}

c10::Device parse_device(const std::string& text) {
  onednn_caches_visible();  // a bad RD_ONEDNN_CACHES is a usage error now, not in the middle of a batch
  if (text == "auto") return torch::cuda::is_available() ? c10::Device(c10::kCUDA, 0) : c10::Device(c10::kCPU);
  if (text == "cpu") return c10::Device(c10::kCPU);
  if (text == "cuda" || text.rfind("cuda:", 0) == 0) {
    if (!torch::cuda::is_available())
      throw UsageError(fmt::format("--device {}: this LibTorch has no CUDA or no GPU is visible", text));
    try {
      return c10::Device(text);
    } catch (const std::exception&) {
    }
  }
  throw UsageError(fmt::format("bad --device '{}' (choose auto, cpu, cuda or cuda:N)", text));
}

}  // namespace rd
