/*
** core_task.c: tasks are Lua coroutines run by one scheduler.
**
** A C operation that waits (sleep, HTTP, join) makes an ls_op, starts its
** I/O and yields the task. When the I/O completes, a loop callback marks
** the op done and queues the task; the task is resumed only from on_ready,
** the one safe point of each loop iteration, never from inside a libcurl
** or evhttp callback. task_resume is the only caller of lua_resume.
**
** Outside a task (plain lua5.4, the main chunk), a waiting operation pumps
** the loop until it completes, so `ls:call` also works in a simple script.
*/
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/time.h>

#include <event2/event.h>

#include "core.h"

static int cancelled_key; /* registry key of the "task cancelled" value */

/* ----------------------------------------------------------- operations */

ls_op *ls_op_new(lua_State *L, ls_core *core) {
  ls_op *op = calloc(1, sizeof *op);
  if (op == NULL) luaL_error(L, "out of memory");
  op->core = core;
  return op;
}

static void op_free(ls_op *op) {
  if (op->release) op->release(op);
  free(op);
}

static void push_cancelled(lua_State *L) {
  lua_rawgetp(L, LUA_REGISTRYINDEX, &cancelled_key);
}

/* later: the task went round (a yield, a preempted spin); it runs again
** only after the loop has polled I/O and timers. */
static void ready_queue(ls_core *core, ls_task *t, int later) {
  t->state = TASK_READY;
  t->next_ready = NULL;
  if (core->ready_tail) core->ready_tail->next_ready = t;
  else core->ready_head = t;
  core->ready_tail = t;
  core->ready_count++;
  if (later) return; /* on_ready schedules the next turn when it ends */
  if (core->in_ready) core->ready_now = 1;
  else event_active(core->ready_ev, EV_READ, 0);
}

static void ready_push(ls_core *core, ls_task *t) {
  ready_queue(core, t, 0);
}

static void ready_remove(ls_core *core, ls_task *t) {
  ls_task **pp = &core->ready_head, *prev = NULL;
  while (*pp && *pp != t) { prev = *pp; pp = &(*pp)->next_ready; }
  if (*pp == NULL) return;
  *pp = t->next_ready;
  if (core->ready_tail == t) core->ready_tail = prev;
  t->next_ready = NULL;
  core->ready_count--;
}

void ls_op_complete(ls_op *op) {
  op->done = 1;
  if (op->task && op->task->state == TASK_WAITING && op->task->op == op)
    ready_push(op->core, op->task);
}

static void on_interrupt(evutil_socket_t fd, short what, void *arg) {
  ls_core *core = arg;
  (void)fd; (void)what;
  core->interrupted = 1;
  event_base_loopbreak(core->base);
}

/* A plain lua5.4 waiting in the loop: lua.c's SIGINT hook would wait for
** Lua code on the main thread, which never comes while the loop waits or
** a task spins. While the loop runs, Ctrl-C ends the wait instead (unless
** the script handles SIGINT itself, or the host owns the loop). */
static struct event *watch_interrupt(ls_core *core) {
  struct event *ev;
  if (core->sigint_handlers > 0 || !core->own_base) return NULL;
  ev = evsignal_new(core->base, SIGINT, on_interrupt, core);
  if (ev == NULL) return NULL;
  if (evsignal_add(ev, NULL) != 0) {
    event_free(ev);
    return NULL;
  }
  ls_preempt_watch_signal(SIGINT);
  return ev;
}

static void unwatch_interrupt(struct event *ev) {
  if (ev) event_free(ev); /* libevent puts back the handler it found */
}

