/* mgr: the counter service (a "manager", as in Python's multiprocessing):
 * jobs that run elsewhere, on SSH hosts or as Slurm steps on other nodes,
 * reach the run's counters through it. Local jobs keep using the shared
 * segment directly (lib/shm); the service updates that same segment, so
 * mprun --status and the end summary see every update.
 *
 * It runs in the run's loop (no thread, no daemon) and listens on a Unix
 * socket in a private directory (mode 0700; an SSH host reaches it through
 * a stream-local forward of its master connection) and/or on a TCP port
 * (Slurm steps). Each connection carries one request:
 *
 *   service: "mprun-counters 1 NONCE\n"       NONCE: 32 random hex digits
 *   client:  "MAC REQUEST\n"                  MAC: HMAC-SHA256 of NONCE
 *                                             keyed with the run's key, hex
 *   REQUEST: "add NAME N" | "set NAME N" | "get NAME" | "list"
 *   service: "ok VALUE\n" (add, set, get: the value after the change);
 *            for list, "NAME VALUE\n" a counter, then "ok\n";
 *            or "err CODE\n" (EACCES, EINVAL, ENOSPC, ERANGE); then it
 *            closes the connection.
 *
 * The key (MGR_KEY_HEX random hex digits, from getrandom) is given to the
 * jobs in MGR_KEY_ENV, the service's address in MGR_ENV. A line is at most
 * MGR_LINE_MAX bytes. A connection that sends a wrong MAC, a malformed or
 * too long line, or nothing within MGR_IDLE_MS is closed and counted
 * (mgr_refused); at most MGR_CLIENTS are open at once, more are closed at
 * once and counted. Nothing blocks: every socket is non-blocking and
 * watched by the loop; a client that does not read its answer is dropped
 * at its deadline.
 *
 * Ownership: the caller owns the service and the segment given to
 * mgr_start(); mgr_free() closes every socket and removes the Unix
 * socket and its directory. */
#ifndef MPRUN_MGR_H
#define MPRUN_MGR_H
#include <stddef.h>

#define MGR_ENV "MPRUN_COUNTERS"	/* "unix:PATH" or "tcp:HOST:PORT" */
#define MGR_KEY_ENV "MPRUN_COUNTERS_KEY" /* the run's key, hex */
#define MGR_KEY_HEX 64			/* hex digits of a key */
#define MGR_NONCE_HEX 32		/* hex digits of a nonce */
#define MGR_LINE_MAX 256		/* bytes of a request, newline included */
#define MGR_IDLE_MS 5000		/* a connection's whole life at most */
#define MGR_CLIENTS 256			/* connections open at once */
#define MGR_GREETING "mprun-counters 1 "

struct loop;
struct mgr;
struct shm_seg;

struct mgr_opts {
	int unix_socket;     /* listen on a Unix socket (SSH hosts) */
	int tcp;	     /* listen on TCP (Slurm steps) */
	const char *tcp_bind; /* the address to bind and give the jobs;
			       * NULL: every address, and the jobs get this
			       * host's name */
	const char *tmpdir;  /* for the socket's directory; NULL: $TMPDIR,
			      * else /tmp */
};

/* Make the key and the listening sockets (not yet served). NULL/errno with
 * a message in err (errlen bytes). */
struct mgr *mgr_new(const struct mgr_opts *o, char *err, size_t errlen);
/* Serve the counters of seg in loop l. 0 or -1/errno. */
int mgr_start(struct mgr *m, struct loop *l, struct shm_seg *seg);
/* Stop serving: close the connections, leave l (the sockets stay open
 * until mgr_free). NULL is fine. */
void mgr_stop(struct mgr *m);
/* Close everything, remove the socket and its directory. NULL is fine. */
void mgr_free(struct mgr *m);

/* The run's key (MGR_KEY_HEX hex digits). */
const char *mgr_key(const struct mgr *m);
/* The Unix socket's path, or NULL. */
const char *mgr_unix_path(const struct mgr *m);
/* "unix:PATH" (the Unix socket), or NULL. */
const char *mgr_unix_address(const struct mgr *m);
/* "tcp:HOST:PORT" for the jobs, or NULL. */
const char *mgr_tcp_address(const struct mgr *m);
/* Connections refused: wrong MAC, malformed, silent, too many. */
unsigned long long mgr_refused(const struct mgr *m);
/* Requests answered. */
unsigned long long mgr_served(const struct mgr *m);

/* --- the client's side (mprun --counter in a job) ------------------------ */

/* Send request (without newline) to the service at addr (MGR_ENV's form),
 * proving key, and put the answer's lines, "ok" and "err" lines removed,
 * in reply (NUL-terminated; the caller frees it). Waits at most timeout_ms
 * in all. 0, or -1/errno with a message in err: EACCES (the key was
 * refused), the CODE of an "err CODE" answer, ETIMEDOUT, EPROTO (not the
 * service), or why connecting failed. */
int mgr_call(const char *addr, const char *key, const char *request,
	     char **reply, unsigned timeout_ms, char *err, size_t errlen);

#endif
