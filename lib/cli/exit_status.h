// Exit statuses shared by every tool (DESIGN §2).
#pragma once

namespace rd {

enum ExitStatus : int {
  kExitOk = 0,
  kExitAnomaly = 1,       // a gate failed: rd-threshold apply --fail-on-anomaly found an anomalous
                          // record, or rd-report --fail-on-drift found drift (wins over 4)
  kExitUsage = 2,         // bad option, no -m given, threshold file of another model
  kExitFatal = 3,         // unreadable/corrupt model, out of memory, I/O error on output
  kExitSomeFailed = 4,    // finished, but some inputs have `error` records
  kExitInterrupted = 128  // + signal number (130 SIGINT, 143 SIGTERM)
};

}  // namespace rd
