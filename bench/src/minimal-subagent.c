// The footprint floor of any AgentX subagent built on Debian's libnetsnmpagent: start the agent
// library exactly as ccagentd does (subagent role, no config files, one AgentX socket) and wait.
// `make bench` reports its RSS beside ccagentd's and keepalived's.
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_term(int sig) { (void)sig; stop = 1; }

int main(int argc, char **argv) {
  setenv("MIBS", "", 1);
  snmp_disable_log();
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
  netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
  if (argc > 1)
    netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, argv[1]);
  init_agent("minimal-subagent");
  init_snmp("minimal-subagent");
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  while (!stop) agent_check_and_process(1);
  snmp_shutdown("minimal-subagent");
  return 0;
}
