// Thin C shim over Net-SNMP (5.9.x) for ccagentd's AgentX subagent.
// Every function here must be called on the one SNMP thread (except none).
// The net-snmp headers are deliberately NOT included here (they clash with
// Glibc's fd_set in the Swift module); only plain C types cross the boundary.
#ifndef CCSNMP_H
#define CCSNMP_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// Value tags: the shapes of MIB.SNMPValue (BITS travel as an OCTET STRING).
enum {
  CCSNMP_INTEGER = 1,
  CCSNMP_UNSIGNED = 2,   // Gauge32
  CCSNMP_COUNTER32 = 3,
  CCSNMP_COUNTER64 = 4,
  CCSNMP_TIMETICKS = 5,
  CCSNMP_OCTETSTRING = 6,
  CCSNMP_OID = 7,
};

// Lookup results returned by the Swift lookup callback.
enum {
  CCSNMP_FOUND = 0,
  CCSNMP_NO_SUCH_OBJECT = 1,
  CCSNMP_NO_SUCH_INSTANCE = 2,
  CCSNMP_END_OF_VIEW = 3,   // GETNEXT: nothing further in our subtree
};

enum {
  CCSNMP_MODE_GET = 0,
  CCSNMP_MODE_GETNEXT = 1,
};

// mode: CCSNMP_MODE_*; oid/len: the requested OID; var: opaque varbind to fill
// with ccsnmp_var_set_value / ccsnmp_var_set_name. Returns CCSNMP_FOUND etc.
typedef int (*ccsnmp_lookup_fn)(void *ctx, int mode, const uint32_t *oid, size_t len, void *var);
typedef void (*ccsnmp_log_fn)(void *ctx, int priority, const char *msg);
typedef void (*ccsnmp_conn_fn)(void *ctx, int connected);

// Configures and initialises net-snmp as an AgentX subagent, registers one
// read-only handler for `root`, and arms the AgentX ping / reconnect alarm.
// Returns 0 on success, -1 if the registration failed, -2 if net-snmp was already
// initialised in this process (net-snmp 5.9.3 cannot re-initialise a subagent).
int ccsnmp_init(const char *app_name, const char *agentx_socket,
                const uint32_t *root, size_t root_len, int ping_interval,
                ccsnmp_lookup_fn lookup, ccsnmp_log_fn log, ccsnmp_conn_fn conn, void *ctx);

// One iteration of the event loop: waits (at most max_wait_ms) on net-snmp's fds,
// its timeout and `wake_fd`, then processes input/timeouts/alarms.
// Returns 1 if wake_fd was readable (and has been drained), 0 otherwise.
int ccsnmp_loop_once(int wake_fd, int max_wait_ms);

// 1 while an AgentX session with the master is open.
int ccsnmp_is_connected(void);

// Tears everything down (unregisters, closes the session, snmp_shutdown).
void ccsnmp_shutdown(const char *app_name);

// Varbind setters for the lookup callback.
void ccsnmp_var_set_name(void *var, const uint32_t *oid, size_t len);
void ccsnmp_var_set_value(void *var, int tag, uint64_t number, const void *bytes, size_t len);

// Notifications: build a varbind list, then send (consumes the list) or free it.
void *ccsnmp_trap_new(const uint32_t *trap_oid, size_t len);
void ccsnmp_trap_add(void *list, const uint32_t *oid, size_t len, int tag, uint64_t number,
                     const void *bytes, size_t blen);
void ccsnmp_trap_send(void *list);
void ccsnmp_trap_free(void *list);

#ifdef __cplusplus
}
#endif
#endif
