// Writes a file so that readers see either the old content or the new, never a torn mix.
#pragma once
#include <functional>
#include <ostream>
#include <string>

namespace rd {

// Calls `write` with a stream on a fresh temporary file in the directory of `path`, then makes
// it `path` by rename, so a kill, a full disk or a throwing writer never leaves `path` half
// written. Flushes, checks the stream, fsyncs the file, renames, fsyncs the directory.
// If `path` already exists, the new file keeps its permission bits; a symlink keeps pointing to
// the (replaced) file; an existing device, FIFO or /dev/stdout is written through, not replaced.
// On failure the temporary file is removed and the old `path` is left as it was:
// an I/O error throws RuntimeFailure naming `path` and the system's reason (e.g. "No space left
// on device"); an exception thrown by `write` itself propagates unchanged.
void write_file_atomically(const std::string& path, const std::function<void(std::ostream&)>& write);

}  // namespace rd
