#include "io/output_names.h"

#include <fmt/format.h>

#include "io/shard.h"

namespace rd {

std::string output_file_name(const std::string& input_path, const std::string& extension) {
  auto slash = input_path.find_last_of('/');
  std::string stem = slash == std::string::npos ? input_path : input_path.substr(slash + 1);
  if (auto dot = stem.find_last_of('.'); dot != std::string::npos && dot > 0) stem.resize(dot);
  return fmt::format("{}_{:08x}.{}", stem, uint32_t(detail::shard_hash(input_path)), extension);
}

}  // namespace rd
