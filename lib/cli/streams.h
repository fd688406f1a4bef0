// The tools' record streams: input files or stdin, and stdout that may be a closed pipe.
#pragma once
#include <functional>
#include <istream>
#include <string>
#include <vector>

namespace rd::cli {

// Calls `read` with each input in turn: the named files in order, "-" for stdin; no names
// means stdin unless it is a terminal, which is a UsageError saying "no input: <hint>".
// A file that cannot be opened is a UsageError naming it, a read error a RuntimeFailure.
// `read` returns false to stop early (the later inputs are not opened).
void for_each_input(const std::vector<std::string>& names, const std::string& hint,
                    const std::function<bool(std::istream& in, const std::string& name)>& read);

// Says whether stdin is a terminal (nothing piped in).
bool stdin_is_terminal();

// Ignores SIGPIPE, so that writing to a closed pipe is an EPIPE error the tool can end on quietly.
void ignore_sigpipe();

// Writes `text` to stdout and flushes it. Throws OutputClosed (cli/output.h) when the reader
// went away (EPIPE, `| head`), which run_tool ends on quietly, and RuntimeFailure for any other
// write error (a full disk).
void write_stdout(const std::string& text);

}  // namespace rd::cli
