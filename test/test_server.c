/*
** test_server.c: core.http_server against hostile clients on 127.0.0.1.
** Each server runs in a child process (the runtime through livestation.h)
** so a server that spins or dies cannot take the test with it, and so a
** descriptor limit applies to it alone. The parent speaks raw HTTP:
** malformed requests, conflicting Content-Length, a slowloris client, a
** connection cap, and running the server out of descriptors.
** Run from the checkout's root. Prints "test_server: N passed, N failed".
*/
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "livestation.h"

static int passed, failed;

#define CHECK(cond, what) do { \
    if (cond) passed++; \
    else { failed++; fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, what); } \
  } while (0)

typedef struct child {
  pid_t pid;
  int port;
  int err_fd; /* the child's stderr, non-blocking */
} child;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Starts a server in a child: the handler answers "ok METHOD BODYLEN".
** nofile > 0 caps the child's descriptors. */
static child start_server(int max_conns, int nofile) {
  child c = { -1, 0, -1 };
  int out[2], err[2];
  char script[512], line[32];
  ssize_t n;
  if (pipe(out) != 0 || pipe(err) != 0) return c;
  c.pid = fork();
  if (c.pid == 0) {
    ls_runtime *rt;
    dup2(err[1], 2);
    close(out[0]);
    close(err[0]);
    if (nofile > 0) {
      struct rlimit rl = { (rlim_t)nofile, (rlim_t)nofile };
      setrlimit(RLIMIT_NOFILE, &rl);
    }
    snprintf(script, sizeof script,
      "local core = require 'livestation.core'\n"
      "srv = core.http_server{ port = 0, head_timeout = 1, max_connections = %d,\n"
      "  handler = function(req) return 200, {}, 'ok ' .. req.method .. ' ' .. #req.body end }\n"
      "local f = io.open('/dev/fd/%d', 'w') f:write(srv:port(), '\\n') f:close()\n",
      max_conns, out[1]);
    rt = ls_runtime_new(".", NULL);
    if (rt == NULL || ls_runtime_spawn_string(rt, script, "=server") != 0) _exit(3);
    ls_runtime_run(rt);
    _exit(0);
  }
  close(out[1]);
  close(err[1]);
  n = read(out[0], line, sizeof line - 1);
  close(out[0]);
  if (n > 0) {
    line[n] = '\0';
    c.port = atoi(line);
  }
  c.err_fd = err[0];
  fcntl(c.err_fd, F_SETFL, O_NONBLOCK);
  return c;
}

/* Bytes the child wrote to stderr since the last call. */
static size_t drain_stderr(child *c) {
  char buf[65536];
  size_t total = 0;
  ssize_t n;
  while ((n = read(c->err_fd, buf, sizeof buf)) > 0) total += (size_t)n;
  return total;
}

static void stop_server(child *c) {
  if (c->pid > 0) {
    kill(c->pid, SIGKILL);
    waitpid(c->pid, NULL, 0);
  }
  if (c->err_fd >= 0) close(c->err_fd);
}

