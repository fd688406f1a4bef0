#include "io/input_records.h"

#include <doctest/doctest.h>

#include <sstream>
#include <vector>

namespace {

std::vector<rd::InputRecord> read_all(const std::string& text, bool nul = false,
                                      size_t max_line = rd::kMaxInputLineBytes) {
  std::istringstream in(text);
  rd::InputReader reader(in, nul, "list.txt", max_line);
  std::vector<rd::InputRecord> records;
  rd::InputRecord record;
  while (reader.next(record)) records.push_back(record);
  return records;
}

}  // namespace

TEST_CASE("plain_lines_are_paths_with_crlf_removed_and_empty_lines_skipped") {
  auto r = read_all("a.png\r\n\nb c.jpg\n\r\n  leading space.png\nlast.png");
  REQUIRE(r.size() == 4);
  CHECK(r[0].path == "a.png");
  CHECK(r[0].fields == rd::RecordFields{{"path", "a.png"}});
  CHECK(r[0].line == 1);
  CHECK(r[1].path == "b c.jpg");
  CHECK(r[1].line == 3);
  CHECK(r[2].path == "  leading space.png");
  CHECK(r[3].path == "last.png");
  CHECK(r[3].line == 6);
  for (auto& record : r) CHECK(record.error.empty());
}

TEST_CASE("an_empty_stream_has_no_records") {
  CHECK(read_all("").empty());
  CHECK(read_all("\n\n\r\n").empty());
  CHECK(read_all("", true).empty());
}

TEST_CASE("nul_separated_names_keep_newlines_carriage_returns_and_braces") {
  auto r = read_all(std::string("a\nb.png\0c.png\r\0\0{x}.png", 23), true);
  REQUIRE(r.size() == 3);
  CHECK(r[0].path == "a\nb.png");
  CHECK(r[1].path == "c.png\r");
  CHECK(r[2].path == "{x}.png");
  CHECK(r[2].line == 4);
}

TEST_CASE("json_lines_use_path_and_pass_every_field_through") {
  auto r = read_all(
      "{\"path\": \"x.png\", \"label\": 1, \"meta\": {\"camera\": [1, 2]}, \"score\": 0.5}\n"
      "  \t{\"path\":\"y.png\"}\r\n");
  REQUIRE(r.size() == 2);
  CHECK(r[0].path == "x.png");
  CHECK(r[0].fields == rd::RecordFields::parse(R"({"path":"x.png","label":1,"meta":{"camera":[1,2]},"score":0.5})"));
  CHECK(r[1].path == "y.png");
  CHECK(r[1].error.empty());
}

TEST_CASE("a_malformed_json_line_is_an_error_record_and_reading_goes_on") {
  auto r = read_all("a.png\n{\"path\": \"b.png\"\nc.png\n");
  REQUIRE(r.size() == 3);
  CHECK(r[0].path == "a.png");
  CHECK(r[1].path.empty());
  CHECK(r[1].line == 2);
  CHECK(
      r[1].error ==
      "list.txt:2: invalid JSON: parse error at line 1, column 17: syntax error while parsing object - unexpected end "
      "of input; expected '}'");
  CHECK(r[2].path == "c.png");
}

TEST_CASE("json_records_without_a_usable_path_are_error_records_that_keep_their_fields") {
  auto r = read_all(
      "{\"label\": 1}\n{\"path\": 3}\n{\"path\": \"\"}\n{\"path\": \"a\\u0000b\"}\n{\"path\": \"ok.png\"} extra\n");
  REQUIRE(r.size() == 5);
  CHECK(r[0].error == "list.txt:1: record has no \"path\"");
  CHECK(r[0].fields == rd::RecordFields{{"label", 1}});
  CHECK(r[1].error == "list.txt:2: \"path\" is not a string");
  CHECK(r[2].error == "list.txt:3: \"path\" is empty");
  CHECK(r[3].error == "list.txt:4: \"path\" contains a NUL character");
  CHECK(r[4].error.rfind("list.txt:5: invalid JSON: ", 0) == 0);
  for (auto& record : r) CHECK(record.path.empty());
}

