// libc headers first, then net-snmp (see DESIGN.md §7).
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <sys/time.h>
#include <sys/types.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>
#include <net-snmp/library/large_fd_set.h>

#include "ccsnmp.h"

// All state is owned by the single SNMP thread.
static ccsnmp_lookup_fn g_lookup;
static ccsnmp_log_fn g_log;
static ccsnmp_conn_fn g_conn;
static void *g_ctx;
static int g_connected;
static netsnmp_handler_registration *g_reg;

static int to_oid(const uint32_t *in, size_t len, oid *out, size_t cap) {
  if (len > cap) return -1;
  for (size_t i = 0; i < len; i++) out[i] = (oid)in[i];
  return (int)len;
}

// net-snmp logs some lines in pieces (debug output especially): join them into whole lines.
static char g_logbuf[2048];
static size_t g_loglen;

static int log_cb(int major, int minor, void *serverarg, void *clientarg) {
  (void)major; (void)minor; (void)clientarg;
  struct snmp_log_message *m = (struct snmp_log_message *)serverarg;
  if (!g_log || !m || !m->msg) return 0;
  size_t n = strlen(m->msg);
  if (n > sizeof g_logbuf - 1 - g_loglen) n = sizeof g_logbuf - 1 - g_loglen;
  memcpy(g_logbuf + g_loglen, m->msg, n);
  g_loglen += n;
  g_logbuf[g_loglen] = 0;
  if (g_loglen > 0 && (g_logbuf[g_loglen - 1] == '\n' || g_loglen == sizeof g_logbuf - 1)) {
    g_log(g_ctx, m->priority, g_logbuf);
    g_loglen = 0;
  }
  return 0;
}

static int conn_cb(int major, int minor, void *serverarg, void *clientarg) {
  (void)major; (void)serverarg; (void)clientarg;
  int up = (minor == SNMPD_CALLBACK_INDEX_START);
  g_connected = up;
  if (g_conn) g_conn(g_ctx, up);
  return 0;
}

static int handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
                   netsnmp_agent_request_info *reqinfo, netsnmp_request_info *requests) {
  (void)h; (void)reg;
  int mode;
  switch (reqinfo->mode) {
  case MODE_GET: mode = CCSNMP_MODE_GET; break;
  case MODE_GETNEXT:
  case MODE_GETBULK: mode = CCSNMP_MODE_GETNEXT; break;
  default: return SNMP_ERR_GENERR;  // sets are refused by HANDLER_CAN_RONLY
  }
  uint32_t buf[MAX_OID_LEN];
  for (netsnmp_request_info *r = requests; r; r = r->next) {
    if (r->processed) continue;
    netsnmp_variable_list *vb = r->requestvb;
    size_t n = vb->name_length;
    if (n > MAX_OID_LEN) n = MAX_OID_LEN;
    for (size_t i = 0; i < n; i++) buf[i] = (uint32_t)vb->name[i];
    int rc = g_lookup ? g_lookup(g_ctx, mode, buf, n, vb) : CCSNMP_NO_SUCH_OBJECT;
    if (mode == CCSNMP_MODE_GET) {
      if (rc == CCSNMP_NO_SUCH_INSTANCE)
        netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHINSTANCE);
      else if (rc != CCSNMP_FOUND)
        netsnmp_set_request_error(reqinfo, r, SNMP_NOSUCHOBJECT);
    }
    // GETNEXT miss: leave the varbind untouched; the agent moves on to the next
    // registration (none in this subagent) and answers endOfMibView.
  }
  return SNMP_ERR_NOERROR;
}

