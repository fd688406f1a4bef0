// Splitting one input list over N processes (--shard K/N) and restarting a killed run (--resume).
#pragma once
#include <cstdint>
#include <string>
#include <unordered_set>

namespace rd {

// One part of N. `index` is 0-based here; users write it 1-based ("--shard 1/3" is index 0).
// The default is the whole input.
struct Shard {
  int index = 0, count = 1;
};

// Parses "K/N" with 1 <= K <= N (decimal digits only). Throws UsageError otherwise.
Shard parse_shard(const std::string& text);

// Says whether `path` belongs to `shard`. Depends only on the bytes of `path` as given, so every
// process, run and machine agrees, and each path is in exactly one of the N shards. Give every
// shard the same spelling of the inputs ("a.png" and "./a.png" are different paths here).
// The rule is part of the tools' interface: changing it would break mixing shards of versions.
bool in_shard(const std::string& path, Shard shard);

// The `path` of every record in a JSON-lines output file, for --resume FILE. A missing FILE is
// an empty set (the first run of a cron job). Lines that are not a JSON object with a string
// `path` are ignored: a run killed mid-write leaves a torn last line, and output appended after
// it by the resumed run can put that torn line mid-file; ignoring it only means that input is
// processed again. Throws UsageError if FILE exists but cannot be read.
std::unordered_set<std::string> read_done_paths(const std::string& jsonl_file);

// True when `jsonl_file` is the file descriptor `fd` writes to (`--resume out.jsonl >> out.jsonl`)
// and it ends in a line without its newline (a run stopped by a full disk, or a writer other than
// rd): the caller then starts a new line, so the first record does not glue onto the fragment.
bool resume_file_needs_newline(const std::string& jsonl_file, int fd);

namespace detail {

// FNV-1a 64 of the bytes, then the MurmurHash3 64-bit finaliser, whose avalanche makes the
// remainder modulo small N even for names that differ only in their last digits.
uint64_t shard_hash(const std::string& bytes);

}  // namespace detail
}  // namespace rd