TEST_CASE("json_records_keep_their_field_order_through_to_json_line") {
  auto r = read_all("{\"score\": 0.5, \"path\": \"z.png\", \"label\": 0, \"a\": {\"y\": 1, \"b\": 2}}\n");
  REQUIRE(r.size() == 1);
  r[0].fields["anomalous"] = false;
  CHECK(rd::to_json_line(r[0].fields) == "{\"score\":0.5,\"path\":\"z.png\",\"label\":0,\"a\":{\"y\":1,\"b\":2},\"anomalous\":false}\n");
  CHECK(rd::to_json_line(rd::error_record(r[0].fields, "bad")) ==
        "{\"path\":\"z.png\",\"label\":0,\"a\":{\"y\":1,\"b\":2},\"anomalous\":false,\"error\":\"bad\"}\n");
}

TEST_CASE("with_optional_paths_a_json_record_without_path_is_no_error_but_a_bad_path_still_is") {
  std::istringstream in("{\"score\": 0.5, \"label\": 1}\n{\"path\": 3}\n{\"path\": \"p.png\"}\n");
  rd::InputReader reader(in, false, "s.jsonl");
  reader.set_path_optional(true);
  rd::InputRecord record;
  REQUIRE(reader.next(record));
  CHECK(record.error.empty());
  CHECK(record.path.empty());
  CHECK(record.fields == rd::RecordFields{{"score", 0.5}, {"label", 1}});
  REQUIRE(reader.next(record));
  CHECK(record.error == "s.jsonl:2: \"path\" is not a string");
  REQUIRE(reader.next(record));
  CHECK(record.path == "p.png");
  CHECK_FALSE(reader.next(record));
}

TEST_CASE("invalid_utf8_is_an_error_record_for_paths_and_json_alike") {
  auto r = read_all("caf\xe9.png\n{\"path\": \"caf\xe9.png\"}\n\xc0\xaf.png\n\xed\xa0\x80.png\ncaf\xc3\xa9.png\n");
  REQUIRE(r.size() == 5);
  CHECK(r[0].error == "list.txt:1: path is not valid UTF-8");
  CHECK(r[0].fields["path"] == "caf\xe9.png");  // kept so that the error record names the input
  CHECK(r[1].error.rfind("list.txt:2: invalid JSON: ", 0) == 0);
  CHECK(r[2].error == "list.txt:3: path is not valid UTF-8");  // overlong '/'
  CHECK(r[3].error == "list.txt:4: path is not valid UTF-8");  // surrogate
  CHECK(r[4].path == "caf\xc3\xa9.png");
  CHECK(r[4].error.empty());
}

TEST_CASE("a_line_over_the_limit_is_an_error_record_and_the_next_line_is_read") {
  auto r = read_all("short.png\n" + std::string(100, 'x') + "\nnext.png\n" + std::string(10, 'y'), false, 16);
  REQUIRE(r.size() == 4);
  CHECK(r[0].path == "short.png");
  CHECK(r[1].error == "list.txt:2: line longer than 16 bytes");
  CHECK(r[1].path.empty());
  CHECK(r[2].path == "next.png");
  CHECK(r[2].line == 3);
  CHECK(r[3].path == "yyyyyyyyyy");
}

TEST_CASE("a_json_parse_error_message_is_short_even_for_a_huge_token") {
  auto r = read_all("{\"path\": \"" + std::string(100000, 'a') + "\n");
  REQUIRE(r.size() == 1);
  CHECK(r[0].error.size() < 300);
  CHECK(r[0].error.rfind("list.txt:1: invalid JSON: parse error", 0) == 0);
}