int ccsnmp_init(const char *app_name, const char *agentx_socket,
                const uint32_t *root, size_t root_len, int ping_interval,
                ccsnmp_lookup_fn lookup, ccsnmp_log_fn logf, ccsnmp_conn_fn conn, void *ctx) {
  // net-snmp 5.9.3's subagent_init() has a static once-guard, and snmp_shutdown() closes the
  // internal callback session it created: a second init in the same process connects but
  // never answers a request. So: one initialisation per process.
  static int initialised_once;
  if (initialised_once) return -2;
  initialised_once = 1;
  g_lookup = lookup; g_log = logf; g_conn = conn; g_ctx = ctx; g_connected = 0;

  signal(SIGPIPE, SIG_IGN);

  // Logging: only through our callback (no stderr).
  snmp_disable_log();
  snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_cb, NULL);
  snmp_enable_calllog();

  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);  // subagent
  netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_NO_ROOT_ACCESS, 1);
  if (agentx_socket && *agentx_socket)
    netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, agentx_socket);

  // CCSNMP_DEBUG="token,token" turns on net-snmp debug output (through the log callback).
  const char *dbg = getenv("CCSNMP_DEBUG");
  if (dbg && *dbg) {
    debug_register_tokens(dbg);
    snmp_set_do_debugging(1);
  }

  init_agent(app_name);
  // init_agent resets the ping interval; the reconnect alarm is armed in init_snmp.
  netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, ping_interval);

  snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START, conn_cb, NULL);
  snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_STOP, conn_cb, NULL);

  oid r[MAX_OID_LEN];
  int rl = to_oid(root, root_len, r, MAX_OID_LEN);
  if (rl < 0) return -1;
  g_reg = netsnmp_create_handler_registration(app_name, handler, r, (size_t)rl, HANDLER_CAN_RONLY);
  if (!g_reg) return -1;
  if (netsnmp_register_handler(g_reg) != MIB_REGISTERED_OK) { g_reg = NULL; return -1; }

  init_snmp(app_name);  // opens the AgentX session (or arms the reconnect alarm)
  return 0;
}

int ccsnmp_loop_once(int wake_fd, int max_wait_ms) {
  netsnmp_large_fd_set fds;
  netsnmp_large_fd_set_init(&fds, FD_SETSIZE);
  int numfds = 0, block = 0;
  struct timeval tv = { max_wait_ms / 1000, (max_wait_ms % 1000) * 1000 };
  struct timeval maxtv = tv;
  snmp_select_info2(&numfds, &fds, &tv, &block);
  if (block || timercmp(&tv, &maxtv, >)) tv = maxtv;
  if (wake_fd >= 0) {
    if ((unsigned)wake_fd >= fds.lfs_setsize) netsnmp_large_fd_set_resize(&fds, wake_fd + 1);
    NETSNMP_LARGE_FD_SET(wake_fd, &fds);
    if (wake_fd + 1 > numfds) numfds = wake_fd + 1;
  }
  int woke = 0;
  int n = netsnmp_large_fd_set_select(numfds, &fds, NULL, NULL, &tv);
  if (n > 0) {
    if (wake_fd >= 0 && NETSNMP_LARGE_FD_ISSET(wake_fd, &fds)) {
      char b[256];
      while (read(wake_fd, b, sizeof b) > 0) {}
      NETSNMP_LARGE_FD_CLR(wake_fd, &fds);
      woke = 1;
      n--;
    }
    if (n > 0) snmp_read2(&fds);
  } else if (n == 0) {
    snmp_timeout();
  } else if (errno != EINTR) {
    snmp_log(LOG_ERR, "ccsnmp: select: %s\n", strerror(errno));
  }
  netsnmp_large_fd_set_cleanup(&fds);
  run_alarms();
  netsnmp_check_outstanding_agent_requests();
  return woke;
}

int ccsnmp_is_connected(void) { return g_connected; }

void ccsnmp_shutdown(const char *app_name) {
  snmp_unregister_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START, conn_cb, NULL, 1);
  snmp_unregister_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_STOP, conn_cb, NULL, 1);
  if (g_reg) { netsnmp_unregister_handler(g_reg); g_reg = NULL; }
  snmp_shutdown(app_name);
  shutdown_agent();
  snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_cb, NULL, 1);
  g_connected = 0;
  g_lookup = NULL; g_log = NULL; g_conn = NULL; g_ctx = NULL;
}