int ls_op_wait(lua_State *L, ls_op *op) {
  ls_core *core = op->core;
  ls_task *t = core->running;
  int n;
  if (op->done) { /* fast path: finished at once */
    n = op->push(L, op);
    op_free(op);
    return n;
  }
  if (t && t->co == L) {
    op->task = t;
    t->op = op;
    t->state = TASK_WAITING;
    return lua_yield(L, 0); /* results pushed by task_resume */
  }
  if (core->closing_tasks) { /* the loop must not run inside a cancel */
    op->cancel(op);
    op_free(op);
    return luaL_error(L, "livestation: cannot wait in a __close handler of a "
                         "cancelled task");
  }
  if (core->in_loop) {
    op->cancel(op);
    op_free(op);
    return luaL_error(L, "livestation: cannot wait here: inside a task, wait "
                         "only from the task's own function (not a nested coroutine)");
  }
  /* not in a task: run the loop until this operation is done */
  {
    struct event *intr = watch_interrupt(core);
    int rc = 0;
    core->in_loop++;
    while (!op->done && rc == 0 && !core->interrupted)
      rc = event_base_loop(core->base, EVLOOP_ONCE);
    core->in_loop--;
    unwatch_interrupt(intr);
    if (!op->done) {
      int intr_now = core->interrupted;
      core->interrupted = 0;
      op->cancel(op);
      op_free(op);
      return luaL_error(L, intr_now ? "interrupted!" : "livestation: nothing left to wait for");
    }
  }
  n = op->push(L, op);
  op_free(op);
  return n;
}

/* ----------------------------------------------------------- tasks */

static void live_add(ls_core *core, ls_task *t) {
  t->in_live = 1;
  t->prev_live = NULL;
  t->next_live = core->live;
  if (core->live) core->live->prev_live = t;
  core->live = t;
  core->live_tasks++;
}

void ls_task_set_unref(ls_task *t, int unref) {
  unref = unref != 0;
  if (t->unref == unref) return;
  t->unref = unref;
  if (t->in_live) t->core->unref_tasks += unref ? 1 : -1;
}

/* Idempotent: shutdown may drop a task that is still being closed. */
static void live_remove(ls_core *core, ls_task *t) {
  if (!t->in_live) return;
  t->in_live = 0;
  if (t->unref) core->unref_tasks--;
  if (t->prev_live) t->prev_live->next_live = t->next_live;
  else core->live = t->next_live;
  if (t->next_live) t->next_live->prev_live = t->prev_live;
  t->prev_live = t->next_live = NULL;
  core->live_tasks--;
}

/* Wakes every task joined on t, then drops the anchors that kept t and
** its coroutine alive; the userdata lives on while Lua refers to it. */
static void task_end(ls_core *core, ls_task *t, ls_task_state state) {
  lua_State *L = core->L;
  ls_op *j = t->joiners;
  t->state = state;
  t->joiners = NULL;
  while (j) {
    ls_op *next = j->next;
    j->next = NULL;
    ls_op_complete(j);
    j = next;
  }
  live_remove(core, t);
  if (t->co_ref == LUA_NOREF) return; /* already ended */
  luaL_unref(L, LUA_REGISTRYINDEX, t->co_ref);
  t->co_ref = LUA_NOREF;
  t->co = NULL;
  luaL_unref(L, LUA_REGISTRYINDEX, t->ref);
  t->ref = LUA_NOREF;
}

/* Reports a failed task through the replaceable handler, else stderr.
** Runs inside a protected call; a failing handler is reported, not fatal. */
static void report_error(ls_core *core, ls_task *t, const char *trace) {
  lua_State *L = core->L;
  if (core->error_handler_ref != LUA_NOREF) {
    lua_rawgeti(L, LUA_REGISTRYINDEX, core->error_handler_ref);
    lua_pushinteger(L, t->id);
    lua_pushstring(L, trace);
    lua_rawgeti(L, LUA_REGISTRYINDEX, t->res_ref);
    if (lua_pcall(L, 3, 0, 0) == LUA_OK) return;
    fprintf(stderr, "livestation: error handler failed: %s\n", ls_core_message(L, -1));
    lua_pop(L, 1);
  }
  fprintf(stderr, "livestation: task %lld failed: %s\n", t->id, trace);
  fflush(stderr);
}

