"""A private, real Zabbix 6.0 server from Debian 12's packages, on 127.0.0.1 only.

PostgreSQL 15 (a cluster made with initdb in a temporary directory, fsync off), the shipped
schema of zabbix-server-pgsql, zabbix_server in the foreground, and zabbix-frontend-php
(a copy with its own conf/zabbix.conf.php) served by php-fpm and nginx for the JSON-RPC API.
Every daemon is started directly (no systemd) on free ports and stopped by close().
"""
import gzip
import hashlib
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

PG_BIN = "/usr/lib/postgresql/15/bin"
SCHEMA = "/usr/share/zabbix-server-pgsql"
FRONTEND = "/usr/share/zabbix"
RECEIVER = "/usr/local/share/zabbix/zabbix_trap_receiver.pl"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SEED_CACHE = os.environ.get("CCAGENT_ZABBIX_DB_CACHE") or os.path.join(REPO, ".build", "zabbix-db")


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def low_free_port():
    """A free TCP port on 127.0.0.1 in 20000..32767 (bind-tested)."""
    for _ in range(200):
        port = random.randrange(20000, 32768)
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    raise RuntimeError("no free port in 20000..32767")


def read(path):
    try:
        with open(path, errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def postgres(*cmd):
    return subprocess.run(["runuser", "-u", "postgres", "--", *cmd], check=True,
                          capture_output=True)


def pg_ctl(data, port, action):
    postgres(f"{PG_BIN}/pg_ctl", "-D", data, "-w", "-m", "fast", "-l", os.path.join(data, "log"),
             "-o", f"-c listen_addresses=127.0.0.1 -p {port} -c fsync=off "
                   f"-c synchronous_commit=off -c full_page_writes=off "
                   f"-c unix_socket_directories={data}", action)


SCHEMA_FILES = ("schema.sql.gz", "images.sql.gz", "data.sql.gz")
SEED_FORMAT = b"2: analyzed"  # part of the cache key: change it when make_seed changes


def seed_path():
    digest = hashlib.sha256(SEED_FORMAT + postgres(f"{PG_BIN}/postgres", "--version").stdout)
    for name in SCHEMA_FILES:
        with open(os.path.join(SCHEMA, name), "rb") as f:
            digest.update(f.read())
    return os.path.join(SEED_CACHE, f"pg-{digest.hexdigest()[:16]}.tar")


def make_seed(seed, work):
    """initdb, the zabbix database with the shipped schema, stopped and archived as seed."""
    data = os.path.join(work, "seed")
    os.makedirs(data)
    shutil.chown(data, "postgres", "postgres")
    postgres(f"{PG_BIN}/initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "-N")
    port = free_port()
    pg_ctl(data, port, "start")
    try:
        psql = ["psql", "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "-q",
                "-v", "ON_ERROR_STOP=1"]
        subprocess.run(psql + ["-c", "CREATE DATABASE zabbix"], check=True, capture_output=True)
        sql = b"".join(gzip.open(os.path.join(SCHEMA, f)).read() for f in SCHEMA_FILES)
        subprocess.run(psql + ["-d", "zabbix"], input=sql, check=True, capture_output=True)
        # Planner statistics in the seed: without them the frontend's first host.create met
        # a trigger-dependency query planned on empty statistics (minutes at 100% CPU) unless
        # autovacuum happened to analyze first.
        subprocess.run(psql + ["-d", "zabbix", "-c", "VACUUM ANALYZE"], check=True,
                       capture_output=True)
    finally:
        pg_ctl(data, port, "stop")
    os.makedirs(SEED_CACHE, exist_ok=True)
    partial = f"{seed}.{os.getpid()}.tmp"
    subprocess.run(["tar", "-C", work, "-cf", partial, "--exclude=seed/log", "seed"], check=True)
    os.replace(partial, seed)
    shutil.rmtree(data)


def wait(predicate, timeout, what):
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            if predicate():
                return
        except Exception as error:  # noqa: BLE001 - retried until the deadline
            last = error
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout}s waiting for {what} (last error: {last})")


class ApiError(Exception):
    pass


class ZabbixLab:
    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="cczbx-")
        os.chmod(self.work, 0o755)
        self.procs = []
        self.pg_data = os.path.join(self.work, "pg")
        self.pg_port = free_port()
        # zabbix_server takes ListenPort 1024..32767 only, below the kernel's ephemeral range.
        self.server_port = low_free_port()
        self.http_port = free_port()
        self.trap_file = os.path.join(self.work, "snmptraps.log")
        self.token = None
        try:
            self._postgres()
            self._server()
            self._frontend()
        except BaseException:
            self.close()
            raise

    # --- daemons ---------------------------------------------------------------------------
    def _postgres(self):
        """A private cluster from a seed: the data directory right after initdb and the shipped
        schema is cached (REPO/.build/zabbix-db, keyed by the PostgreSQL version and the schema
        files), because loading data.sql takes minutes on a loaded machine and a copy seconds."""
        seed = seed_path()
        if not os.path.exists(seed):
            make_seed(seed, self.work)
        subprocess.run(["tar", "-C", self.work, "-xf", seed], check=True)
        os.rename(os.path.join(self.work, "seed"), self.pg_data)
        pg_ctl(self.pg_data, self.pg_port, "start")
        self.pg_started = True

    def _server(self):
        conf = os.path.join(self.work, "zabbix_server.conf")
        with open(conf, "w") as f:
            f.write(f"""ListenIP=127.0.0.1
ListenPort={self.server_port}
LogFile={self.work}/zabbix_server.log
LogFileSize=0
PidFile={self.work}/zabbix_server.pid
SocketDir={self.work}
DBHost=127.0.0.1
DBPort={self.pg_port}
DBName=zabbix
DBUser=postgres
AllowRoot=1
StartSNMPTrapper=1
SNMPTrapperFile={self.trap_file}
CacheUpdateFrequency=2
StartPollers=2
StartPollersUnreachable=1
StartTrappers=1
StartPingers=0
StartDiscoverers=1
StartHTTPPollers=0
StartPreprocessors=2
StartLLDProcessors=1
StartEscalators=1
StartAlerters=1
UnavailableDelay=5
UnreachableDelay=2
UnreachablePeriod=5
Timeout=3
HousekeepingFrequency=0
""")
        open(self.trap_file, "a").close()
        self.server = self._spawn(["zabbix_server", "-f", "-c", conf])
        wait(lambda: self.server.poll() is None and "server #0 started" in self.log(), 120,
             "zabbix_server to start")

    def _frontend(self):
        web = os.path.join(self.work, "web")
        shutil.copytree(FRONTEND, web, symlinks=True)
        # Debian's frontend reads its configuration from /etc/zabbix/zabbix.conf.php (a
        # patched CConfigFile::CONFIG_FILE_PATH): the private copy reads its own instead.
        web_conf = os.path.join(web, "conf", "zabbix.conf.php")
        core = os.path.join(web, "include", "classes", "core", "CConfigFile.php")
        with open(core) as f:
            text = f.read()
        assert "/etc/zabbix/zabbix.conf.php" in text, "frontend layout changed"
        with open(core, "w") as f:
            f.write(text.replace("/etc/zabbix/zabbix.conf.php", web_conf))
        with open(web_conf, "w") as f:
            f.write(f"""<?php
$DB['TYPE'] = 'POSTGRESQL';
$DB['SERVER'] = '127.0.0.1';
$DB['PORT'] = '{self.pg_port}';
$DB['DATABASE'] = 'zabbix';
$DB['USER'] = 'postgres';
$DB['PASSWORD'] = '';
$DB['SCHEMA'] = '';
$DB['ENCRYPTION'] = false;
$DB['KEY_FILE'] = '';
$DB['CERT_FILE'] = '';
$DB['CA_FILE'] = '';
$DB['VERIFY_HOST'] = false;
$DB['CIPHER_LIST'] = '';
$DB['VAULT_URL'] = '';
$DB['VAULT_DB_PATH'] = '';
$DB['VAULT_TOKEN'] = '';
$DB['DOUBLE_IEEE754'] = true;
$ZBX_SERVER = '127.0.0.1';
$ZBX_SERVER_PORT = '{self.server_port}';
$ZBX_SERVER_NAME = 'cctest';
$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;
""")
        fpm_sock = os.path.join(self.work, "php-fpm.sock")
        fpm_conf = os.path.join(self.work, "php-fpm.conf")
        with open(fpm_conf, "w") as f:
            f.write(f"""[global]
pid = {self.work}/php-fpm.pid
error_log = {self.work}/php-fpm.log
daemonize = no
[zabbix]
user = root
group = root
listen = {fpm_sock}
listen.mode = 0666
pm = static
pm.max_children = 3
php_value[memory_limit] = 256M
php_value[post_max_size] = 16M
php_value[max_execution_time] = 300
php_value[max_input_time] = 300
php_value[date.timezone] = UTC
""")
        self._spawn(["php-fpm8.2", "-R", "-F", "-y", fpm_conf])
        nginx_conf = os.path.join(self.work, "nginx.conf")
        with open(nginx_conf, "w") as f:
            f.write(f"""daemon off;
pid {self.work}/nginx.pid;
error_log {self.work}/nginx-error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {self.work}/nginx-body;
  fastcgi_temp_path {self.work}/nginx-fcgi;
  proxy_temp_path {self.work}/nginx-proxy;
  uwsgi_temp_path {self.work}/nginx-uwsgi;
  scgi_temp_path {self.work}/nginx-scgi;
  client_max_body_size 16m;
  server {{
    listen 127.0.0.1:{self.http_port};
    root {web};
    index index.php;
    location ~ \\.php$ {{
      include /etc/nginx/fastcgi_params;
      fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
      fastcgi_read_timeout 300;
      fastcgi_pass unix:{fpm_sock};
    }}
  }}
}}
""")
        self._spawn(["nginx", "-c", nginx_conf, "-e", os.path.join(self.work, "nginx-error.log")])
        wait(lambda: self.call("apiinfo.version", {}, auth=False), 60, "the Zabbix API")
        self.token = self.call("user.login", {"username": "Admin", "password": "zabbix"},
                               auth=False)

    def _spawn(self, cmd):
        log = open(os.path.join(self.work, os.path.basename(cmd[0]) + ".out"), "ab")
        p = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        self.procs.append(p)
        return p

    def start_trapd(self, addresses, port, snippet, mibs):
        """snmptrapd on addresses:port with the shipped snippet, its commented Zabbix lines
        taken as they are (the official receiver loaded with perl do, SNMPTrapperFile set after
        it) and pointed at this server's SNMPTrapperFile; CHASSIS-CLUSTER-MIB loaded from mibs,
        as the README tells users to do."""
        with open(snippet) as f:
            text = f.read()
        load = f'#perl do "{RECEIVER}";'
        assert load in text, f"{snippet} no longer loads {RECEIVER}"
        text, n = re.subn(r'^#(perl \$SNMPTrapperFile = )"[^"]*";$',
                          lambda m: f'{m.group(1)}"{self.trap_file}";', text, flags=re.M)
        assert n == 1, f"{snippet}: no SNMPTrapperFile line"
        text = text.replace(load, load[1:])
        conf = os.path.join(self.work, "snmptrapd.conf")
        with open(conf, "w") as f:
            f.write(text)
        log = os.path.join(self.work, "snmptrapd.log")
        listen = ",".join(f"udp:{a}:{port}" for a in addresses)
        self.trapd = self._spawn(["snmptrapd", "-f", "-Lf", log, "-C", "-c", conf, "-M",
                                  f"+{mibs}", "-m", "+CHASSIS-CLUSTER-MIB", "-p",
                                  os.path.join(self.work, "snmptrapd.pid"), listen])
        wait(lambda: "NetSNMP" in read(log) or "NET-SNMP version" in read(log), 30,
             "snmptrapd to start")
        assert self.trapd.poll() is None, read(log)

    # --- API -------------------------------------------------------------------------------
    def call(self, method, params, auth=True):
        body = {"jsonrpc": "2.0", "method": method, "params": params, "id": 1}
        if auth:
            body["auth"] = self.token
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.http_port}/api_jsonrpc.php",
            data=json.dumps(body).encode(), headers={"Content-Type": "application/json-rpc"})
        with urllib.request.urlopen(request, timeout=120) as response:
            reply = json.loads(response.read())
        if "error" in reply:
            e = reply["error"]
            raise ApiError(f"{method}: {e.get('message')} {e.get('data')}")
        return reply["result"]

    def import_template(self, path):
        with open(path) as f:
            source = f.read()
        rules = {
            "templates": {"createMissing": True, "updateExisting": True},
            "items": {"createMissing": True, "updateExisting": True},
            "triggers": {"createMissing": True, "updateExisting": True},
            "discoveryRules": {"createMissing": True, "updateExisting": True},
            "graphs": {"createMissing": True, "updateExisting": True},
            "valueMaps": {"createMissing": True, "updateExisting": True},
            "templateLinkage": {"createMissing": True},
            "groups": {"createMissing": True},  # Zabbix 6.0's name for the group rule
        }
        return self.call("configuration.import",
                         {"format": "yaml", "rules": rules, "source": source})

    # --- problems and events ---------------------------------------------------------------
    def problems(self, hostids, **extra):
        """Open problems of the hosts (problem.get), each with its trigger's description."""
        found = self.call("problem.get", {"hostids": hostids, "output": "extend",
                                          "selectSuppressionData": "extend", **extra})
        return found

    def triggers(self, hostids):
        """{triggerid: trigger} of the hosts, with value, host and dependency ids."""
        got = self.call("trigger.get", {
            "hostids": hostids, "output": ["description", "value", "priority", "manual_close",
                                           "recovery_mode", "state", "error"],
            "expandDescription": True, "selectHosts": ["hostid"],
            "selectDependencies": ["triggerid"]})
        return {t["triggerid"]: t for t in got}

    def close_problem(self, eventid, message="closed by the test"):
        return self.call("event.acknowledge", {"eventids": [eventid], "action": 1 | 4,
                                               "message": message})

    def log(self):
        text = ""
        for name in ("zabbix_server.log", "zabbix_server.out"):
            try:
                text += open(os.path.join(self.work, name)).read()
            except OSError:
                pass
        return text

    def close(self):
        for p in reversed(self.procs):
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except ProcessLookupError:
                    pass
        for p in reversed(self.procs):
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
        if getattr(self, "pg_started", False):
            subprocess.run(["runuser", "-u", "postgres", "--", f"{PG_BIN}/pg_ctl", "-D",
                            self.pg_data, "-m", "immediate", "-w", "stop"], capture_output=True)
            self.pg_started = False
        if os.environ.get("ZABBIX_KEEP") != "1":
            shutil.rmtree(self.work, ignore_errors=True)
