// Typed errors thrown by the library. Only cmd/ turns them into messages and exit statuses.
#pragma once
#include <stdexcept>
#include <string>

namespace rd {

// Base of every error the library throws on purpose. what() is one line that names the
// file (when there is one) and the cause, without the tool's name.
struct Error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// The user asked for something impossible: bad option value, no model given. Exit 2.
struct UsageError : Error {
  using Error::Error;
};

// One input (image, record, mask) could not be used; the rest of the batch goes on. Becomes an
// `error` record and exit 4 at the end.
struct InputError : Error {
  using Error::Error;
};

// A file that must be read whole (model, checkpoint, threshold file) is malformed, truncated or
// foreign. Exit 3.
struct FormatError : Error {
  using Error::Error;
};

// Writing an output failed, or the run cannot go on (out of memory, NaN loss). Exit 3.
struct RuntimeFailure : Error {
  using Error::Error;
};

}  // namespace rd
