/*
** core_notify.c: what a service host tells systemd, without libsystemd.
**
**   core.notify("READY=1")  -> true (sent) | false (no $NOTIFY_SOCKET)
**                            | nil, message
**   core.watchdog_usec()    -> microseconds, or nil when no watchdog is
**                              asked of this process
**   core.stderr_is_journal() -> true when stderr is the journal's stream
**
** The notify socket is an AF_UNIX datagram socket named by $NOTIFY_SOCKET:
** a path, or '@' for the abstract namespace (sd_notify(3)); the journal
** stream is named by $JOURNAL_STREAM as "device:inode" (systemd.exec(5)).
** Both protocols are documented as stable for reimplementation, so a
** datagram is all it takes.
*/
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "core.h"

static int notify_fail(lua_State *L, const char *what, int err) {
  lua_pushnil(L);
  lua_pushfstring(L, "notify: %s: %s", what, strerror(err));
  return 2;
}

/* notify(state): one datagram of "KEY=VALUE\n..." lines to $NOTIFY_SOCKET */
static int l_notify(lua_State *L) {
  size_t n, plen;
  const char *msg = luaL_checklstring(L, 1, &n);
  const char *path = getenv("NOTIFY_SOCKET");
  struct sockaddr_un sa;
  socklen_t salen;
  ssize_t sent;
  int fd, err;
  if (path == NULL || path[0] == '\0') {
    lua_pushboolean(L, 0);
    return 1;
  }
  plen = strlen(path);
  if ((path[0] != '/' && path[0] != '@') || plen >= sizeof sa.sun_path) {
    lua_pushnil(L);
    lua_pushliteral(L, "notify: NOTIFY_SOCKET is not an absolute path or an '@' name");
    return 2;
  }
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  memcpy(sa.sun_path, path, plen);
  if (path[0] == '@') sa.sun_path[0] = '\0'; /* abstract: the name is exact */
  salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return notify_fail(L, "socket", errno);
  sent = sendto(fd, msg, n, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
  err = errno;
  close(fd);
  if (sent < 0) return notify_fail(L, path, err);
  lua_pushboolean(L, 1);
  return 1;
}

/* As sd_watchdog_enabled(): $WATCHDOG_USEC, when $WATCHDOG_PID is unset
** or names this process (a child must not ping for its parent). */
static int l_watchdog_usec(lua_State *L) {
  const char *usec = getenv("WATCHDOG_USEC");
  const char *pid = getenv("WATCHDOG_PID");
  char *end;
  unsigned long long v;
  if (usec == NULL || *usec == '\0') return 0;
  if (pid && *pid) {
    unsigned long long p = strtoull(pid, &end, 10);
    if (*end != '\0' || p != (unsigned long long)getpid()) return 0;
  }
  errno = 0;
  v = strtoull(usec, &end, 10);
  if (errno || *end != '\0' || v == 0 || v > (unsigned long long)LUA_MAXINTEGER) return 0;
  lua_pushinteger(L, (lua_Integer)v);
  return 1;
}

/* True when fd 2 is the stream $JOURNAL_STREAM names: then a line may
** start with a "<N>" priority prefix the journal reads. */
static int l_stderr_is_journal(lua_State *L) {
  const char *js = getenv("JOURNAL_STREAM");
  unsigned long long dev, ino;
  struct stat st;
  int yes = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 && fstat(2, &st) == 0 &&
            (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
  lua_pushboolean(L, yes);
  return 1;
}

const luaL_Reg ls_notify_funcs[] = {
  {"notify", l_notify},
  {"stderr_is_journal", l_stderr_is_journal},
  {"watchdog_usec", l_watchdog_usec},
  {NULL, NULL}
};