/* The child's CPU time in seconds (utime + stime from /proc). */
static double cpu_s(pid_t pid) {
  char path[64], buf[1024], *p;
  unsigned long ut = 0, st = 0;
  FILE *f;
  int i;
  snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
  f = fopen(path, "r");
  if (f == NULL) return -1;
  if (fgets(buf, sizeof buf, f) == NULL) { fclose(f); return -1; }
  fclose(f);
  p = strrchr(buf, ')');
  if (p == NULL) return -1;
  /* after ") ": field 3 is the state; utime and stime are 14 and 15 */
  for (i = 3, p += 2; i < 14 && p; i++) p = strchr(p, ' ') ? strchr(p, ' ') + 1 : NULL;
  if (p == NULL || sscanf(p, "%lu %lu", &ut, &st) != 2) return -1;
  return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static int connect_to(int port) {
  struct sockaddr_in sa;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  sa.sin_port = htons((unsigned short)port);
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

static void send_all(int fd, const char *p, size_t n) {
  while (n > 0) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    if (w <= 0) return;
    p += w;
    n -= (size_t)w;
  }
}

/* Reads until the peer closes, the buffer is full or `secs` pass.
** Returns the bytes read; *closed tells whether the peer closed. */
static size_t read_for(int fd, char *buf, size_t cap, double secs, int *closed) {
  double end = now_s() + secs;
  size_t got = 0;
  *closed = 0;
  while (got + 1 < cap) {
    struct pollfd pf = { fd, POLLIN, 0 };
    int left = (int)((end - now_s()) * 1000);
    ssize_t n;
    if (left <= 0 || poll(&pf, 1, left) <= 0) break;
    n = recv(fd, buf + got, cap - 1 - got, 0);
    if (n <= 0) { *closed = 1; break; }
    got += (size_t)n;
    if (strstr(buf, "\r\n\r\n") && strstr(buf, "ok ")) break; /* a whole answer */
  }
  buf[got] = '\0';
  return got;
}

/* Sends raw bytes on a new connection; returns the status of the answer,
** 0 when the server closed without one, -1 when it neither answered nor
** closed within 3 s. */
static int exchange(int port, const char *req, size_t len, char *out, size_t cap) {
  int fd = connect_to(port), closed, status = 0;
  size_t n;
  if (fd < 0) return -2;
  send_all(fd, req, len);
  shutdown(fd, SHUT_WR);
  n = read_for(fd, out, cap, 3.0, &closed);
  close(fd);
  if (n == 0) return closed ? 0 : -1;
  if (sscanf(out, "HTTP/1.%*d %d", &status) != 1) return 0;
  return status;
}

static int get_ok(int port) {
  char buf[4096];
  static const char req[] = "GET /x HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  return exchange(port, req, sizeof req - 1, buf, sizeof buf) == 200 &&
         strstr(buf, "ok GET 0") != NULL;
}

static void test_malformed(void) {
  static const struct { const char *name, *req; } bad[] = {
    {"garbage request line", "\x01\x02\x03 nonsense\r\n\r\n"},
    {"unknown version", "GET / HTTP/9.9\r\nHost: t\r\n\r\n"},
    {"header without colon", "GET / HTTP/1.1\r\nHost t\r\n\r\n"},
    {"negative length", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -5\r\n\r\nhello"},
    {"length not a number", "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5x\r\n\r\nhello"},
    {"bad chunk size", "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n"},
    {"unknown method", "BREW / HTTP/1.1\r\nHost: t\r\n\r\n"},
    {"body past max_body", NULL},
    {NULL, NULL}
  };
  child c = start_server(64, 0);
  char buf[8192], what[128];
  int i;
  CHECK(c.port > 0, "server started");
  if (c.port <= 0) { stop_server(&c); return; }
  for (i = 0; bad[i].name; i++) {
    int status;
    if (bad[i].req) {
      status = exchange(c.port, bad[i].req, strlen(bad[i].req), buf, sizeof buf);
    } else {
      static char big[1200000];
      int n = snprintf(big, sizeof big, "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: %d\r\n\r\n",
                       (int)(sizeof big - 200));
      memset(big + n, 'a', sizeof big - (size_t)n);
      status = exchange(c.port, big, sizeof big - 200 + (size_t)n, buf, sizeof buf);
    }
    snprintf(what, sizeof what, "%s: refused (4xx, 501 or closed), got %d", bad[i].name, status);
    CHECK(status == 0 || (status >= 400 && status < 500) || status == 501, what);
  }
  {
    static const char two[] = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                              "Content-Length: 30\r\n\r\nhelloGET /smuggled HTTP/1.1\r\n\r\n";
    int status = exchange(c.port, two, sizeof two - 1, buf, sizeof buf);
    CHECK(status == 400, "conflicting Content-Length headers: 400");
    CHECK(strstr(buf, "smuggled") == NULL && strstr(buf, "ok ") == NULL,
          "nothing after them is served");
  }
  {
    static const char same[] = "POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n"
                               "Content-Length: 5\r\nConnection: close\r\n\r\nhello";
    CHECK(exchange(c.port, same, sizeof same - 1, buf, sizeof buf) == 200 &&
          strstr(buf, "ok POST 5"), "repeated equal Content-Length is fine");
  }
  CHECK(get_ok(c.port), "the server still answers after all that");
  stop_server(&c);
}

/* A client that sends its head one header every 0.2 s never finishes:
** head_timeout = 1 closes it. */
static void test_slowloris(void) {
  child c = start_server(64, 0);
  int fd, closed = 0;
  double start, end;
  char buf[256];
  CHECK(c.port > 0, "server started");
  if (c.port <= 0) { stop_server(&c); return; }
  fd = connect_to(c.port);
  send_all(fd, "GET / HTTP/1.1\r\nHost: t\r\n", 25);
  start = now_s();
  end = start + 4.0;
  while (!closed && now_s() < end) {
    struct pollfd pf = { fd, POLLIN, 0 };
    send_all(fd, "X-a: b\r\n", 8);
    if (poll(&pf, 1, 200) > 0 && recv(fd, buf, sizeof buf, 0) <= 0) closed = 1;
  }
  CHECK(closed, "a slowloris connection is closed");
  CHECK(now_s() - start < 2.5, "within the head deadline (1 s) and a margin");
  close(fd);
  CHECK(get_ok(c.port), "the server answers others");
  stop_server(&c);
}

/* max_connections = 4: a fifth client waits until one of four leaves. */
static void test_connection_cap(void) {
  child c = start_server(4, 0);
  int fds[4], fifth, i, closed;
  char buf[4096];
  static const char req[] = "GET /5 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";
  CHECK(c.port > 0, "server started");
  if (c.port <= 0) { stop_server(&c); return; }
  for (i = 0; i < 4; i++) fds[i] = connect_to(c.port);
  usleep(200000);
  fifth = connect_to(c.port); /* the kernel queues it */
  CHECK(fifth >= 0, "a fifth connection is queued");
  send_all(fifth, req, sizeof req - 1);
  CHECK(read_for(fifth, buf, sizeof buf, 0.7, &closed) == 0 && !closed,
        "it is not served while four are open");
  close(fds[0]);
  read_for(fifth, buf, sizeof buf, 3.0, &closed);
  CHECK(strstr(buf, "ok GET 0") != NULL, "it is served once one leaves");
  close(fifth);
  for (i = 1; i < 4; i++) close(fds[i]);
  stop_server(&c);
}

/* The server may open 40 descriptors; 80 clients connect. accept() fails
** with EMFILE: the server pauses instead of spinning and logging, and
** serves again once the clients leave. */
static void test_descriptor_exhaustion(void) {
  child c = start_server(1000, 40);
  int fds[80], i, ok = 0;
  double cpu0, cpu1;
  size_t logged;
  char what[128];
  CHECK(c.port > 0, "server started");
  if (c.port <= 0) { stop_server(&c); return; }
  for (i = 0; i < 80; i++) fds[i] = connect_to(c.port);
  usleep(300000);
  drain_stderr(&c);
  cpu0 = cpu_s(c.pid);
  logged = 0;
  for (i = 0; i < 30; i++) { /* read its log as it comes: a full pipe would block it */
    usleep(50000);
    logged += drain_stderr(&c);
  }
  cpu1 = cpu_s(c.pid);
  snprintf(what, sizeof what, "no spinning while out of descriptors (%.2f s CPU in 1.5 s)",
           cpu1 - cpu0);
  CHECK(cpu0 >= 0 && cpu1 - cpu0 < 0.5, what);
  if (getenv("TEST_VERBOSE")) fprintf(stderr, "%s\n", what);
  snprintf(what, sizeof what, "no flood of log lines (%zu bytes)", logged);
  CHECK(logged < 2000, what);
  for (i = 0; i < 80; i++) if (fds[i] >= 0) close(fds[i]);
  for (i = 0; i < 30 && !ok; i++) {
    ok = get_ok(c.port);
    if (!ok) usleep(100000);
  }
  CHECK(ok, "it serves again once descriptors are free");
  stop_server(&c);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  test_malformed();
  test_slowloris();
  test_connection_cap();
  test_descriptor_exhaustion();
  printf("test_server: %d passed, %d failed\n", passed, failed);
  return failed ? 1 : 0;
}
