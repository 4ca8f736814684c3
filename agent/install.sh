#!/bin/sh
# Fleetdeck agent installer, served by the panel at /agent/install.sh. The panel's "Add server"
# gives the exact line, e.g.:
#
#   curl -fsSL https://panel.example.com/agent/install.sh | sudo sh -s -- \
#     --panel https://panel.example.com --code fde_…
#
# The code is a one-time enrollment code (valid an hour, usable once): this script exchanges it
# with the panel for the server's secret, which is written straight to a root-only file and never
# appears on a command line, in `ps` or in a shell history.
#
# What it does (Linux with systemd):
#   /opt/fleetdeck-agent/fleetdeck-agent.cjs   the agent (one file; needs only Node >= 18),
#                                              checked against the SHA-256 the panel publishes
#   /etc/fleetdeck-agent/agent.env             FLEETDECK_PANEL and FLEETDECK_SECRET, mode 600, root
#   /etc/systemd/system/fleetdeck-agent.service  a hardened unit, enabled and started
#   user fleetdeck-agent                       the agent runs as this user, unless --allow-commands
#                                              asks for root
#
# Options:
#   --panel <url>        the panel's address (kept from the last install when omitted)
#   --code <code>        the enrollment code (a re-install without one keeps the current secret)
#   --allow-commands     accept remote commands from the panel; runs the agent as root
#   --allow-instances    run the instances defined on the panel (as the agent's user)
#   --interval <s>       seconds between reports, 1-10 (default 2)
#   --self-update        let the agent replace itself with the agent the panel serves when its
#                        version changes (checked against the published SHA-256), then restart.
#                        Off by default: with it, whoever controls the panel can run code here.
#                        The agent's user may then write /opt/fleetdeck-agent.
#   --no-start           install the files but do not start (or need) systemd
#   --prefix <dir>       install under <dir> instead of / (tests); implies --no-start
#   --uninstall          stop and remove the agent, its unit, its secret and its user
#
# Exit status: 0 done, 1 anything went wrong (the reason is printed).
set -eu

PANEL=""
CODE=""
PREFIX=""
START=1
ALLOW_COMMANDS=0
ALLOW_INSTANCES=0
SELF_UPDATE=0
AS_ROOT=0
INTERVAL=2
UNINSTALL=0
SERVICE=fleetdeck-agent
SERVICE_USER=fleetdeck-agent

say() { printf 'fleetdeck-install: %s\n' "$*" >&2; }
die() {
  printf 'fleetdeck-install: error: %s\n' "$*" >&2
  exit 1
}
need_value() { [ $# -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (see the comments at the top of this script)"; }

while [ $# -gt 0 ]; do
  case "$1" in
    --panel) need_value "$@"; PANEL=$2; shift 2 ;;
    --panel=*) PANEL=${1#*=}; shift ;;
    --code) need_value "$@"; CODE=$2; shift 2 ;;
    --code=*) CODE=${1#*=}; shift ;;
    --prefix) need_value "$@"; PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#*=}; shift ;;
    --interval) need_value "$@"; INTERVAL=$2; shift 2 ;;
    --interval=*) INTERVAL=${1#*=}; shift ;;
    --allow-commands) ALLOW_COMMANDS=1; AS_ROOT=1; shift ;;
    --allow-instances) ALLOW_INSTANCES=1; shift ;;
    --self-update) SELF_UPDATE=1; shift ;;
    --no-start) START=0; shift ;;
    --uninstall) UNINSTALL=1; shift ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" 2>/dev/null | sed '$d' | sed 's/^# \{0,1\}//' >&2 || true; exit 0 ;;
    *) die "unknown option: $1" ;;
  esac
done

case "$INTERVAL" in
  [1-9] | 10) ;;
  *) die "--interval must be a whole number of seconds from 1 to 10, not '$INTERVAL'" ;;
esac
case "$CODE" in
  *[!A-Za-z0-9_-]*) die "--code holds characters an enrollment code never has: copy the line again from the panel" ;;
esac

OS=$(uname -s)
case "$OS" in
  Linux) ;;
  Darwin) die "this installer is for Linux. On macOS run the agent with launchd: see 'macOS' in the agent's README (agent/README.md in the Fleetdeck repository)" ;;
  MINGW* | MSYS* | CYGWIN* | Windows*) die "this installer is for Linux. On Windows run the agent as a scheduled task: see 'Windows' in the agent's README (agent/README.md)" ;;
  *) die "unsupported system '$OS': this installer is for Linux with systemd (the agent itself runs wherever Node 18+ runs; see agent/README.md)" ;;
