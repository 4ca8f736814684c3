import http from "node:http";
import type https from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { Env } from "../env";
import { setSingleton } from "../global";
import { AgentHub } from "./hub";
import { history } from "./history";
import { live } from "./live";
import { serverIdForSecret } from "./servers";
import { syncInstances } from "./instances";
import { startLocalAgent } from "./local-agent";
import { failInterruptedRuns, failOrphanedRuns, failRunsOf } from "./commands";
import { startRetention } from "./retention";
import { backfillClientsAndSites } from "./clients";
import { expireJobs, failJobsOf, failOrphanedJobs, setQueueRunner, settleInterruptedJobs } from "./queue";
import { runQueuedJobs } from "./queue-runner";
import { downsampleResults, monitorsReady, monitorTasksOf, onMonitorsChanged, recordResults, results as monitorResults } from "./monitors";
import { MONITORS_PROTOCOL_VERSION } from "../../agent/protocol";
import { alertEngine } from "./alerts/engine";
import { clusterView, liveNodeIds, localChange, onPeerGone, runsJobs, startCluster } from "./cluster";
import { serveRemoteTransfers } from "./cluster-streams";
import { agentGone, agentReady, instanceOutput, requestWithOutput } from "./live-output";

export const HUB = "agentHub";

/**
 * Attaches the fleet to the panel's server: the agents' WebSocket, live state, downsampled
 * history, the queue of work for offline machines (run when their agent connects), and (unless
 * FLEETDECK_LOCAL_AGENT=0) an agent on the panel's own host.
 */
