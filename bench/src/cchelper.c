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
 *   cchelper term PID                 timestamp, SIGTERM PID (a graceful stop); prints the timestamp.
 *   cchelper deadnode NETNS IFNAME[,IFNAME...] PID [STOPPID]
 *                                     a dead host: SIGSTOP STOPPID, timestamp, SIGKILL PID and clear
 *                                     IFF_UP on each IFNAME in NETNS (its switch ports) at once.
 *   cchelper probe NETNS DST INTERVAL_US LOSSFILE STATUSFILE
 *                                     ICMP echo to DST every INTERVAL_US until SIGTERM. A probe not
 *                                     answered within LATE probes is lost; each run of consecutive
 *                                     lost probes is appended to LOSSFILE once it ends, as
 *                                     "FIRST_SEQ LAST_SEQ FIRST_SEND_NS LAST_SEND_NS"; STATUSFILE is
 *                                     rewritten every 20 ms with "LAST_ANSWERED_SEND_NS SENT ANSWERED".
 *   cchelper flood NETNS RATE SECONDS HEXPAYLOAD SRC DST PORT [SRC DST PORT]...
 *                                     forged UDP datagrams (raw IP, the given source addresses) at
 *                                     RATE per second in total, round robin over the targets, for
 *                                     SECONDS (0: until SIGTERM); every other one is HEXPAYLOAD
 *                                     with one byte changed (a bad MAC), the others HEXPAYLOAD as
 *                                     captured (a replay). Prints "SENT ELAPSED_NS" at the end.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/udp.h>
#include <poll.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
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

static int enter_netns(const char *netns) {
  char path[512];
  snprintf(path, sizeof path, "/run/netns/%s", netns);
  int nsfd = open(path, O_RDONLY);
  if (nsfd < 0 || setns(nsfd, CLONE_NEWNET) != 0) {
    perror("setns");
    return -1;
  }
  close(nsfd);
  return 0;
}

/* The ifreq with IFF_UP cleared, ready for SIOCSIFFLAGS on the returned socket (-1 on error). */
static int prepare_down(const char *netns, const char *ifname, struct ifreq *ifr) {
  if (enter_netns(netns) != 0) return -1;
  int s = socket(AF_INET, SOCK_DGRAM, 0);
  memset(ifr, 0, sizeof *ifr);
  strncpy(ifr->ifr_name, ifname, IFNAMSIZ - 1);
  if (ioctl(s, SIOCGIFFLAGS, ifr) != 0) {
    perror("SIOCGIFFLAGS");
    return -1;
  }
  ifr->ifr_flags &= ~IFF_UP;
  return s;
}

static int linkdown(const char *netns, const char *ifname) {
  struct ifreq ifr;
  int s = prepare_down(netns, ifname, &ifr);
  if (s < 0) return 1;
  long long t = now_ns();
  if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0) {
    perror("SIOCSIFFLAGS");
    return 1;
  }
  printf("%lld\n", t);
  return 0;
}

static int deadnode(const char *netns, char *ifnames, pid_t pid, pid_t stop) {
  struct ifreq ifr[8];
  int socks[8], n = 0;
  for (char *name = strtok(ifnames, ","); name && n < 8; name = strtok(NULL, ",")) {
    socks[n] = prepare_down(netns, name, &ifr[n]);
    if (socks[n] < 0) return 1;
    n++;
  }
  if (stop > 0) kill(stop, SIGSTOP);
  long long t = now_ns();
  if (kill(pid, SIGKILL) != 0) {
    perror("kill");
    return 1;
  }
  for (int i = 0; i < n; i++)
    if (ioctl(socks[i], SIOCSIFFLAGS, &ifr[i]) != 0) {
      perror("SIOCSIFFLAGS");
      return 1;
    }
  printf("%lld\n", t);
  return 0;
}

static int term(pid_t pid) {
  long long t = now_ns();
  if (kill(pid, SIGTERM) != 0) {
    perror("kill");
    return 1;
  }
  printf("%lld\n", t);
  return 0;
}

static volatile sig_atomic_t stopping;
static void on_stop(int sig) {
  (void)sig;
  stopping = 1;
}

static void catch_stop(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_stop;
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
}