esac

ROOT=${PREFIX%/}
[ -z "$PREFIX" ] || START=0
OPT_DIR=/opt/fleetdeck-agent
ETC_DIR=/etc/fleetdeck-agent
ENV_FILE=$ETC_DIR/agent.env
STATE_DIR=/var/lib/fleetdeck-agent
UNIT_FILE=/etc/systemd/system/$SERVICE.service
BUNDLE=$OPT_DIR/fleetdeck-agent.cjs

if [ -z "$PREFIX" ] && [ "$(id -u)" != 0 ]; then
  die "run this as root (e.g. '... | sudo sh -s -- ...'): it writes under /opt and /etc and installs a systemd unit"
fi

have_systemd() { [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; }

if [ "$UNINSTALL" = 1 ]; then
  if [ -z "$PREFIX" ] && have_systemd; then
    systemctl disable --now "$SERVICE" >/dev/null 2>&1 || true
  fi
  rm -f "$ROOT$UNIT_FILE"
  if [ -z "$PREFIX" ] && have_systemd; then systemctl daemon-reload || true; fi
  rm -rf "$ROOT$OPT_DIR" "$ROOT$ETC_DIR" "$ROOT$STATE_DIR"
  if [ -z "$PREFIX" ] && id "$SERVICE_USER" >/dev/null 2>&1; then
    userdel "$SERVICE_USER" >/dev/null 2>&1 || deluser "$SERVICE_USER" >/dev/null 2>&1 || say "could not remove the user $SERVICE_USER"
  fi
  say "the Fleetdeck agent is uninstalled (remove the server in the panel too, if it is gone for good)"
  exit 0
fi

NODE=$(command -v node 2>/dev/null || true)
[ -n "$NODE" ] || die "Node.js 18 or later is needed and 'node' is not on PATH. Install it from your distribution (e.g. 'apt-get install nodejs', 'dnf install nodejs') or https://nodejs.org, then run this line again"
NODE_VERSION=$("$NODE" -v 2>/dev/null || true)
NODE_MAJOR=$(printf '%s' "$NODE_VERSION" | sed -n 's/^v\([0-9][0-9]*\)\..*/\1/p')
if [ -z "$NODE_MAJOR" ] || [ "$NODE_MAJOR" -lt 18 ]; then
  die "Node.js 18 or later is needed; $NODE is '${NODE_VERSION:-unknown}'. Upgrade Node (https://nodejs.org) and run this line again"
fi
case "$NODE" in
  /home/* | /root/*)
    [ "$AS_ROOT" = 1 ] || [ -n "$PREFIX" ] ||
      die "node is at $NODE, inside a home directory that the service user '$SERVICE_USER' cannot read. Install Node system-wide (under /usr or /usr/local) and run this line again"
    ;;
esac

if [ "$START" = 1 ] && ! have_systemd; then
  die "systemd is not running here, so the agent cannot be installed as a service. Run this line again with --no-start (the files are installed), then start the agent by hand, e.g. under your init system:
  set -a; . $ENV_FILE; set +a; $NODE $BUNDLE --data-dir $STATE_DIR"
fi

# Re-install: without a code the current secret is kept; the panel's address too unless given.
if [ -z "$PANEL" ] && [ -f "$ROOT$ENV_FILE" ]; then
  PANEL=$(sed -n 's/^FLEETDECK_PANEL=//p' "$ROOT$ENV_FILE" | head -n 1)
fi
[ -n "$PANEL" ] || die "--panel <url> is required (the panel's address, as in the line the panel gave)"
case "$PANEL" in
  http://* | https://*) ;;
  *) die "--panel must start with http:// or https://, not '$PANEL'" ;;
esac
PANEL=${PANEL%/}
if [ -z "$CODE" ] && [ ! -f "$ROOT$ENV_FILE" ]; then
  die "--code <enrollment code> is required for a first install: the panel shows the full line under Servers → Add server"
fi

umask 022
mkdir -p "$ROOT$OPT_DIR" "$ROOT$ETC_DIR" "$ROOT$STATE_DIR" "$ROOT$(dirname "$UNIT_FILE")"
chmod 700 "$ROOT$ETC_DIR"

# Node does the HTTP (no curl/wget needed beyond fetching this script), the checksum and the
# secret file: the secret goes from the panel's answer to a mode-600 file without passing
# through the shell.
FD_PANEL=$PANEL FD_CODE=$CODE FD_OPT="$ROOT$OPT_DIR" FD_ENV="$ROOT$ENV_FILE" "$NODE" --no-warnings - <<'NODE_SCRIPT' >"$ROOT$OPT_DIR/.install-info" || exit 1
const fs = require("fs");
const crypto = require("crypto");
const { FD_PANEL: panel, FD_CODE: code, FD_OPT: opt, FD_ENV: envFile } = process.env;
const fail = (msg) => {
  process.stderr.write(`fleetdeck-install: error: ${msg}\n`);
  process.exit(1);
};
async function get(url, what) {
  let res;
  try {
    res = await fetch(url);
  } catch (e) {
    fail(`cannot reach the panel at ${url} (${e.cause?.code ?? e.message}): check --panel and that this machine can reach it`);
  }
  if (!res.ok) fail(`the panel answered ${res.status} for ${what} (${url})`);
  return res;
}
(async () => {
  const latestUrl = `${panel}/agent/latest.json`;
  const latest = await (await get(latestUrl, "the agent's description")).json().catch(() => fail(`${latestUrl} is not JSON: is --panel the panel's address?`));
  if (!/^\d+\.\d+\.\d+/.test(String(latest.version)) || !/^[0-9a-f]{64}$/.test(String(latest.sha256))) fail(`${latestUrl} does not describe an agent`);
  const bundleUrl = new URL(latest.url, latestUrl).href;
  const bytes = Buffer.from(await (await get(bundleUrl, "the agent")).arrayBuffer());
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  if (sha256 !== latest.sha256 || bytes.length !== latest.size) fail(`the agent downloaded from ${bundleUrl} does not match its published SHA-256 (got ${sha256}): not installed`);

  if (code) {
    let res;
    try {
      res = await fetch(`${panel}/agent/enroll`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ code }) });
    } catch (e) {
      fail(`cannot reach the panel at ${panel} (${e.cause?.code ?? e.message})`);
    }
    const body = await res.json().catch(() => ({}));
    if (!res.ok || typeof body.secret !== "string") fail(`the panel refused the enrollment code: ${body.error ?? `HTTP ${res.status}`}`);
    const tmp = `${envFile}.${process.pid}`;
    fs.writeFileSync(tmp, `FLEETDECK_PANEL=${panel}\nFLEETDECK_SECRET=${body.secret}\n`, { mode: 0o600, flag: "wx" });
    fs.renameSync(tmp, envFile);
    process.stderr.write(`fleetdeck-install: enrolled as server #${body.serverId} "${body.name}"\n`);
  } else {
    // Keep the secret; point the agent at the panel given now.
    const text = fs.readFileSync(envFile, "utf8").replace(/^FLEETDECK_PANEL=.*$/m, `FLEETDECK_PANEL=${panel}`);
    fs.writeFileSync(envFile, text, { mode: 0o600 });
  }
  fs.chmodSync(envFile, 0o600);

  const tmp = `${opt}/.fleetdeck-agent.cjs.${process.pid}`;
  fs.writeFileSync(tmp, bytes, { mode: 0o755 });
  fs.renameSync(tmp, `${opt}/fleetdeck-agent.cjs`);
  fs.writeFileSync(`${opt}/fleetdeck-agent.cjs.sha256`, `${sha256}  fleetdeck-agent.cjs\n`);
  process.stdout.write(`${latest.version}\n${(latest.nodeArgs ?? []).join(" ")}\n`);
})().catch((e) => fail(e.message));
NODE_SCRIPT
VERSION=$(sed -n 1p "$ROOT$OPT_DIR/.install-info")
NODE_ARGS=$(sed -n 2p "$ROOT$OPT_DIR/.install-info")
rm -f "$ROOT$OPT_DIR/.install-info"

AGENT_ARGS="--data-dir $STATE_DIR --interval $INTERVAL"
[ "$ALLOW_COMMANDS" = 0 ] || AGENT_ARGS="$AGENT_ARGS --allow-commands"
[ "$ALLOW_INSTANCES" = 0 ] || AGENT_ARGS="$AGENT_ARGS --allow-instances"
[ "$SELF_UPDATE" = 0 ] || AGENT_ARGS="$AGENT_ARGS --self-update"

if [ "$AS_ROOT" = 1 ]; then
  RUN_AS="User=root"
  # Root so that commands and instances can manage the machine: /usr, /boot and /etc stay
  # read-only to them (ProtectSystem=full); `systemctl edit fleetdeck-agent` lifts it if needed.
  PROTECT="ProtectSystem=full"
else
  RUN_AS="User=$SERVICE_USER
Group=$SERVICE_USER"
  PROTECT="ProtectSystem=strict
ProtectHome=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectControlGroups=yes
RestrictSUIDSGID=yes
LockPersonality=yes"
  # --self-update: the agent replaces its own file, so its folder must be writable to it.
  [ "$SELF_UPDATE" = 0 ] || PROTECT="$PROTECT
ReadWritePaths=$OPT_DIR"
  if [ -z "$PREFIX" ] && ! id "$SERVICE_USER" >/dev/null 2>&1; then
    useradd --system --home-dir "$STATE_DIR" --no-create-home --shell /usr/sbin/nologin "$SERVICE_USER" 2>/dev/null ||
      adduser -S -H -h "$STATE_DIR" -s /sbin/nologin "$SERVICE_USER" 2>/dev/null ||
      die "cannot create the user $SERVICE_USER (useradd and adduser failed)"
  fi
fi

cat >"$ROOT$UNIT_FILE" <<UNIT
# Written by the Fleetdeck installer (agent $VERSION). Re-run the install line to update it.
[Unit]
Description=Fleetdeck agent
Documentation=$PANEL
After=network-online.target
Wants=network-online.target
# A crash loop stops after 5 starts in 5 minutes.
StartLimitIntervalSec=300
StartLimitBurst=5

[Service]
Type=simple
$RUN_AS
EnvironmentFile=$ENV_FILE
ExecStart=$NODE $NODE_ARGS $BUNDLE $AGENT_ARGS
WorkingDirectory=$STATE_DIR
StateDirectory=fleetdeck-agent
StateDirectoryMode=0750
Restart=on-failure
RestartSec=5
# 2: the panel refused the secret. Restarting cannot fix that; enroll again instead.
RestartPreventExitStatus=2
# 75: the agent replaced its file (--self-update) and asks to be started again: a normal exit
# that is always restarted. FLEETDECK_SUPERVISED=1 tells the agent that systemd does it.
SuccessExitStatus=75
RestartForceExitStatus=75
Environment=FLEETDECK_SUPERVISED=1
# SIGTERM to the agent only: it stops its instances itself, then exits.
KillMode=mixed
TimeoutStopSec=20
NoNewPrivileges=yes
PrivateTmp=yes
$PROTECT

[Install]
WantedBy=multi-user.target
UNIT
chmod 644 "$ROOT$UNIT_FILE"
if [ -z "$PREFIX" ] && [ "$AS_ROOT" = 0 ] && id "$SERVICE_USER" >/dev/null 2>&1; then
  chown "$SERVICE_USER:$SERVICE_USER" "$ROOT$STATE_DIR"
fi
# The agent's own files: root's, unless the (non-root) agent may update itself.
if [ -z "$PREFIX" ]; then
  if [ "$SELF_UPDATE" = 1 ] && [ "$AS_ROOT" = 0 ]; then
    chown -R "$SERVICE_USER:$SERVICE_USER" "$OPT_DIR"
  else
    chown -R root:root "$OPT_DIR" 2>/dev/null || chown -R 0:0 "$OPT_DIR"
  fi
fi

say "agent $VERSION installed in $ROOT$OPT_DIR (secret in $ROOT$ENV_FILE, unit $ROOT$UNIT_FILE)"
if [ "$SELF_UPDATE" = 1 ]; then
  say "self-update is ON: the agent installs the agent $PANEL serves when its version changes (checked against its SHA-256) and restarts"
else
  say "self-update is off: run this line again to update the agent (add --self-update to let it update itself)"
fi
if [ "$START" = 0 ]; then
  say "not started (--no-start). To run it by hand:"
  say "  set -a; . $ENV_FILE; set +a; $NODE $NODE_ARGS $BUNDLE $AGENT_ARGS"
  exit 0
fi

systemctl daemon-reload
systemctl enable "$SERVICE" >/dev/null 2>&1
systemctl restart "$SERVICE"
sleep 3
if systemctl is-active --quiet "$SERVICE"; then
  say "the agent is running: 'systemctl status $SERVICE', logs with 'journalctl -u $SERVICE'"
else
  journalctl -u "$SERVICE" -n 20 --no-pager >&2 2>/dev/null || true
  die "the agent did not stay up (see the log above; 'journalctl -u $SERVICE')"
fi