static int is_cancelled_value(lua_State *co) {
  int r;
  push_cancelled(co);
  r = lua_rawequal(co, -1, -2);
  lua_pop(co, 1);
  return r;
}

/* The hook runs once: it is cleared before the call, so an error inside
** it cannot make the task's end call it again. */
static void run_hook(ls_task *t, lua_State *co, int status, int nres) {
  ls_task_hook hook = t->hook;
  t->hook = NULL;
  if (hook) hook(t, co, status, nres, t->hook_ud);
}

static int tostring_p(lua_State *L) {
  luaL_tolstring(L, 1, NULL);
  return 1;
}

/* Pushes onto L the text of the value on top of L (which it replaces),
** as tostring() would; a __tostring that fails or returns a non-string
** gives a description instead, as lua.c's message handler does. */
static void push_error_text(lua_State *L) {
  lua_pushcfunction(L, tostring_p);
  lua_insert(L, -2);
  if (lua_pcall(L, 1, 1, 0) != LUA_OK || lua_type(L, -1) != LUA_TSTRING) {
    lua_pop(L, 1);
    lua_pushliteral(L, "(error object whose __tostring failed)");
  }
}

static void task_finish(ls_core *core, ls_task *t, int status, int nres) {
  lua_State *L = core->L, *co = t->co;
  run_hook(t, co, status, nres);
  if (status == LUA_OK) {
    int i;
    luaL_checkstack(L, nres + 2, "too many results");
    lua_xmove(co, L, nres);
    lua_createtable(L, nres, 1);
    lua_insert(L, -(nres + 1));
    for (i = nres; i >= 1; i--) lua_rawseti(L, -(i + 1), i);
    lua_pushinteger(L, nres);
    lua_setfield(L, -2, "n");
    t->res_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    task_end(core, t, TASK_DONE);
  } else if (is_cancelled_value(co)) {
    push_cancelled(L);
    t->res_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    task_end(core, t, TASK_CANCELLED);
  } else {
    luaL_checkstack(L, 4, "no room for an error");
    lua_xmove(co, L, 1); /* the raw error value */
    lua_pushvalue(L, -1);
    t->res_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    push_error_text(L);
    luaL_traceback(L, co, lua_tostring(L, -1), 0);
    core->failed_tasks++;
    t->state = TASK_FAILED;
    report_error(core, t, lua_tostring(L, -1));
    lua_pop(L, 2);
    task_end(core, t, TASK_FAILED);
  }
}

static void task_resume(ls_core *core, ls_task *t) {
  lua_State *co = t->co;
  int nargs, nres = 0, status;
  if (t->op) {
    ls_op *op = t->op;
    t->op = NULL;
    nargs = op->push(co, op);
    op_free(op);
  } else {
    nargs = t->nargs;
    t->nargs = 0;
  }
  t->state = TASK_RUNNING;
  core->running = t;
  ls_preempt_enter(t);
  status = lua_resume(co, core->L, nargs, &nres);
  ls_preempt_leave(t);
  core->running = t->prev_running;
  if (status == LUA_YIELD) {
    if (t->state == TASK_RUNNING) { /* a bare yield or the watchdog: go round */
      lua_pop(co, nres);
      ready_queue(core, t, 1);
    }
    /* cancelled from a nested coroutine while it ran: now it is paused */
    if (t->cancel_requested) ls_task_cancel(t);
    return;
  }
  task_finish(core, t, status, nres);
}

static int resume_p(lua_State *L) {
  ls_task *t = lua_touserdata(L, 1);
  task_resume(t->core, t);
  return 0;
}