TEST_CASE("a_byte_order_mark_at_the_start_is_ignored") {
  auto r = read_all(
      "\xEF\xBB\xBF"
      "a.png\n\xEF\xBB\xBF"
      "b.png\n");
  REQUIRE(r.size() == 2);
  CHECK(r[0].path == "a.png");
  CHECK(r[1].path ==
        "\xEF\xBB\xBF"
        "b.png");  // only at the start of the stream
  auto j = read_all("\xEF\xBB\xBF{\"path\": \"c.png\"}\n");
  REQUIRE(j.size() == 1);
  CHECK(j[0].path == "c.png");
}

TEST_CASE("the_reader_names_stdin_by_default") {
  std::istringstream in("{\n");
  rd::InputReader reader(in, false);
  rd::InputRecord record;
  REQUIRE(reader.next(record));
  CHECK(record.error.rfind("<stdin>:1: invalid JSON:", 0) == 0);
  CHECK_FALSE(reader.next(record));
}

TEST_CASE("to_json_line_is_compact_utf8_ending_in_newline") {
  nlohmann::json record = {{"path", "café/ä.png"}, {"score", 0.25}};
  CHECK(rd::to_json_line(record) == "{\"path\":\"café/ä.png\",\"score\":0.25}\n");
}

TEST_CASE("to_json_line_replaces_invalid_utf8_instead_of_throwing") {
  nlohmann::json record = {{"path", "caf\xe9.png"}};
  CHECK(rd::to_json_line(record) == "{\"path\":\"caf\xef\xbf\xbd.png\"}\n");
}

TEST_CASE("error_record_keeps_passthrough_fields_sets_error_and_drops_score") {
  auto fields = rd::RecordFields{{"path", "a.png"}, {"label", 1}, {"score", 0.9}, {"camera", "left"}};
  CHECK(rd::error_record(fields, "cannot decode 'a.png'") ==
        rd::RecordFields{{"path", "a.png"}, {"label", 1}, {"camera", "left"}, {"error", "cannot decode 'a.png'"}});
}

TEST_CASE("error_record_of_a_path_has_path_and_error_only") {
  CHECK(rd::error_record("b.png", "missing") == rd::RecordFields{{"path", "b.png"}, {"error", "missing"}});
  CHECK(rd::error_record(nlohmann::json(), "bad line") == rd::RecordFields{{"error", "bad line"}});
}

TEST_CASE("is_valid_utf8_accepts_the_whole_range_and_rejects_malformed_sequences") {
  CHECK(rd::detail::is_valid_utf8(""));
  CHECK(rd::detail::is_valid_utf8("a\xc2\x80\xe0\xa0\x80\xf0\x90\x80\x80\xf4\x8f\xbf\xbf"));
  CHECK_FALSE(rd::detail::is_valid_utf8("\x80"));
  CHECK_FALSE(rd::detail::is_valid_utf8("\xe0\x80\x80"));      // overlong
  CHECK_FALSE(rd::detail::is_valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
  CHECK_FALSE(rd::detail::is_valid_utf8("\xe2\x82"));          // truncated
  CHECK_FALSE(rd::detail::is_valid_utf8("\xff"));
}

TEST_CASE("deep_nesting_is_refused_before_parsing_and_brackets_in_strings_do_not_count") {
  // nlohmann builds the nested value before failing: ten megabytes of '[' took a gigabyte.
  auto r = read_all("{\"path\":\"a.png\",\"x\":" + std::string(5'000'000, '[') + "\n" +
                    "{\"path\":\"[[[[.png\",\"x\":[[[1]]],\"s\":\"" + std::string(500, '{') + "\"}\n");
  REQUIRE(r.size() == 2);
  CHECK(r[0].error == "list.txt:1: invalid JSON: nested deeper than 64 levels");
  CHECK(r[1].error.empty());
  CHECK(r[1].path == "[[[[.png");
}

TEST_CASE("nan_and_infinity_are_named_in_the_message") {
  auto r = read_all("{\"path\":\"a.png\",\"score\":NaN}\n");
  REQUIRE(r.size() == 1);
  CHECK(r[0].error.find("(NaN and Infinity are not JSON numbers)") != std::string::npos);
}
