// Hostile names stay text: in markup, in JSON inside a script block, and in links.
#include <doctest/doctest.h>

#include <filesystem>

#include "report/html.h"

TEST_CASE("markup escaping turns every special character into an entity") {
  CHECK(rd::html_escape("<script>alert(1)</script>.png") == "&lt;script&gt;alert(1)&lt;/script&gt;.png");
  CHECK(rd::html_escape("a&b \"c\" 'd'") == "a&amp;b &quot;c&quot; &#39;d&#39;");
  CHECK(rd::html_escape("plain/ünïcode.png") == "plain/ünïcode.png");
}

TEST_CASE("bytes that are not UTF-8 become U+FFFD, valid sequences stay") {
  CHECK(rd::detail::valid_utf8("a\xff" "b") == "a\xEF\xBF\xBD" "b");
  CHECK(rd::detail::valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // overlong '/'
  CHECK(rd::detail::valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
  CHECK(rd::detail::valid_utf8("\xF0\x9F\x98\x80 ok") == "\xF0\x9F\x98\x80 ok");
  CHECK(rd::detail::valid_utf8("cut \xE2\x82") == "cut \xEF\xBF\xBD\xEF\xBF\xBD");
  CHECK(rd::html_escape("<\xfe>") == "&lt;\xEF\xBF\xBD&gt;");
}

TEST_CASE("JSON in a script block cannot end the block or open a comment, and parses back") {
  const nlohmann::ordered_json value = {{"path", "</script><script>alert(1)</script><!--"},
                                        {"sep", "a\xE2\x80\xA8" "b"},
                                        {"amp", "x&y"}};
  const std::string text = rd::script_json(value);
  CHECK(text.find('<') == std::string::npos);
  CHECK(text.find('>') == std::string::npos);
  CHECK(text.find('&') == std::string::npos);
  CHECK(text.find("\xE2\x80\xA8") == std::string::npos);
  CHECK(nlohmann::ordered_json::parse(text) == value);
  // Invalid UTF-8 in a name does not stop the page.
  CHECK(rd::script_json({{"path", "a\xff"}}) == "{\"path\":\"a\xEF\xBF\xBD\"}");
}

TEST_CASE("a path in a link keeps '#', '?', '%', spaces and colons as part of the name") {
  CHECK(rd::url_encode_path("dir/a b#1?x=%25.png") == "dir/a%20b%231%3Fx%3D%2525.png");
  CHECK(rd::url_encode_path("cam:2/<script>.png") == "cam%3A2/%3Cscript%3E.png");
  CHECK(rd::url_encode_path("ü") == "%C3%BC");
  CHECK(rd::url_encode_path("a\"b'c") == "a%22b%27c");
}

TEST_CASE("links are relative to the page's folder, whatever the current folder") {
  const std::string cwd = std::filesystem::current_path().string();
  CHECK(rd::relative_link("images/a b.png", "") == "images/a%20b.png");
  CHECK(rd::relative_link("images/a.png", "out") == "../images/a.png");
  CHECK(rd::relative_link("images/a.png", "out/") == "../images/a.png");
  CHECK(rd::relative_link(cwd + "/x/./y/../z.png", cwd + "/x") == "z.png");
  CHECK(rd::relative_link("/srv/cam/1#2.png", "/srv/reports/2026") == "../../cam/1%232.png");
}

TEST_CASE("data URIs carry base64 with padding") {
  CHECK(rd::detail::base64(reinterpret_cast<const unsigned char*>("Man"), 3) == "TWFu");
  CHECK(rd::detail::base64(reinterpret_cast<const unsigned char*>("Ma"), 2) == "TWE=");
  CHECK(rd::detail::base64(reinterpret_cast<const unsigned char*>("M"), 1) == "TQ==");
  CHECK(rd::data_uri("image/png", {0xff, 0x00}) == "data:image/png;base64,/wA=");
}