/* A task whose resumption or ending raised in C (out of memory, a push
** that failed) ends as failed with that error; nothing else is touched.
** The message is on top of the main state. */
static void task_abort(ls_core *core, ls_task *t) {
  lua_State *L = core->L;
  if (!t->in_live) { lua_pop(L, 1); return; } /* it ended before the error */
  if (t->op) {
    ls_op *op = t->op;
    t->op = NULL;
    if (!op->done) op->cancel(op);
    op_free(op);
  }
  run_hook(t, t->co, LUA_ERRRUN, 0);
  if (t->co && lua_status(t->co) == LUA_YIELD) ls_close_thread(t->co, L);
  luaL_unref(L, LUA_REGISTRYINDEX, t->res_ref);
  lua_pushvalue(L, -1);
  t->res_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  core->failed_tasks++;
  t->state = TASK_FAILED;
  report_error(core, t, ls_core_message(L, -1));
  lua_pop(L, 1);
  task_end(core, t, TASK_FAILED);
}

/* The safe point: resumes the tasks that were ready when it was called;
** tasks made ready meanwhile wait for the next iteration, so I/O is never
** starved. Pops one at a time because a resumed task may cancel another.
** Each resumption is a protected call (luv's cfpcall): an error in C
** ends that task only and never unwinds through libevent. */
static void on_ready(evutil_socket_t fd, short what, void *arg) {
  ls_core *core = arg;
  int n = core->ready_count;
  (void)fd; (void)what;
  core->in_loop++;
  core->in_ready = 1;
  core->ready_now = 0;
  while (n-- > 0 && core->ready_head) {
    ls_task *t = core->ready_head;
    core->ready_head = t->next_ready;
    if (core->ready_head == NULL) core->ready_tail = NULL;
    t->next_ready = NULL;
    core->ready_count--;
    t->prev_running = core->running;
    if (ls_core_pcall(core, resume_p, t) != LUA_OK) {
      core->running = t->prev_running;
      task_abort(core, t);
    }
  }
  core->in_ready = 0;
  core->in_loop--;
  /* tasks made ready meanwhile run in this loop turn, as before; tasks
  ** that only went round run after the loop has polled I/O and timers:
  ** a zero timeout, since libevent runs an event activated from its own
  ** callback again before anything else (a spinning task starved timers) */
  if (core->ready_now) {
    core->ready_now = 0;
    event_active(core->ready_ev, EV_READ, 0);
  } else if (core->ready_head) {
    static const struct timeval now = { 0, 0 };
    event_add(core->ready_ev, &now);
  }
}

ls_task *ls_task_spawn(lua_State *L, ls_core *core, int nargs) {
  /* stack: fn, args... (nargs values after fn) at the top */
  int base = lua_gettop(L) - nargs;
  ls_task *t;
  lua_State *co;
  t = lua_newuserdatauv(L, sizeof *t, 0);
  memset(t, 0, sizeof *t);
  t->ref = t->co_ref = t->res_ref = LUA_NOREF;
  t->core = core;
  t->state = TASK_CANCELLED; /* closed until fully made */
  luaL_setmetatable(L, LS_TASK_MT);
  co = lua_newthread(L);
  t->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  t->co = co;
  lua_pushvalue(L, -1);
  t->ref = luaL_ref(L, LUA_REGISTRYINDEX);
  /* move fn and args onto the coroutine, leaving the task on top of L */
  lua_insert(L, base); /* task below fn */
  lua_xmove(L, co, nargs + 1);
  t->nargs = nargs;
  t->id = ++core->next_id;
  live_add(core, t);
  if (core->running && core->running->unref) {
    t->unref = 1;
    core->unref_tasks++;
  }
  ready_push(core, t);
  return t;
}

/* Runs the to-be-closed variables of a cancelled task's coroutine; an
** error in a __close handler is reported (the task stays cancelled). */
static void close_cancelled(ls_core *core, ls_task *t) {
  lua_State *L = core->L;
  int status;
  core->closing_tasks++;
  status = ls_close_thread(t->co, L);
  core->closing_tasks--;
  if (status == LUA_OK) return;
  lua_checkstack(L, 4);
  lua_xmove(t->co, L, 1);
  push_error_text(L);
  lua_pushfstring(L, "error in __close of cancelled task %I: %s",
                  (lua_Integer)t->id, lua_tostring(L, -1));
  core->failed_tasks++;
  report_error(core, t, lua_tostring(L, -1));
  lua_pop(L, 2);
}

