/* Benchmark helper for `make bench` (bench/bench.py): timestamps taken as close to the action
 * as possible, with CLOCK_REALTIME in nanoseconds (the same clock as `date +%s%N`).
 *
 *   cchelper stamp [FILE] ARGS...     append "<ns> ARGS..." to FILE (or $CCBENCH_STAMP_FILE when
 *                                     the first argument is not an absolute path): a notify script
 *                                     for ccagentd (SCRIPT RG NEW PREV REASON) and keepalived.
 *   cchelper linkdown NETNS IFNAME    enter /run/netns/NETNS, clear IFF_UP on IFNAME; prints the
 *                                     timestamp taken immediately before the ioctl.
 *   ccstamp ARGS...                   the same as `cchelper stamp ARGS...` (a copy named ccstamp).
 *   cchelper kill PID [STOPPID]       SIGSTOP STOPPID (a supervising parent that must not react),
 *                                     then timestamp and SIGKILL PID; prints the timestamp.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int stamp(int argc, char **argv) {
  long long t = now_ns();
  const char *file = getenv("CCBENCH_STAMP_FILE");
  int first = 2;
  if (argc > 2 && argv[2][0] == '/') {
    file = argv[2];
    first = 3;
  }
  if (!file) return 2;
  char line[4096];
  int n = snprintf(line, sizeof line, "%lld", t);
  for (int i = first; i < argc && n < (int)sizeof line - 2; i++)
    n += snprintf(line + n, sizeof line - n, " %s", argv[i]);
  if (n > (int)sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  int fd = open(file, O_WRONLY | O_CREAT | O_APPEND, 0644);
  if (fd < 0) return 1;
  ssize_t w = write(fd, line, (size_t)n);
  close(fd);
  return w == n ? 0 : 1;
}

static int linkdown(const char *netns, const char *ifname) {
  char path[512];
  snprintf(path, sizeof path, "/run/netns/%s", netns);
  int nsfd = open(path, O_RDONLY);
  if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
    perror("setns");
    return 1;
  }
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, ifname, IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
    perror("SIOCGIFFLAGS");
    return 1;
  }
  ifr.ifr_flags &= ~IFF_UP;
  long long t = now_ns();
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) {
    perror("SIOCSIFFLAGS");
    return 1;
  }
  printf("%lld\n", t);
  return 0;
}

static int killpid(pid_t pid, pid_t stop) {
  if (stop > 0) kill(stop, SIGSTOP);
  long long t = now_ns();
  if (kill(pid, SIGKILL) != 0) {
    perror("kill");
    return 1;
  }
  printf("%lld\n", t);
  return 0;
}

int main(int argc, char **argv) {
  const char *base = strrchr(argv[0], '/');
  base = base ? base + 1 : argv[0];
  if (strncmp(base, "ccstamp", 7) == 0) { /* installed as a notify script: no sub-command */
    char **args = calloc((size_t)argc + 2, sizeof *args);
    args[0] = argv[0];
    args[1] = "stamp";
    for (int i = 1; i < argc; i++) args[i + 1] = argv[i];
    return stamp(argc + 1, args);
  }
  if (argc >= 2 && strcmp(argv[1], "stamp") == 0) return stamp(argc, argv);
  if (argc == 4 && strcmp(argv[1], "linkdown") == 0) return linkdown(argv[2], argv[3]);
  if ((argc == 3 || argc == 4) && strcmp(argv[1], "kill") == 0)
    return killpid(atoi(argv[2]), argc == 4 ? atoi(argv[3]) : 0);
  fprintf(stderr, "usage: cchelper stamp [FILE] ARGS... | linkdown NETNS IFNAME | kill PID [STOPPID]\n");
  return 2;
}
