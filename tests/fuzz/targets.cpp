#include "fuzz/targets.h"

#include <sstream>
#include <string>
#include <vector>

#include "errors.h"
#include "io/input_records.h"
#include "io/model_file.h"
#include "pth/torch_checkpoint.h"

namespace rd::fuzz {

void torch_checkpoint(const uint8_t* data, size_t size) {
  try {
    for (const auto& entry : read_torch_checkpoint_bytes(data, size, "fuzz.pth")) entry.second.to_float();
  } catch (const Error&) {
  }
}

void model_file(const uint8_t* data, size_t size) {
  try {
    read_model_file_bytes(std::vector<unsigned char>(data, data + size), "fuzz.rdm");
  } catch (const Error&) {
  }
}

// Never throws: a bad line is a record with `error`, and every record is one JSON line.
void input_records(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (bool nul : {false, true}) {
    std::istringstream in(text);
    InputReader reader(in, nul, "fuzz", 1024);
    for (InputRecord r; reader.next(r);) {
      const std::string line = to_json_line(r.error.empty() ? r.fields : error_record(r.fields, r.error));
      if (line.empty() || line.back() != '\n') throw std::logic_error("a record that is not one JSON line");
    }
  }
}

}  // namespace rd::fuzz