/* Re-entrant: the task is marked cancelled before its __close handlers
** run, so a handler that cancels it again (or shutdown meanwhile) finds
** it ended and does nothing; it leaves the live list exactly once. */
void ls_task_cancel(ls_task *t) {
  ls_core *core = t->core;
  switch (t->state) {
    case TASK_DONE: case TASK_FAILED: case TASK_CANCELLED:
      return;
    case TASK_RUNNING:
      t->cancel_requested = 1; /* seen when control comes back to it */
      return;
    case TASK_READY:
      ready_remove(core, t);
      break;
    case TASK_WAITING:
      break;
  }
  t->state = TASK_CANCELLED;
  if (t->op) {
    ls_op *op = t->op;
    t->op = NULL;
    if (!op->done) op->cancel(op);
    op_free(op);
  }
  run_hook(t, t->co, LS_TASK_CANCELLED_STATUS, 0);
  luaL_unref(core->L, LUA_REGISTRYINDEX, t->res_ref);
  push_cancelled(core->L);
  t->res_ref = luaL_ref(core->L, LUA_REGISTRYINDEX);
  close_cancelled(core, t);
  task_end(core, t, TASK_CANCELLED);
}

/* Ends every task (shutdown). A task that is running or being closed
** cannot be cancelled from here: it only leaves the live list. */
void ls_core_cancel_all(ls_core *core) {
  while (core->live) {
    ls_task *t = core->live;
    if (t->state == TASK_RUNNING || t->state == TASK_CANCELLED) {
      live_remove(core, t);
      continue;
    }
    ls_task_cancel(t);
  }
}

int ls_core_alive(const ls_core *core) {
  return !core->stop_requested && (core->live_tasks - core->unref_tasks > 0 ||
                                   core->servers - core->unref_servers > 0);
}

int ls_core_run(ls_core *core) {
  core->stop_requested = 0;
  core->in_loop++;
  while (ls_core_alive(core) && !core->interrupted) {
    int rc = event_base_loop(core->base, EVLOOP_ONCE);
    if (rc != 0) break; /* nothing pending: waiting tasks can never wake */
  }
  core->in_loop--;
  return core->live_tasks;
}

/* ----------------------------------------------------------- join, sleep */

static void join_cancel(ls_op *op) {
  ls_task *target = op->data;
  ls_op **pp = &target->joiners;
  while (*pp && *pp != op) pp = &(*pp)->next;
  if (*pp) *pp = op->next;
}

/* Pushes what join returns: true, results... | false, error. */
static int push_outcome(lua_State *co, ls_task *target) {
  if (target->state == TASK_DONE) {
    int i, n;
    lua_rawgeti(co, LUA_REGISTRYINDEX, target->res_ref);
    n = (int)luaL_len(co, -1);
    luaL_checkstack(co, n + 1, "too many results");
    lua_pushboolean(co, 1);
    for (i = 1; i <= n; i++) lua_rawgeti(co, -2 - (i - 1), i);
    lua_remove(co, -(n + 2));
    return n + 1;
  }
  lua_pushboolean(co, 0);
  if (target->state == TASK_CANCELLED) lua_pushliteral(co, "cancelled");
  else lua_rawgeti(co, LUA_REGISTRYINDEX, target->res_ref);
  return 2;
}

static int join_push(lua_State *co, ls_op *op) {
  return push_outcome(co, op->data);
}

static ls_task *check_task(lua_State *L, int i) {
  return luaL_checkudata(L, i, LS_TASK_MT);
}

static int task_join(lua_State *L) {
  ls_task *t = check_task(L, 1);
  ls_op *op;
  if (t->state == TASK_DONE || t->state == TASK_FAILED || t->state == TASK_CANCELLED)
    return push_outcome(L, t);
  if (t == t->core->running && t->co == L)
    return luaL_error(L, "a task cannot join itself");
  op = ls_op_new(L, t->core);
  op->data = t;
  op->cancel = join_cancel;
  op->push = join_push;
  op->next = t->joiners;
  t->joiners = op;
  return ls_op_wait(L, op);
}