static long long mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint16_t inet_sum(const void *data, size_t len) {
  const uint8_t *p = data;
  uint32_t sum = 0;
  for (size_t i = 0; i + 1 < len; i += 2) sum += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (len & 1) sum += (uint32_t)(p[len - 1] << 8);
  while (sum >> 16) sum = (sum & 0xffff) + (sum >> 16);
  return htons((uint16_t)~sum);
}

#define RING 65536 /* probes remembered: 65 s at 1 ms */
#define LATE 200   /* a probe not answered while 200 more were sent is lost */

static void write_status(const char *path, long long last_answered, long long sent, long long answered) {
  char tmp[600], line[128];
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  int n = snprintf(line, sizeof line, "%lld %lld %lld\n", last_answered, sent, answered);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  if (write(fd, line, (size_t)n) == n) rename(tmp, path);
  close(fd);
}

static int probe(const char *netns, const char *dst, long interval_us, const char *lossfile, const char *statusfile) {
  if (enter_netns(netns) != 0) return 1;
  int s = socket(AF_INET, SOCK_RAW, IPPROTO_ICMP);
  if (s < 0) {
    perror("socket");
    return 1;
  }
  struct sockaddr_in to = {.sin_family = AF_INET};
  if (inet_pton(AF_INET, dst, &to.sin_addr) != 1) return 2;
  FILE *loss = fopen(lossfile, "a");
  if (!loss) return 1;
  setvbuf(loss, NULL, _IOLBF, 0);
  static long long sent_at[RING];
  static unsigned char answered_flag[RING];
  uint16_t id = (uint16_t)getpid();
  long long sent = 0, answered = 0, last_answered = 0, checked = 0;
  long long run_first = -1, run_last = -1;
  long long interval = interval_us * 1000LL, next = mono_ns(), last_status = 0;
  catch_stop();
  while (!stopping) {
    long long now = mono_ns();
    if (now >= next) {
      struct {
        struct icmphdr h;
        uint32_t seq;
      } req;
      memset(&req, 0, sizeof req);
      req.h.type = ICMP_ECHO;
      req.h.un.echo.id = id;
      req.h.un.echo.sequence = htons((uint16_t)sent);
      req.seq = (uint32_t)sent;
      req.h.checksum = inet_sum(&req, sizeof req);
      sent_at[sent % RING] = now_ns();
      answered_flag[sent % RING] = 0;
      sendto(s, &req, sizeof req, 0, (struct sockaddr *)&to, sizeof to); /* errors: lost */
      sent++;
      next += interval;
      if (next < now - 100 * interval) next = now + interval; /* descheduled for long: no burst */
      for (; checked + LATE < sent; checked++) {
        if (answered_flag[checked % RING]) {
          if (run_first >= 0) {
            fprintf(loss, "%lld %lld %lld %lld\n", run_first, run_last, sent_at[run_first % RING],
                    sent_at[run_last % RING]);
            run_first = -1;
          }
        } else {
          if (run_first < 0) run_first = checked;
          run_last = checked;
        }
      }
      if (now - last_status > 20000000LL) {
        write_status(statusfile, last_answered, sent, answered);
        last_status = now;
      }
      continue;
    }
    struct pollfd pfd = {.fd = s, .events = POLLIN};
    long long wait = next - now;
    struct timespec ts = {.tv_sec = wait / 1000000000LL, .tv_nsec = wait % 1000000000LL};
    if (ppoll(&pfd, 1, &ts, NULL) <= 0) continue;
    unsigned char buf[1500];
    ssize_t n = recv(s, buf, sizeof buf, 0);
    if (n < 20) continue;
    size_t ihl = (size_t)(buf[0] & 15) * 4;
    if ((size_t)n < ihl + sizeof(struct icmphdr) + 4) continue;
    struct icmphdr *h = (struct icmphdr *)(buf + ihl);
    if (h->type != ICMP_ECHOREPLY || h->un.echo.id != id) continue;
    uint32_t seq;
    memcpy(&seq, buf + ihl + sizeof *h, 4);
    long long full = (sent & ~0xffffffffLL) | seq;
    if (full >= sent) full -= 1LL << 32;
    if (full < 0 || full < sent - RING || answered_flag[full % RING]) continue;
    answered_flag[full % RING] = 1;
    answered++;
    if (sent_at[full % RING] > last_answered) last_answered = sent_at[full % RING];
  }
  if (run_first >= 0)
    fprintf(loss, "%lld %lld %lld %lld\n", run_first, run_last, sent_at[run_first % RING], sent_at[run_last % RING]);
  write_status(statusfile, last_answered, sent, answered);
  fclose(loss);
  return 0;
}