export async function wireFleet(server: http.Server | https.Server, env: Env): Promise<{ stop(): Promise<void> }> {
  // Before any agent connects: client/site rows for older databases.
  const linked = await backfillClientsAndSites();
  if (linked) console.log(`fleetdeck: linked ${linked} server(s) to their client/site rows`);
  await live.ready();
  // Several processes on PostgreSQL: see and reach the agents the others hold (nothing on SQLite).
  let lateHub: AgentHub | null = null;
  const cluster = await startCluster(
    (id, method, params, timeoutMs, outputKeys) =>
      lateHub ? requestWithOutput(lateHub, id, method as Parameters<AgentHub["request"]>[1], params as never, timeoutMs, outputKeys) : Promise.reject(new Error("starting")),
    (id) => lateHub?.disconnect(id, "connected to another panel process"),
  );
  setQueueRunner(runQueuedJobs);
  // Before any agent connects: runs a previous process left "running" will never be answered, and
  // queued jobs it was running are failed, never rerun. With other panel processes alive, only
  // the runs and jobs of processes that are not among them.
  if (clusterView().peers.length === 0) {
    const interrupted = await failInterruptedRuns();
    if (interrupted) console.log(`fleetdeck: marked ${interrupted} command run(s) interrupted by the last stop as failed`);
    await settleInterruptedJobs();
  } else {
    const interrupted = await failOrphanedRuns(liveNodeIds());
    if (interrupted) console.log(`fleetdeck: marked ${interrupted} command run(s) of panel processes that are gone as failed`);
    await failOrphanedJobs(liveNodeIds());
  }
  // A process that dies while others run: what it was waiting for is settled by the survivors.
  onPeerGone("commandRuns", (node) => {
    void failRunsOf(node).then(
      (n) => n && console.log(`fleetdeck: marked ${n} command run(s) of panel process ${node}, which is gone, as failed`),
      (e: unknown) => console.error(`fleetdeck: settling the command runs of panel process ${node} failed:`, e),
    );
    void failJobsOf(node).catch((e: unknown) => console.error(`fleetdeck: settling the queued jobs of panel process ${node} failed:`, e));
  });
  if (runsJobs()) await expireJobs();
  await monitorsReady();
  // Alert rules are evaluated inside ingest (in memory); their events and notices are written
  // and sent beside it.
  await alertEngine.start();
  const hub = new AgentHub({
    authenticate: serverIdForSecret,
    // Each change of an agent held here is also published to the other panel processes (cluster.ts).
    onConnect: (id, ip) => (live.connected(id, ip), localChange(id, "c")),
    onHello: (id, hello) => {
      live.agentHello(id, hello);
      localChange(id, "a");
      // The panel is the source of truth for instances: every (re)connect resends them, once the
      // agent has said whether it runs instances at all.
      void syncInstances(id).catch(() => undefined);
      // Work queued while the machine was offline runs now (each job claimed once).
      void runQueuedJobs(id);
      // Its service monitors, on every (re)connect, to agents that run them (protocol 3).
      if (hello.protocol >= MONITORS_PROTOCOL_VERSION) hub.sendMonitors(id, monitorTasksOf(id));
      // Consoles open on it start over (its watch list, their buffers: protocol 6).
      agentReady(id);
    },
    onHost: (id, host) => (live.hostReported(id, host), localChange(id, "h")),
    onState: (id, state, at, skewMs) => (live.stateReported(id, state, at, skewMs), localChange(id, "s")),
    onInstances: (id, instances) => {
      alertEngine.onInstances(id, instances);
      live.instancesReported(id, instances);
      localChange(id, "i");
    },
    onMonitorResults: (id, results) => {
      // Only monitors this machine should run are kept; the evaluator sees what was kept.
      const accepted = recordResults(id, results);
      if (accepted.length) alertEngine.onMonitorResults(id, accepted);
    },
    onInstanceOutput: instanceOutput,
    onDisconnect: (id) => (live.disconnected(id), localChange(id, "d"), agentGone(id)),
  });
  lateHub = hub;
  // Peers' file transfers with the agents this process holds (downloads and uploads they serve).
  serveRemoteTransfers({ openDownload: (id, params) => hub.openDownload(id, params), openUpload: (id, params) => hub.openUpload(id, params) });
  // A monitor added, edited or deleted: every connected agent that runs monitors gets its new list.
  const stopWatchingMonitors = onMonitorsChanged(() => {
    for (const id of hub.connectedServerIds()) {
      if ((live.get(id)?.agent?.protocol ?? 0) >= MONITORS_PROTOCOL_VERSION) hub.sendMonitors(id, monitorTasksOf(id));
    }
  });
  setSingleton(HUB, hub);
  live.onRevoke = (id) => {
    hub.disconnect(id, "server deleted or secret rotated");
    hub.forget(id);
    history.forget(id);
  };
  live.onReport = (entry, at) => {
    history.record(entry.meta.id, entry.state!, at);
    alertEngine.onState(entry, entry.state!);
  };

  const upgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!hub.handleUpgrade(req, socket, head)) socket.destroy();
  };
  server.on("upgrade", upgrade);

  const timers = [
    setInterval(() => void history.flush(), 2_000),
    setInterval(() => history.closeStale(), 10_000),
    // Once per fleet: only the process holding the jobs lease runs these (cluster.ts).
    setInterval(() => void (runsJobs() ? history.prune().catch(() => undefined) : undefined), 10 * 60_000),
    setInterval(() => void live.persistLastActive(), 60_000),
    setInterval(() => void (runsJobs() ? expireJobs().catch(() => undefined) : undefined), 60_000),
    setInterval(() => {
      monitorResults.closeStale();
      void monitorResults.flush();
    }, 5_000),
    setInterval(() => void (runsJobs() ? downsampleResults() : Promise.resolve()).catch((e) => console.error("fleetdeck: monitor history downsampling:", e)), 10 * 60_000),
  ];
  for (const t of timers) t.unref();
  timers.push(...startRetention(console.log, runsJobs));

  // Under TLS the local agent would need to trust the panel's certificate for a name it may not
  // carry (127.0.0.1); it talks to the hub over a plain loopback-only door instead, which never
  // leaves this host.
  let sideDoor: http.Server | null = null;
  if (env.FLEETDECK_LOCAL_AGENT && env.TLS_CERT) {
    sideDoor = http.createServer((_req, res) => res.writeHead(404).end());
    sideDoor.on("upgrade", upgrade);
    await new Promise<void>((resolve, reject) => sideDoor!.once("error", reject).listen(0, "127.0.0.1", resolve));
  }
  const localAgent = env.FLEETDECK_LOCAL_AGENT
    ? await startLocalAgent(env, sideDoor ? `http://127.0.0.1:${(sideDoor.address() as AddressInfo).port}` : undefined)
    : null;

  return {
    async stop() {
      for (const t of timers) clearTimeout(t);
      localAgent?.kill("SIGTERM");
      history.closeStale(Number.MAX_SAFE_INTEGER);
      await history.flush().catch(() => undefined);
      stopWatchingMonitors();
      monitorResults.closeStale(Number.MAX_SAFE_INTEGER);
      await monitorResults.flush().catch(() => undefined);
      await alertEngine.stop().catch(() => undefined);
      await live.persistLastActive().catch(() => undefined);
      await cluster.stop();
      await hub.close().catch(() => undefined);
      sideDoor?.close();
    },
  };
}