static int task_cancel(lua_State *L) {
  ls_task *t = check_task(L, 1);
  ls_core *core = t->core;
  int was_live = t->state != TASK_DONE && t->state != TASK_FAILED && t->state != TASK_CANCELLED;
  if (t == core->running && t->co == L) { /* cancelling itself */
    push_cancelled(L);
    return lua_error(L);
  }
  ls_task_cancel(t);
  lua_pushboolean(L, was_live);
  return 1;
}

static const char *const state_names[] = {
  "ready", "waiting", "running", "done", "failed", "cancelled"
};

static int task_status(lua_State *L) {
  ls_task *t = check_task(L, 1);
  lua_pushstring(L, state_names[t->state]);
  return 1;
}

static int task_id(lua_State *L) {
  lua_pushinteger(L, check_task(L, 1)->id);
  return 1;
}

/* task:deadline(seconds | nil): the task must yield within seconds from
** now; when it spins past that, the watchdog yields it (core_preempt.c)
** so the loop can act (a job's timeout cancels it). nil clears it. */
static int task_deadline(lua_State *L) {
  ls_task *t = check_task(L, 1);
  struct timeval tv;
  if (lua_isnoneornil(L, 2)) {
    t->deadline = 0;
  } else {
    lua_Number s = luaL_checknumber(L, 2);
    luaL_argcheck(L, ls_seconds_tv(s, &tv), 2, "must be a number of seconds >= 0");
    t->deadline = ls_monotonic() + (s > LS_MAX_WAIT_S ? LS_MAX_WAIT_S : s);
  }
  lua_settop(L, 1);
  return 1;
}

/* task:unref() / task:ref(): whether the task keeps run() going */
static int task_unref(lua_State *L) {
  ls_task_set_unref(check_task(L, 1), 1);
  lua_settop(L, 1);
  return 1;
}

static int task_ref(lua_State *L) {
  ls_task_set_unref(check_task(L, 1), 0);
  lua_settop(L, 1);
  return 1;
}

static int task_tostring(lua_State *L) {
  ls_task *t = check_task(L, 1);
  lua_pushfstring(L, "task %d (%s)", (int)t->id, state_names[t->state]);
  return 1;
}

static int task_gc(lua_State *L) {
  ls_task *t = check_task(L, 1);
  if (t->res_ref != LUA_NOREF) {
    luaL_unref(L, LUA_REGISTRYINDEX, t->res_ref);
    t->res_ref = LUA_NOREF;
  }
  return 0;
}

static void sleep_cancel(ls_op *op) {
  if (op->data) event_free(op->data);
  op->data = NULL;
}

static int sleep_push(lua_State *co, ls_op *op) {
  (void)op; (void)co;
  return 0;
}

static void on_sleep_timer(evutil_socket_t fd, short what, void *arg) {
  ls_op *op = arg;
  (void)fd; (void)what;
  event_free(op->data);
  op->data = NULL;
  ls_op_complete(op);
}

void ls_task_init(ls_core *core) {
  core->ready_ev = event_new(core->base, -1, 0, on_ready, core);
}

/* ----------------------------------------------------------- Lua API */

static int l_spawn(lua_State *L) {
  ls_core *core = ls_core_get(L);
  luaL_checktype(L, 1, LUA_TFUNCTION);
  ls_task_spawn(L, core, lua_gettop(L) - 1);
  return 1;
}

