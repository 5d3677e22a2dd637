#ifndef CCAGENT_CLINUX_SHIM_H
#define CCAGENT_CLINUX_SHIM_H
// glibc declarations the Swift Glibc module leaves out.
#include <malloc.h>
// struct sockaddr_ll for the data plane's AF_PACKET socket (the Glibc module leaves it out).
#include <netpacket/packet.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <unistd.h>

// A descriptor that becomes readable when the process exits (Linux 5.3): lets the hook runner
// wait for a script with a timeout in poll(2) instead of a waitpid loop. syscall(2) is
// variadic, so Swift cannot call it directly.
static inline int ccagent_pidfd_open(pid_t pid) { return (int)syscall(SYS_pidfd_open, pid, 0); }

// setns(2) is declared only under _GNU_SOURCE; the data-plane tests enter a throwaway network
// namespace on one thread with it.
static inline int ccagent_setns(int fd, int nstype) { return (int)syscall(SYS_setns, fd, nstype); }

// glibc 2.34+, declared only under _GNU_SOURCE: closes every descriptor >= from in the child,
// so a hook never inherits the agent's sockets whatever their close-on-exec flag.
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
#endif
