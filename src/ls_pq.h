/*
** ls_pq.h: libpq, loaded on first use. Linking libpq pulls some twenty
** shared libraries (Kerberos, LDAP, ...) into every process at exec, three
** times what Lua itself needs to start, while only a PostgreSQL store ever
** uses it. So libpq is opened with dlopen when the first connection is
** made, and the PQ* names used by core_pg.c resolve to the loaded
** functions through the macros below (as ls_curl.h does for libcurl).
**
** Include after <libpq-fe.h>. A PQ function not listed here would reach
** for libpq at link time and fail there: add it to the table.
*/
#ifndef LS_PQ_H
#define LS_PQ_H

#include <stddef.h>
#include <libpq-fe.h>

typedef struct ls_pq_api {
  void (*clear)(PGresult *res);
  char *(*cmdTuples)(PGresult *res);
  PostgresPollingStatusType (*connectPoll)(PGconn *conn);
  PGconn *(*connectStart)(const char *conninfo);
  int (*consumeInput)(PGconn *conn);
  char *(*errorMessage)(const PGconn *conn);
  void (*finish)(PGconn *conn);
  int (*flush)(PGconn *conn);
  char *(*fname)(const PGresult *res, int field_num);
  Oid (*ftype)(const PGresult *res, int field_num);
  PGresult *(*getResult)(PGconn *conn);
  int (*getisnull)(const PGresult *res, int tup_num, int field_num);
  int (*getlength)(const PGresult *res, int tup_num, int field_num);
  char *(*getvalue)(const PGresult *res, int tup_num, int field_num);
  int (*isBusy)(PGconn *conn);
  int (*nfields)(const PGresult *res);
  int (*ntuples)(const PGresult *res);
  char *(*resultErrorField)(const PGresult *res, int fieldcode);
  char *(*resultErrorMessage)(const PGresult *res);
  ExecStatusType (*resultStatus)(const PGresult *res);
  int (*sendQueryParams)(PGconn *conn, const char *command, int nParams,
                           const Oid *paramTypes, const char *const *paramValues,
                           const int *paramLengths, const int *paramFormats,
                           int resultFormat);
  PQnoticeProcessor (*setNoticeProcessor)(PGconn *conn, PQnoticeProcessor proc,
                                            void *arg);
  int (*setnonblocking)(PGconn *conn, int arg);
  int (*socket)(const PGconn *conn);
  ConnStatusType (*status)(const PGconn *conn);
} ls_pq_api;

extern ls_pq_api ls_pq;

/* Opens libpq once. 0 on success; -1 with a message in err otherwise. */
int ls_pq_load(char *err, size_t errlen);

#define PQclear              (ls_pq.clear)
#define PQcmdTuples          (ls_pq.cmdTuples)
#define PQconnectPoll        (ls_pq.connectPoll)
#define PQconnectStart       (ls_pq.connectStart)
#define PQconsumeInput       (ls_pq.consumeInput)
#define PQerrorMessage       (ls_pq.errorMessage)
#define PQfinish             (ls_pq.finish)
#define PQflush              (ls_pq.flush)
#define PQfname              (ls_pq.fname)
#define PQftype              (ls_pq.ftype)
#define PQgetResult          (ls_pq.getResult)
#define PQgetisnull          (ls_pq.getisnull)
#define PQgetlength          (ls_pq.getlength)
#define PQgetvalue           (ls_pq.getvalue)
#define PQisBusy             (ls_pq.isBusy)
#define PQnfields            (ls_pq.nfields)
#define PQntuples            (ls_pq.ntuples)
#define PQresultErrorField   (ls_pq.resultErrorField)
#define PQresultErrorMessage (ls_pq.resultErrorMessage)
#define PQresultStatus       (ls_pq.resultStatus)
#define PQsendQueryParams    (ls_pq.sendQueryParams)
#define PQsetNoticeProcessor (ls_pq.setNoticeProcessor)
#define PQsetnonblocking     (ls_pq.setnonblocking)
#define PQsocket             (ls_pq.socket)
#define PQstatus             (ls_pq.status)

#endif
