// The tools' input stream: paths, NUL-separated paths, or JSON lines, one record at a time.
#pragma once
#include <cstddef>
#include <istream>
#include <nlohmann/json.hpp>
#include <streambuf>
#include <string>

namespace rd {

// A record's fields keep the order they were read in (nlohmann::json would sort them), so a
// record passed through a tool comes out as it went in, with the tool's fields added at the end.
using RecordFields = nlohmann::ordered_json;

// One input: the path to work on, and the fields to pass through to the output record.
struct InputRecord {
  std::string path;     // empty when the line had no usable path (then `error` is set, unless
                        // paths are optional and the JSON record simply has none)
  RecordFields fields;  // the input JSON object unchanged, or {"path": path} for a plain path
  std::string error;      // set when the line is unusable: "<source>:<line>: <cause>"
  size_t line = 0;        // 1-based line (or NUL-separated record) number in the source
};

// Lines longer than this are refused: no path or record is that long, and it bounds memory.
constexpr size_t kMaxInputLineBytes = size_t{64} << 20;

// Reads input records from a stream, holding one line in memory at a time.
// - Newline mode: one path per line; a trailing '\r' is removed and empty lines are skipped
//   (they still count for line numbers). A line whose first non-blank character is '{' is a
//   JSON object whose string `path` is used and whose fields all pass through.
// - NUL mode (`-0`, for `find -print0`): every NUL-terminated name is a plain path, kept byte
//   for byte: it may contain newlines, '\r' or a leading '{'.
// A UTF-8 byte order mark at the start of the stream is ignored (lists saved on Windows).
// A bad line (invalid JSON, invalid UTF-8, no string `path`, over the length limit) yields a
// record with `error` set, and reading goes on with the next line: next() never throws for
// one bad line.
class InputReader {
 public:
  InputReader(std::istream& in, bool nul_separated, std::string source_name = "<stdin>",
              size_t max_line_bytes = kMaxInputLineBytes);

  // Fills `record` with the next input and says true, or says false at the end of the stream.
  bool next(InputRecord& record);

  // Lets JSON records go without a `path` (rd-eval and rd-threshold read score records, which
  // need none): such a record has an empty `path` and no `error`. A `path` that is present must
  // still be a usable string.
  void set_path_optional(bool optional) { path_optional_ = optional; }

 private:
  void parse_json_line(InputRecord& record);
  void set_error(InputRecord& record, const std::string& cause) const;

  std::istream& in_;
  bool nul_separated_;
  std::string source_;
  size_t max_line_bytes_;
  size_t line_number_ = 0;
  bool path_optional_ = false;
  std::string line_;  // reused between records, so steady-state reading does not allocate
};

// Serialises one output record as a line: compact UTF-8 JSON and '\n'. Invalid UTF-8 in strings
// (file names are bytes) becomes U+FFFD instead of throwing, so one odd name cannot stop a run.
// Records made as nlohmann::json convert implicitly (their keys then come out sorted).
std::string to_json_line(const RecordFields& record);

// The record for a failed input: `fields_or_path` (an input record's fields, or a path string)
// with `error` set to `message` and any `score` removed, other fields passed through.
RecordFields error_record(const RecordFields& fields_or_path, const std::string& message);

namespace detail {

// Reads bytes up to `delimiter` (consumed, not stored) into `out`. Past `max_bytes` it stops
// storing, discards the rest of the line and sets `too_long`. Says false at the end of input
// when nothing was read.
bool read_delimited(std::streambuf& in, char delimiter, size_t max_bytes, std::string& out, bool& too_long);

// Says whether `text` is well-formed UTF-8 (no overlong forms, surrogates or values past U+10FFFF).
bool is_valid_utf8(const std::string& text);

}  // namespace detail
}  // namespace rd
