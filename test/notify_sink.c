/*
** notify_sink.c: a stand-in for systemd's notify socket, for the specs.
**
**   notify_sink PATH|@NAME MAX_SECONDS
**
** Binds an AF_UNIX datagram socket, prints "bound" once it listens, then
** one line per datagram: milliseconds since it bound, a space, and the
** message with its newlines shown as '|'. Exits after a datagram holding
** STOPPING=1, or after MAX_SECONDS.
*/
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv) {
  struct sockaddr_un sa;
  socklen_t len;
  size_t plen;
  long long start, deadline;
  int fd;
  if (argc != 3) {
    fprintf(stderr, "usage: notify_sink PATH|@NAME MAX_SECONDS\n");
    return 2;
  }
  plen = strlen(argv[1]);
  if (plen == 0 || plen >= sizeof sa.sun_path) {
    fprintf(stderr, "notify_sink: bad socket name\n");
    return 2;
  }
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, argv[1], plen);
  if (argv[1][0] == '@') sa.sun_path[0] = '\0';
  else unlink(argv[1]);
  len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
  fd = socket(AF_UNIX, SOCK_DGRAM, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, len) != 0) {
    perror("notify_sink: bind");
    return 1;
  }
  start = now_ms();
  deadline = start + atoll(argv[2]) * 1000;
  printf("bound\n");
  fflush(stdout);
  for (;;) {
    struct pollfd p = { fd, POLLIN, 0 };
    long long left = deadline - now_ms();
    char buf[4096];
    ssize_t n;
    ssize_t i;
    if (left <= 0) break;
    if (poll(&p, 1, (int)left) <= 0) continue;
    n = recv(fd, buf, sizeof buf - 1, 0);
    if (n < 0) continue;
    buf[n] = '\0';
    for (i = 0; i < n; i++) if (buf[i] == '\n') buf[i] = '|';
    printf("%lld %s\n", now_ms() - start, buf);
    fflush(stdout);
    if (strstr(buf, "STOPPING=1")) break;
  }
  close(fd);
  if (argv[1][0] != '@') unlink(argv[1]);
  return 0;
}
