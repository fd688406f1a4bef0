// Names of per-input output files (maps, overlays).
#pragma once
#include <string>

namespace rd {

// "<stem>_<8 hex digits of a hash of the whole input path>.<extension>": readable, and inputs with
// the same file name in different folders never collide. Deterministic across runs and machines.
std::string output_file_name(const std::string& input_path, const std::string& extension);

}  // namespace rd
