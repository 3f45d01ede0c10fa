/**
 * The chaos run's APNs side, in its own process (forked by simulator-fleet.ts) so that the simulators' CPU is
 * not the runner's: one simulator per app, each on its own port with its own fault injector, so one app's
 * endpoint can be taken down while the others serve. Recorders in `ids` mode: each apns-id's acceptances are
 * counted, no payload is kept. Driven by IPC requests `{ id, op, ... }`, each answered `{ id, result }`.
 */
import { type Simulator, startSimulator } from '@pushfleet/simulator';
import type { SimulatorCounters, SimulatorRequest } from './simulator-protocol.js';

const sims = new Map<string, Simulator>();

async function handle(request: SimulatorRequest): Promise<unknown> {
  switch (request.op) {
    case 'start': {
      const { tls, key, apps, faults } = request;
      for (const app of apps) {
        const sim = await startSimulator({
          tls,
          certificatePort: null,
          keys: [{ keyId: key.keyId, teamId: key.teamId, publicKeyPem: key.publicKeyPem }],
          topics: [app.topic],
          record: 'ids',
          faults: { ...faults, seed: (faults.seed ?? 1) + sims.size },
        });
        sims.set(app.name, sim);
      }
      return Object.fromEntries([...sims].map(([name, sim]) => [name, sim.url]));
    }
    case 'faults': {
      simFor(request.app).faults.set(request.faults);
      return null;
    }
    case 'markDead': {
      const sim = simFor(request.app);
      for (const token of request.tokens) sim.devices.markDead(token);
      return null;
    }
    case 'reject': {
      const sim = simFor(request.app);
      for (const token of request.tokens) sim.rules.add({ token, reason: request.reason });
      return null;
    }
    case 'counters':
      return counters();
    case 'acceptedIds': {
      const all: [string, number][] = [];
      for (const sim of sims.values()) all.push(...sim.recorder.acceptedIds);
      return all;
    }
    case 'stop': {
      await Promise.all([...sims.values()].map((s) => s.close()));
      setImmediate(() => process.exit(0));
      return null;
    }
  }
}

function simFor(app: string): Simulator {
  const sim = sims.get(app);
  if (!sim) throw new Error(`no simulator for app "${app}"`);
  return sim;
}

function counters(): SimulatorCounters {
  const apps: SimulatorCounters['apps'] = {};
  let accepted = 0;
  for (const [name, sim] of sims) {
    const f = sim.faults.counters;
    apps[name] = {
      accepted: sim.recorder.counters.accepted,
      rejected: sim.recorder.counters.rejected,
      faults: f,
    };
    accepted += sim.recorder.counters.accepted;
  }
  return { accepted, apps };
}

process.on('message', (message: { id: number } & SimulatorRequest) => {
  handle(message).then(
    (result) => process.send?.({ id: message.id, result }),
    (err: Error) => process.send?.({ id: message.id, error: err.message }),
  );
});
process.on('disconnect', () => process.exit(0));
