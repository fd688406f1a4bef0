#include "cli/streams.h"

#include <fstream>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "errors.h"
#include "support.h"

TEST_CASE("for_each_input_reads_the_named_files_in_order_and_stops_when_asked") {
  const std::string dir = rd::test::scratch_dir("streams");
  std::ofstream(dir + "/a") << "first";
  std::ofstream(dir + "/b") << "second";
  std::vector<std::string> seen;
  rd::cli::for_each_input({dir + "/b", dir + "/a"}, "hint", [&](std::istream& in, const std::string& name) {
    std::string text;
    in >> text;
    seen.push_back(name + "=" + text);
    return true;
  });
  CHECK(seen == std::vector<std::string>{dir + "/b=second", dir + "/a=first"});
  seen.clear();
  rd::cli::for_each_input({dir + "/a", dir + "/missing"}, "hint", [&](std::istream&, const std::string& name) {
    seen.push_back(name);
    return false;  // the missing file is never opened
  });
  CHECK(seen == std::vector<std::string>{dir + "/a"});
}

TEST_CASE("for_each_input_names_a_file_it_cannot_open_in_a_usage_error") {
  CHECK_THROWS_WITH_AS(
      rd::cli::for_each_input({"/nonexistent/x.jsonl"}, "hint", [](std::istream&, const std::string&) { return true; }),
      "cannot open '/nonexistent/x.jsonl': No such file or directory", rd::UsageError);
}
