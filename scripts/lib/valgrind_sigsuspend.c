/* Preloaded into Roost when it runs under valgrind 3.19 (scripts/bench-instructions only).
 * Swift's async main parks the main thread in libdispatch, which calls sigsuspend() with a
 * signal mask in read-only memory; valgrind 3.19 writes to the mask it is given and dies with
 * SIGSEGV. This passes a writable copy. */
#define _GNU_SOURCE
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

int sigsuspend(const sigset_t *mask) {
    sigset_t copy = *mask;
    return (int)syscall(SYS_rt_sigsuspend, &copy, _NSIG / 8);
}
