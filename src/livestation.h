/*
** livestation.h: the embedding API of the livestation runtime.
**
** A runtime is a Lua 5.4 state with the livestation module ready, an
** event loop (the host's own event_base, or one of its own) and a task
** scheduler. lsrun is a thin host over this API, as lua.c is over liblua.
**
**   ls_runtime *rt = ls_runtime_new(NULL, NULL);   (the installed module)
**   ls_runtime_spawn_file(rt, "job.lua", argc, argv);
**   int failed = ls_runtime_run(rt);
**   ls_runtime_free(rt);
*/
#ifndef LIVESTATION_H
#define LIVESTATION_H

#include <lua.h>

#ifdef __cplusplus
extern "C" {
#endif

struct event_base;
typedef struct ls_runtime ls_runtime;

/* Creates a runtime. root is the directory holding lua/livestation (the
** checkout or the installed share directory); NULL uses $LIVESTATION_HOME,
** else the share directory of the prefix the library was installed to.
** base is the host's event loop, or NULL for a loop owned by the runtime.
** Returns NULL when out of memory or when the core cannot start. */
ls_runtime *ls_runtime_new(const char *root, struct event_base *base);

/* The Lua state, for hosts that add functions or globals of their own. */
lua_State *ls_runtime_state(ls_runtime *rt);

/* Makes require(name) call open: extra C modules for scripts. */
void ls_runtime_preload(ls_runtime *rt, const char *name, lua_CFunction open);

/* Loads a script file (NULL: stdin) and queues it as a task; argv becomes
** its global `arg` (arg[0] = path) and its `...`. Returns 0, or -1 with
** ls_runtime_error() set when the file cannot be loaded. */
int ls_runtime_spawn_file(ls_runtime *rt, const char *path, int argc,
                          char **argv);

/* Same for a chunk of code; name is used in error messages. */
int ls_runtime_spawn_string(ls_runtime *rt, const char *code, const char *name);

/* Chooses where named jobs' run journal, livestation.state, durable steps
** and the webhook inbox live, and opens it now: a file path (SQLite, the
** default being $LIVESTATION_STATE, else ./livestation-state.db) or a
** postgresql:// URL that several hosts share. Returns 0, or -1 with
** ls_runtime_error() set when it cannot be opened. */
int ls_runtime_set_state(ls_runtime *rt, const char *location);
/* Runs the loop while any task is alive or a server is open. Returns the
** number of tasks that failed so far (0: all went well). */
int ls_runtime_run(ls_runtime *rt);

/* One loop iteration, without blocking when nonblock is set. Returns 1
** while tasks or servers are alive, 0 when there is nothing left. For
** hosts that drive their own loop. */
int ls_runtime_step(ls_runtime *rt, int nonblock);

/* The last load error, or "" when there was none. */
const char *ls_runtime_error(ls_runtime *rt);

/* Cancels every task, closes servers and transfers, frees everything. */
void ls_runtime_free(ls_runtime *rt);

/* The Lua module itself, for hosts with a Lua state of their own. */
int luaopen_livestation_core(lua_State *L);

#ifdef __cplusplus
}
#endif

#endif
