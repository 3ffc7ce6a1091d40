/*
** core_preempt.c: interrupting Lua that never yields.
**
** While a task spins (a busy loop in a job, a handler) the loop cannot
** run: a job's timeout never fires and SIGTERM is never handled. As lua.c
** does for Ctrl-C, an asynchronous event only sets a hook on the running
** coroutine; the hook yields the task at its next instruction and the
** scheduler queues it again, as for a bare coroutine.yield(), so the loop
** gets its turn (timers, signal handlers, task:cancel()). Two events set
** the hook:
**  - a POSIX timer (CLOCK_MONOTONIC, a real-time signal aimed at the
**    loop's thread), armed only while a task runs that has a deadline
**    (task:deadline(), the job timeout) or while the process is stopping;
**  - SIGINT and SIGTERM, by a handler chained in front of libevent's:
**    from then on every task runs in slices of STOP_SLICE_S, so shutdown
**    code (grace periods, cancels) runs beside a task that spins.
** Code that cannot yield where it spins (inside a C call such as
** table.sort's comparator) is retried at every instruction until it can.
** One loop thread per process is watched (the one that starts tasks).
*/
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/syscall.h>

#include "core.h"

#ifndef sigev_notify_thread_id
#define sigev_notify_thread_id _sigev_un._tid
#endif

#define STOP_SLICE_S 0.05

static lua_State *volatile running;       /* the coroutine of the running task */
static volatile sig_atomic_t stopping;    /* a stop signal came */
static pthread_t loop_thread;
static int have_loop_thread;
static timer_t timer;
static int timer_state;                   /* 0 not made, 1 made, -1 cannot */
static int timer_armed;
static struct sigaction chained[NSIG];    /* the handler ours runs after */

double ls_monotonic(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ----------------------------------------------------------- the hook */

static void preempt_hook(lua_State *L, lua_Debug *ar) {
  if (ar->event == LUA_HOOKCOUNT && lua_isyieldable(L)) {
    lua_sethook(L, NULL, 0, 0);
    lua_yield(L, 0); /* the scheduler queues the task again */
    return;
  }
  lua_sethook(L, preempt_hook, LUA_MASKCOUNT, 1); /* try at the next one */
}

/* Async-signal-safe, as lua.c's laction: only sets a hook. */
static void interrupt_running(void) {
  lua_State *co = running;
  if (co) lua_sethook(co, preempt_hook, LUA_MASKCOUNT, 1);
}

/* Signals meant for the loop's thread may land on another (libcurl's
** resolver threads): send them on, so the hook is set from the thread
** that runs Lua, never concurrently with it. */
static int on_loop_thread(int sig) {
  if (!have_loop_thread || pthread_equal(pthread_self(), loop_thread)) return 1;
  pthread_kill(loop_thread, sig);
  return 0;
}

static void on_timer_signal(int sig) {
  int saved = errno;
  if (on_loop_thread(sig)) interrupt_running();
  errno = saved;
}

static void on_stop_signal(int sig, siginfo_t *info, void *ctx) {
  int saved = errno;
  struct sigaction *next = &chained[sig];
  if (!on_loop_thread(sig)) { errno = saved; return; }
  if (next->sa_flags & SA_SIGINFO) {
    if (next->sa_sigaction) next->sa_sigaction(sig, info, ctx);
  } else if (next->sa_handler != SIG_DFL && next->sa_handler != SIG_IGN) {
    next->sa_handler(sig);
  }
  stopping = 1;
  interrupt_running();
  errno = saved;
}

/* ----------------------------------------------------------- the timer */

static void note_loop_thread(void) {
  if (have_loop_thread) return;
  loop_thread = pthread_self();
  have_loop_thread = 1;
}

static int make_timer(void) {
  struct sigaction sa;
  struct sigevent sev;
  int signo = SIGRTMIN + 4;
  if (timer_state != 0) return timer_state > 0;
  timer_state = -1;
  note_loop_thread();
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_timer_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  if (signo > SIGRTMAX || sigaction(signo, &sa, NULL) != 0) return 0;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = signo;
  sev.sigev_notify_thread_id = (pid_t)syscall(SYS_gettid);
  if (timer_create(CLOCK_MONOTONIC, &sev, &timer) != 0) return 0;
  timer_state = 1;
  return 1;
}

static void set_timer(double seconds) {
  struct itimerspec its;
  memset(&its, 0, sizeof its);
  if (seconds > 0) {
    if (seconds > LS_MAX_WAIT_S) seconds = LS_MAX_WAIT_S;
    its.it_value.tv_sec = (time_t)seconds;
    its.it_value.tv_nsec = (long)((seconds - (double)its.it_value.tv_sec) * 1e9);
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1;
  }
  timer_settime(timer, 0, &its, NULL);
  timer_armed = seconds > 0;
}

/* ----------------------------------------------------------- interface */

void ls_preempt_enter(ls_task *t) {
  double until = t->deadline, now;
  note_loop_thread();
  running = t->co;
  if (stopping) {
    now = ls_monotonic();
    if (until == 0 || until > now + STOP_SLICE_S) until = now + STOP_SLICE_S;
  }
  if (until == 0) return; /* nothing to watch: no timer, no cost */
  now = ls_monotonic();
  if (until <= now) { interrupt_running(); return; } /* already late */
  if (make_timer()) set_timer(until - now);
}

void ls_preempt_leave(ls_task *t) {
  running = NULL;
  if (timer_armed) set_timer(0);
  if (lua_gethook(t->co) == preempt_hook) lua_sethook(t->co, NULL, 0, 0);
}

void ls_preempt_watch_signal(int signo) {
  struct sigaction cur, ours;
  if (signo <= 0 || signo >= NSIG) return;
  note_loop_thread();
  if (sigaction(signo, NULL, &cur) != 0) return;
  if ((cur.sa_flags & SA_SIGINFO) && cur.sa_sigaction == on_stop_signal) return;
  chained[signo] = cur;
  memset(&ours, 0, sizeof ours);
  ours.sa_sigaction = on_stop_signal;
  ours.sa_flags = SA_SIGINFO | SA_RESTART;
  ours.sa_mask = cur.sa_mask;
  sigaction(signo, &ours, NULL);
}

int ls_preempt_stopping(void) {
  return stopping != 0;
}
