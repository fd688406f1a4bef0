#include "io/input_records.h"

#include <fmt/format.h>

#include <cstdint>
#include <utility>

namespace rd {
namespace detail {

bool read_delimited(std::streambuf& in, char delimiter, size_t max_bytes, std::string& out, bool& too_long) {
  using traits = std::streambuf::traits_type;
  out.clear();
  too_long = false;
  bool read_any = false;
  for (;;) {
    const auto c = in.sbumpc();
    if (traits::eq_int_type(c, traits::eof())) return read_any;
    read_any = true;
    const char ch = traits::to_char_type(c);
    if (ch == delimiter) return true;
    if (out.size() < max_bytes) {
      out.push_back(ch);
    } else if (!too_long) {
      too_long = true;
      out.clear();
      out.shrink_to_fit();  // a refused 64 MiB line should not keep 64 MiB alive
    }
  }
}

bool is_valid_utf8(const std::string& text) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = s[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t length;
    uint32_t min, code;
    if ((c & 0xe0) == 0xc0)
      length = 2, min = 0x80, code = c & 0x1f;
    else if ((c & 0xf0) == 0xe0)
      length = 3, min = 0x800, code = c & 0x0f;
    else if ((c & 0xf8) == 0xf0)
      length = 4, min = 0x10000, code = c & 0x07;
    else
      return false;
    if (i + length > n) return false;
    for (size_t k = 1; k < length; ++k) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      code = code << 6 | (s[i + k] & 0x3f);
    }
    if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return false;
    i += length;
  }
  return true;
}

namespace {

// nlohmann's messages start with "[json.exception.parse_error.101] " and quote the last token
// read, which can be megabytes long; users need the position and the cause, not all of that.
std::string short_json_message(const std::string& what) {
  std::string message = what;
  if (!message.empty() && message[0] == '[') {
    const auto end = message.find("] ");
    if (end != std::string::npos) message.erase(0, end + 2);
  }
  constexpr size_t kMax = 200;
  if (message.size() > kMax) {
    size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(message[cut]) & 0xc0) == 0x80) --cut;  // keep UTF-8 whole
    message.resize(cut);
    message += "...";
  }
  return message;
}

// nlohmann's parser builds the whole nested value before it sees a syntax error: ten megabytes
// of '[' took a gigabyte. No record is nested deeper than a few levels.
constexpr int kMaxJsonDepth = 64;

bool nested_too_deep(const std::string& text) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return true;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return false;
}

}  // namespace
}  // namespace detail

InputReader::InputReader(std::istream& in, bool nul_separated, std::string source_name, size_t max_line_bytes)
    : in_(in), nul_separated_(nul_separated), source_(std::move(source_name)), max_line_bytes_(max_line_bytes) {}

void InputReader::set_error(InputRecord& record, const std::string& cause) const {
  record.error = source_ + ":" + std::to_string(record.line) + ": " + cause;
}

bool InputReader::next(InputRecord& record) {
  std::streambuf* buffer = in_.rdbuf();
  if (buffer == nullptr) return false;
  for (;;) {
    bool too_long = false;
    if (!detail::read_delimited(*buffer, nul_separated_ ? '\0' : '\n', max_line_bytes_, line_, too_long)) {
      in_.setstate(std::ios::eofbit);
      return false;
    }
    ++line_number_;
    if (line_number_ == 1 && line_.compare(0, 3, "\xEF\xBB\xBF") == 0) line_.erase(0, 3);
    if (!nul_separated_ && !line_.empty() && line_.back() == '\r') line_.pop_back();
    if (line_.empty() && !too_long) continue;

    record = InputRecord{};
    record.line = line_number_;
    record.fields = RecordFields::object();
    if (too_long) {
      const bool whole_mib = max_line_bytes_ % (1 << 20) == 0;
      set_error(record, "line longer than " + (whole_mib ? std::to_string(max_line_bytes_ >> 20) + " MiB"
                                                         : std::to_string(max_line_bytes_) + " bytes"));
      return true;
    }
    const auto first = line_.find_first_not_of(" \t");
    if (!nul_separated_ && first != std::string::npos && line_[first] == '{') {
      parse_json_line(record);
      return true;
    }
    // A plain path. It must be UTF-8 to come out unchanged in the JSON output records, which
    // later stages (--resume, joins) match byte for byte.
    record.fields["path"] = line_;
    if (!detail::is_valid_utf8(line_)) {
      set_error(record, "path is not valid UTF-8");
    } else if (line_.find('\0') != std::string::npos) {
      set_error(record, "path contains a NUL byte");
    } else {
      record.path = line_;
    }
    return true;
  }
}

void InputReader::parse_json_line(InputRecord& record) {
  if (detail::nested_too_deep(line_)) {
    set_error(record, fmt::format("invalid JSON: nested deeper than {} levels", detail::kMaxJsonDepth));
    return;
  }
  try {
    record.fields = RecordFields::parse(line_);
  } catch (const nlohmann::json::exception& e) {
    record.fields = RecordFields::object();
    std::string message = "invalid JSON: " + detail::short_json_message(e.what());
    if (line_.find("NaN") != std::string::npos || line_.find("Infinity") != std::string::npos)
      message += " (NaN and Infinity are not JSON numbers)";
    set_error(record, message);
    return;
  }
  const auto path = record.fields.find("path");
  if (path == record.fields.end()) {
    if (!path_optional_) set_error(record, "record has no \"path\"");
  } else if (!path->is_string()) {
    set_error(record, "\"path\" is not a string");
  } else if (path->get_ref<const std::string&>().empty()) {
    set_error(record, "\"path\" is empty");
  } else if (path->get_ref<const std::string&>().find('\0') != std::string::npos) {
    set_error(record, "\"path\" contains a NUL character");  // it would silently cut the name
  } else {
    record.path = path->get<std::string>();
  }
}

std::string to_json_line(const RecordFields& record) {
  std::string line = record.dump(-1, ' ', false, RecordFields::error_handler_t::replace);
  line += '\n';
  return line;
}

RecordFields error_record(const RecordFields& fields_or_path, const std::string& message) {
  RecordFields record = RecordFields::object();
  if (fields_or_path.is_object()) {
    record = fields_or_path;
    record.erase("score");
  } else if (fields_or_path.is_string()) {
    record["path"] = fields_or_path;
  }
  record["error"] = message;
  return record;
}

}  // namespace rd