static void set_value(netsnmp_variable_list *vb, int tag, uint64_t number, const void *bytes, size_t len) {
  switch (tag) {
  case CCSNMP_INTEGER: snmp_set_var_typed_integer(vb, ASN_INTEGER, (long)(int32_t)(uint32_t)number); break;
  case CCSNMP_UNSIGNED: snmp_set_var_typed_integer(vb, ASN_GAUGE, (long)(uint32_t)number); break;
  case CCSNMP_COUNTER32: snmp_set_var_typed_integer(vb, ASN_COUNTER, (long)(uint32_t)number); break;
  case CCSNMP_TIMETICKS: snmp_set_var_typed_integer(vb, ASN_TIMETICKS, (long)(uint32_t)number); break;
  case CCSNMP_COUNTER64: {
    struct counter64 c;
    c.high = (u_long)(number >> 32);
    c.low = (u_long)(number & 0xffffffffu);
    snmp_set_var_typed_value(vb, ASN_COUNTER64, &c, sizeof c);
    break;
  }
  case CCSNMP_OCTETSTRING:
    snmp_set_var_typed_value(vb, ASN_OCTET_STR, len ? bytes : (const void *)"", len);
    break;
  case CCSNMP_OID: {
    oid o[MAX_OID_LEN];
    int n = to_oid((const uint32_t *)bytes, len, o, MAX_OID_LEN);
    if (n < 2) { o[0] = 0; o[1] = 0; n = 2; }  // zeroDotZero for empty/invalid
    snmp_set_var_typed_value(vb, ASN_OBJECT_ID, o, (size_t)n * sizeof(oid));
    break;
  }
  default: snmp_set_var_typed_value(vb, ASN_NULL, NULL, 0); break;
  }
}

void ccsnmp_var_set_name(void *var, const uint32_t *in, size_t len) {
  oid o[MAX_OID_LEN];
  int n = to_oid(in, len, o, MAX_OID_LEN);
  if (n > 0) snmp_set_var_objid((netsnmp_variable_list *)var, o, (size_t)n);
}

void ccsnmp_var_set_value(void *var, int tag, uint64_t number, const void *bytes, size_t len) {
  set_value((netsnmp_variable_list *)var, tag, number, bytes, len);
}

static const oid snmptrap_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

void *ccsnmp_trap_new(const uint32_t *trap_oid, size_t len) {
  netsnmp_variable_list *list = NULL;
  oid o[MAX_OID_LEN];
  int n = to_oid(trap_oid, len, o, MAX_OID_LEN);
  if (n < 0) return NULL;
  snmp_varlist_add_variable(&list, snmptrap_oid, OID_LENGTH(snmptrap_oid), ASN_OBJECT_ID,
                            (const u_char *)o, (size_t)n * sizeof(oid));
  return list;
}

void ccsnmp_trap_add(void *list, const uint32_t *in, size_t len, int tag, uint64_t number,
                     const void *bytes, size_t blen) {
  netsnmp_variable_list *l = (netsnmp_variable_list *)list;
  if (!l) return;
  oid o[MAX_OID_LEN];
  int n = to_oid(in, len, o, MAX_OID_LEN);
  if (n < 0) return;
  netsnmp_variable_list *vb = snmp_varlist_add_variable(&l, o, (size_t)n, ASN_NULL, NULL, 0);
  if (vb) set_value(vb, tag, number, bytes, blen);
}

void ccsnmp_trap_send(void *list) {
  if (!list) return;
  send_v2trap((netsnmp_variable_list *)list);
  snmp_free_varbind((netsnmp_variable_list *)list);
}

void ccsnmp_trap_free(void *list) {
  if (list) snmp_free_varbind((netsnmp_variable_list *)list);
}
