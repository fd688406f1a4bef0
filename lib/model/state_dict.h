// Moving named tensors between checkpoints (torchvision, reference code, .rdm) and modules.
#pragma once
#include <set>
#include <string>
#include <vector>

#include "pth/torch_checkpoint.h"
#include "rd_torch.h"

namespace rd {

// Returns a float32/int64 torch tensor with the values of a checkpoint tensor (a copy).
torch::Tensor to_torch(const RawTensor& raw);

// Parameters and buffers of a module by their dotted names (torch's state_dict()).
std::vector<std::pair<std::string, torch::Tensor>> state_of(const torch::nn::Module& module);

struct LoadRules {
  std::string prefix;                  // key prefix in the checkpoint, e.g. "bn." or "teacher."
  std::vector<std::string> ignore;     // checkpoint key prefixes that are expected and unused
};

// Copies every tensor the module needs from `dict` by name. Throws FormatError naming `source`,
// the tensor and both shapes on a mismatch, or the first missing tensor. `num_batches_tracked`
// may be absent. Returns the checkpoint keys under the prefix that nothing used.
std::vector<std::string> load_state(torch::nn::Module& module, const TensorDict& dict,
                                    const LoadRules& rules, const std::string& source);

}  // namespace rd
