#include "model/method.h"

#include <fmt/format.h>

#include "errors.h"

namespace rd {

Method parse_method(const std::string& text) {
  if (text == "rd4ad") return Method::Rd4ad;
  if (text == "rd++" || text == "rdpp") return Method::RdPlusPlus;
  throw UsageError(fmt::format("unknown --method '{}' (choose rd4ad or rd++)", text));
}

const char* method_name(Method m) { return m == Method::RdPlusPlus ? "rd++" : "rd4ad"; }

}  // namespace rd