static int l_sleep(lua_State *L) {
  ls_core *core = ls_core_get(L);
  struct timeval tv;
  ls_op *op;
  /* math.huge sleeps until cancelled (clamped to LS_MAX_WAIT_S) */
  luaL_argcheck(L, ls_seconds_tv(luaL_checknumber(L, 1), &tv), 1,
                "must be a number of seconds >= 0");
  op = ls_op_new(L, core);
  op->cancel = sleep_cancel;
  op->release = sleep_cancel;
  op->push = sleep_push;
  op->data = evtimer_new(core->base, on_sleep_timer, op);
  /* the loop's cached clock is as old as the Lua that ran since it last
  ** turned: a sleep after a long computation would end that much early */
  event_base_update_cache_time(core->base);
  if (op->data == NULL || evtimer_add((struct event *)op->data, &tv) != 0) {
    op_free(op);
    return luaL_error(L, "sleep: cannot start a timer");
  }
  return ls_op_wait(L, op);
}

static int l_current(lua_State *L) {
  ls_core *core = ls_core_get(L);
  if (core->running == NULL) return 0;
  lua_rawgeti(L, LUA_REGISTRYINDEX, core->running->ref);
  return 1;
}

static int l_run(lua_State *L) {
  ls_core *core = ls_core_get(L);
  struct event *intr;
  int left;
  if (core->in_loop) return luaL_error(L, "livestation: run() called inside the loop");
  intr = watch_interrupt(core);
  left = ls_core_run(core);
  unwatch_interrupt(intr);
  if (core->interrupted) {
    core->interrupted = 0;
    return luaL_error(L, "interrupted!");
  }
  lua_pushinteger(L, left);
  return 1;
}

static int l_stop(lua_State *L) {
  ls_core *core = ls_core_get(L);
  core->stop_requested = 1;
  event_base_loopbreak(core->base);
  return 0;
}

/* set_error_handler(fn | nil): fn(task_id, traceback, error) reports tasks
** that fail; the default writes to stderr. */
static int l_set_error_handler(lua_State *L) {
  ls_core *core = ls_core_get(L);
  luaL_unref(L, LUA_REGISTRYINDEX, core->error_handler_ref);
  core->error_handler_ref = LUA_NOREF;
  if (!lua_isnoneornil(L, 1)) {
    luaL_checktype(L, 1, LUA_TFUNCTION);
    lua_pushvalue(L, 1);
    core->error_handler_ref = luaL_ref(L, LUA_REGISTRYINDEX);
  }
  return 0;
}

static int l_stats(lua_State *L) {
  ls_core *core = ls_core_get(L);
  lua_createtable(L, 0, 4);
  lua_pushinteger(L, core->live_tasks);
  lua_setfield(L, -2, "tasks");
  lua_pushinteger(L, core->live_tasks - core->unref_tasks);
  lua_setfield(L, -2, "ref_tasks");
  lua_pushinteger(L, core->failed_tasks);
  lua_setfield(L, -2, "failed");
  lua_pushinteger(L, core->servers);
  lua_setfield(L, -2, "servers");
  return 1;
}

const luaL_Reg ls_task_funcs[] = {
  {"current", l_current},
  {"run", l_run},
  {"set_error_handler", l_set_error_handler},
  {"sleep", l_sleep},
  {"spawn", l_spawn},
  {"stats", l_stats},
  {"stop", l_stop},
  {NULL, NULL}
};

static const luaL_Reg task_methods[] = {
  {"cancel", task_cancel},
  {"deadline", task_deadline},
  {"id", task_id},
  {"join", task_join},
  {"ref", task_ref},
  {"status", task_status},
  {"unref", task_unref},
  {NULL, NULL}
};

static int cancelled_tostring(lua_State *L) {
  lua_pushliteral(L, "cancelled");
  return 1;
}

void ls_task_open(lua_State *L) {
  if (luaL_newmetatable(L, LS_TASK_MT)) {
    luaL_newlib(L, task_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, task_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pushcfunction(L, task_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_pop(L, 1);
  lua_rawgetp(L, LUA_REGISTRYINDEX, &cancelled_key);
  if (lua_isnil(L, -1)) {
    lua_createtable(L, 0, 0);
    lua_createtable(L, 0, 1);
    lua_pushcfunction(L, cancelled_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_setmetatable(L, -2);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &cancelled_key);
  }
  lua_pop(L, 1);
}
