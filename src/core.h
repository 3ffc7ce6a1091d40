/*
** core.h: what the binding files of livestation.core share: the loop
** object (one per Lua state), tasks (Lua coroutines) and the async
** operations a task waits on. Internal; the public API is livestation.h.
*/
#ifndef LS_CORE_H
#define LS_CORE_H

#include <lua.h>
#include <lauxlib.h>

struct event_base;
struct event;
typedef struct ls_http ls_http;

typedef struct ls_core ls_core;
typedef struct ls_task ls_task;
typedef struct ls_op ls_op;

/* An async operation: one per wait. Exactly one cancel path: cancel()
** stops the I/O and is called by task cancel, shutdown and __gc alike.
** push() is chosen by the operation at start: it puts the results on the
** resumed coroutine's stack and returns how many. free() releases data. */
struct ls_op {
  ls_core *core;
  ls_task *task;          /* waiting task; NULL while a plain caller pumps */
  int done;
  void *data;
  void (*cancel)(ls_op *op);
  int (*push)(lua_State *co, ls_op *op);
  void (*release)(ls_op *op);
  ls_op *next;            /* chains the joiners of one task */
};

typedef enum {
  TASK_READY, TASK_WAITING, TASK_RUNNING, TASK_DONE, TASK_FAILED, TASK_CANCELLED
} ls_task_state;

/* Called once when a task ends, with its coroutine's stack holding the nres
** results (status LUA_OK) or the error value; used by the server to reply. */
typedef void (*ls_task_hook)(ls_task *t, lua_State *co, int status, int nres,
                             void *ud);
#define LS_TASK_CANCELLED_STATUS (-1) /* hook status of a cancelled task */

struct ls_task {
  ls_core *core;
  lua_State *co;
  int ref;                /* registry ref anchoring this userdata while alive */
  int co_ref;             /* registry ref of the coroutine */
  int res_ref;            /* results table (or error value) once ended */
  long long id;
  ls_task_state state;
  int nargs;              /* arguments waiting for the first resume */
  int cancel_requested;   /* set while the task is inside a pump */
  int unref;              /* does not keep run() going (libuv's unref) */
  int in_live;            /* on the live list (not yet ended) */
  ls_op *op;              /* what it waits on */
  ls_op *joiners;         /* join ops waiting for this task's end */
  ls_task_hook hook;
  void *hook_ud;
  ls_task *next_ready;
  ls_task *prev_live, *next_live;
  ls_task *prev_running;  /* the task running when this one was resumed */
  double deadline;        /* monotonic time it must yield by, or 0 */
};

struct ls_core {
  lua_State *L;           /* the main state */
  struct event_base *base;
  int own_base;
  struct event *ready_ev; /* the one safe point where tasks are resumed */
  ls_task *ready_head, *ready_tail;
  int ready_count;
  ls_task *live;          /* every task not yet ended, for shutdown */
  int in_loop;            /* inside run() or a pump: no nested loops */
  int in_ready;           /* inside on_ready, resuming tasks */
  int ready_now;          /* a task became ready inside on_ready */
  int stop_requested;
  int servers;            /* open servers keep run() going */
  int unref_tasks;        /* live tasks that do not keep run() going */
  int unref_servers;      /* open servers that do not */
  ls_task *running;
  ls_http *http;
  long long next_id;
  int live_tasks;
  int failed_tasks;
  int error_handler_ref;  /* Lua function reporting task errors, or NOREF */
  int closing;
  int closing_tasks;      /* inside __close handlers of cancelled tasks */
  int sigint_handlers;    /* on_signal("INT") handles open */
  int interrupted;        /* Ctrl-C while a plain caller waited */
};

#define LS_CORE_KEY "livestation.core.loop"
#define LS_TASK_MT "livestation.task"

/* core.c */
ls_core *ls_core_get(lua_State *L);
ls_core *ls_core_open(lua_State *L, struct event_base *base);
/* Calls f(ud) on the main state under lua_pcall (luv's cfpcall): what a
** loop callback does with Lua must never unwind through libevent. On an
** error it returns the status with the error value on top of the main
** state; the caller pops it. */
int ls_core_pcall(ls_core *core, lua_CFunction f, void *ud);
/* The error value at idx as text, never NULL, calling no metamethod. */
const char *ls_core_message(lua_State *L, int idx);
/* Closes a coroutine's pending to-be-closed variables (lua_closethread,
** or lua_resetthread before Lua 5.4.6); returns the status. */
int ls_close_thread(lua_State *co, lua_State *from);
/* The longest wait, in seconds: longer ones (and infinity) are clamped,
** so a conversion to time_t or milliseconds never overflows. */
#define LS_MAX_WAIT_S 1e9
struct timeval;
/* Converts seconds to a timeval, clamped to LS_MAX_WAIT_S. Returns 0 for
** NaN or a negative number. */
int ls_seconds_tv(lua_Number s, struct timeval *tv);
/* Registers metatable `name` (once) for a handle with `methods` whose
** `close` also runs at __gc and __close. */
void ls_closable_class(lua_State *L, const char *name, const luaL_Reg *methods, lua_CFunction close);

/* core_task.c */
/* run(): the loop goes on while a task is alive or a server is open. */
int ls_core_run(ls_core *core);
int ls_core_alive(const ls_core *core);
ls_op *ls_op_new(lua_State *L, ls_core *core);
/* Waits for op: yields the running task, or pumps the loop when the caller
** is not a task's own coroutine. Returns what op->push returns. */
int ls_op_wait(lua_State *L, ls_op *op);
/* Marks op complete; its task is resumed later from the safe point. */
void ls_op_complete(ls_op *op);
/* A new task inherits unref from the task running when it is made. */
ls_task *ls_task_spawn(lua_State *L, ls_core *core, int nargs);
void ls_task_set_unref(ls_task *t, int unref);
void ls_task_cancel(ls_task *t);
void ls_core_cancel_all(ls_core *core);
extern const luaL_Reg ls_task_funcs[];
void ls_task_open(lua_State *L);
void ls_task_init(ls_core *core);

/* core_preempt.c: interrupting Lua that never yields */
double ls_monotonic(void);
/* Around each resumption of a task: arms the watchdog when the task has
** a deadline or the process is stopping; the hook yields it when due. */
void ls_preempt_enter(ls_task *t);
void ls_preempt_leave(ls_task *t);
/* After evsignal_add of SIGINT/SIGTERM: that signal also interrupts a
** spinning task, and from then on every task runs in short slices. */
void ls_preempt_watch_signal(int signo);
int ls_preempt_stopping(void);

/* core_http.c, core_server.c, core_util.c */
/* Pushes a table of a raw response header block: lower-case names,
** repeated headers joined with ", " (also fuzzed: test/fuzz_http.c). */
void ls_push_headers(lua_State *L, const char *p, size_t n);
extern const luaL_Reg ls_http_funcs[];
extern const luaL_Reg ls_server_funcs[];
void ls_server_open(lua_State *L);
extern const luaL_Reg ls_util_funcs[];
void ls_util_open(lua_State *L);
extern const luaL_Reg ls_store_funcs[];
void ls_store_open(lua_State *L);
/* core_json.c */
extern const luaL_Reg ls_json_funcs[];
/* core_notify.c */
extern const luaL_Reg ls_notify_funcs[];

/* core_pg.c */
extern const luaL_Reg ls_pg_funcs[];
void ls_pg_open(lua_State *L);

#endif