struct target {
  struct sockaddr_in dst;
  unsigned char packet[1500];
  size_t len;
};

static int flood(const char *netns, long rate, double seconds, const char *hex, int ntargets, char **spec) {
  if (enter_netns(netns) != 0) return 1;
  int s = socket(AF_INET, SOCK_RAW, IPPROTO_RAW); /* IP_HDRINCL implied: our own source addresses */
  if (s < 0) {
    perror("socket");
    return 1;
  }
  size_t plen = strlen(hex) / 2;
  if (plen == 0 || plen > 1400) return 2;
  struct target *t = calloc((size_t)ntargets, sizeof *t);
  for (int i = 0; i < ntargets; i++) {
    struct in_addr src;
    if (inet_pton(AF_INET, spec[3 * i], &src) != 1 || inet_pton(AF_INET, spec[3 * i + 1], &t[i].dst.sin_addr) != 1)
      return 2;
    t[i].dst.sin_family = AF_INET;
    struct iphdr *ip = (struct iphdr *)t[i].packet;
    struct udphdr *udp = (struct udphdr *)(t[i].packet + sizeof *ip);
    t[i].len = sizeof *ip + sizeof *udp + plen;
    ip->version = 4;
    ip->ihl = 5;
    ip->ttl = 64;
    ip->protocol = IPPROTO_UDP;
    ip->tot_len = htons((uint16_t)t[i].len);
    ip->saddr = src.s_addr;
    ip->daddr = t[i].dst.sin_addr.s_addr;
    udp->source = htons(40000);
    udp->dest = htons((uint16_t)atoi(spec[3 * i + 2]));
    udp->len = htons((uint16_t)(sizeof *udp + plen));
    for (size_t k = 0; k < plen; k++) sscanf(hex + 2 * k, "%2hhx", &t[i].packet[sizeof *ip + sizeof *udp + k]);
  }
  catch_stop();
  long long start = mono_ns(), sent = 0;
  long long end = seconds > 0 ? start + (long long)(seconds * 1e9) : 0;
  while (!stopping) {
    long long now = mono_ns();
    if (end && now >= end) break;
    long long due = (now - start) * rate / 1000000000LL; /* datagrams that should have gone by now */
    while (sent < due && !stopping) {
      struct target *x = &t[sent % ntargets];
      unsigned char *body = x->packet + sizeof(struct iphdr) + sizeof(struct udphdr);
      size_t at = (size_t)(sent / 2 % (long long)plen);
      unsigned char keep = body[at];
      if (sent & 1) body[at] ^= 0x5a; /* a changed byte: the MAC no longer matches */
      sendto(s, x->packet, x->len, 0, (struct sockaddr *)&x->dst, sizeof x->dst);
      body[at] = keep;
      sent++;
    }
    struct timespec ts = {0, 200000}; /* 0.2 ms: 4 datagrams a tick at 20 000/s */
    nanosleep(&ts, NULL);
  }
  printf("%lld %lld\n", sent, mono_ns() - start);
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
  if (argc == 3 && strcmp(argv[1], "term") == 0) return term(atoi(argv[2]));
  if ((argc == 5 || argc == 6) && strcmp(argv[1], "deadnode") == 0)
    return deadnode(argv[2], argv[3], atoi(argv[4]), argc == 6 ? atoi(argv[5]) : 0);
  if (argc == 7 && strcmp(argv[1], "probe") == 0) return probe(argv[2], argv[3], atol(argv[4]), argv[5], argv[6]);
  if (argc >= 9 && (argc - 6) % 3 == 0 && strcmp(argv[1], "flood") == 0)
    return flood(argv[2], atol(argv[3]), atof(argv[4]), argv[5], (argc - 6) / 3, argv + 6);
  fprintf(stderr, "usage: cchelper stamp [FILE] ARGS... | linkdown NETNS IFNAME | kill PID [STOPPID] | term PID |\n"
                  "       deadnode NETNS IFNAME[,IFNAME] PID [STOPPID] | probe NETNS DST INTERVAL_US LOSSFILE STATUSFILE |\n"
                  "       flood NETNS RATE SECONDS HEXPAYLOAD SRC DST PORT [SRC DST PORT]...\n");
  return 2;
}
