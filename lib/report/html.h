// Putting untrusted text into an HTML page: file names are bytes a user (or an attacker) chose,
// so every one goes through one of these before it reaches markup, a script block or a link.
#pragma once
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace rd {

// Text for element content and for quoted attribute values: & < > " ' become entities, and
// bytes that are not UTF-8 become U+FFFD (a page is UTF-8; a file name need not be).
std::string html_escape(std::string_view text);

// JSON for a <script type="application/json"> block: compact, invalid UTF-8 replaced, and '<',
// '>', '&', U+2028 and U+2029 written as \u escapes, so no "</script>" or "<!--" can appear in
// it and JSON.parse of the block's text gives the value back.
std::string script_json(const nlohmann::ordered_json& value);

// A path as a relative URL: every byte but A-Z a-z 0-9 - . _ ~ and '/' percent-encoded, so '#',
// '?', '%', ' ' and ':' (which would start a fragment, a query, an escape or a scheme) stay part
// of the name.
std::string url_encode_path(std::string_view path);

// The URL of `file` for a page in directory `page_dir`: the relative path between them (both
// made absolute and normalised lexically, as a browser resolves URLs), URL-encoded.
std::string relative_link(const std::string& file, const std::string& page_dir);

// "data:<mime>;base64,..." of the bytes.
std::string data_uri(const std::string& mime, const std::vector<unsigned char>& bytes);

namespace detail {
// Valid UTF-8 is kept; each byte of an invalid sequence becomes U+FFFD.
std::string valid_utf8(std::string_view text);
std::string base64(const unsigned char* data, std::size_t size);
}  // namespace detail

}  // namespace rd
