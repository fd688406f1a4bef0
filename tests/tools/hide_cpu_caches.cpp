// LD_PRELOAD shim for tests: makes this process see a CPU that hides its cache sizes, as many
// cloud VMs and containers do (CPUID leaf 4 on Intel and 0x8000001D on AMD read as zeros), so
// that the path rd takes on such machines runs here too. It turns on the kernel's CPUID
// faulting for the process (arch_prctl ARCH_SET_CPUID, Linux 4.12+, on CPUs or hypervisors that
// offer it: /proc/cpuinfo flag cpuid_fault) and answers each faulting CPUID itself: the real
// values, except for the two cache leaves. Threads inherit the setting; exec clears it, and the
// shim's constructor sets it again in the new image.
//
// Libraries that install their own SIGSEGV handler later (UCX, which Debian 13's LibTorch
// loads, does) would take the CPUID faults away from the shim: it interposes sigaction() and
// signal() for SIGSEGV, keeps their handler and passes it every fault that is not a CPUID.
//
// It prints "hide_cpu_caches: active" to stderr once when RD_HIDE_CACHES_VERBOSE is set, and
// exits with status 77 ("cannot run here") when the kernel refuses CPUID faulting.
#include <asm/prctl.h>
#include <dlfcn.h>
#include <cpuid.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>

namespace {

using SigactionFn = int (*)(int, const struct sigaction*, struct sigaction*);

bool active = false;
struct sigaction chained;  // the SIGSEGV action the program asked for; SIG_DFL until it asks

SigactionFn real_sigaction() {
  static auto fn = reinterpret_cast<SigactionFn>(dlsym(RTLD_NEXT, "sigaction"));
  return fn;
}

bool set_cpuid_enabled(bool enabled) { return syscall(SYS_arch_prctl, ARCH_SET_CPUID, enabled ? 1 : 0) == 0; }

// A fault that is not CPUID goes to the program's handler, or kills the process as it would have.
void pass_on(int sig, siginfo_t* info, void* context) {
  if (chained.sa_flags & SA_SIGINFO) {
    if (chained.sa_sigaction) return chained.sa_sigaction(sig, info, context);
  } else if (chained.sa_handler != SIG_DFL && chained.sa_handler != SIG_IGN && chained.sa_handler) {
    return chained.sa_handler(sig);
  }
  struct sigaction dfl;
  std::memset(&dfl, 0, sizeof dfl);
  dfl.sa_handler = SIG_DFL;
  real_sigaction()(SIGSEGV, &dfl, nullptr);  // returning re-runs the instruction: it faults again
}

void on_fault(int sig, siginfo_t* info, void* context) {
  auto* uc = static_cast<ucontext_t*>(context);
  greg_t* r = uc->uc_mcontext.gregs;
  const auto* ip = reinterpret_cast<const unsigned char*>(r[REG_RIP]);
  if (info->si_code != SI_KERNEL || ip[0] != 0x0f || ip[1] != 0xa2) return pass_on(sig, info, context);
  const auto leaf = std::uint32_t(r[REG_RAX]), subleaf = std::uint32_t(r[REG_RCX]);
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (leaf != 4 && leaf != 0x8000001d) {
    set_cpuid_enabled(true);
    __cpuid_count(leaf, subleaf, a, b, c, d);
    set_cpuid_enabled(false);
  }
  r[REG_RAX] = a;
  r[REG_RBX] = b;
  r[REG_RCX] = c;
  r[REG_RDX] = d;
  r[REG_RIP] += 2;
}

__attribute__((constructor)) void hide_cpu_caches() {
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  std::memset(&chained, 0, sizeof chained);
  chained.sa_handler = SIG_DFL;
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  real_sigaction()(SIGSEGV, &sa, nullptr);
  active = true;
  if (!set_cpuid_enabled(false)) {
    static const char msg[] = "hide_cpu_caches: the kernel refuses CPUID faulting here (no cpuid_fault)\n";
    if (write(2, msg, sizeof msg - 1) < 0) {}
    _exit(77);
  }
  if (std::getenv("RD_HIDE_CACHES_VERBOSE")) {
    static const char msg[] = "hide_cpu_caches: active\n";
    if (write(2, msg, sizeof msg - 1) < 0) {}
  }
}

}  // namespace

// Interposed: SIGSEGV stays the shim's; what the program sets is kept and chained to.
extern "C" int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
  if (sig != SIGSEGV || !active) return real_sigaction()(sig, act, old);
  if (old) *old = chained;
  if (act) chained = *act;
  return 0;
}

extern "C" sighandler_t signal(int sig, sighandler_t handler) {
  struct sigaction act, old;
  std::memset(&act, 0, sizeof act);
  act.sa_handler = handler;
  act.sa_flags = SA_RESTART;
  if (sigaction(sig, &act, &old) != 0) return SIG_ERR;
  return old.sa_handler;
}
