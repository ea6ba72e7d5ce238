// A V8 CPU profile of the Worker's isolate (the Worker and its Durable Objects), taken
// through workerd's inspector while a scenario runs: where the time of a view goes.
import { writeFileSync } from 'node:fs';

export async function profileWhile(inspectorUrl, outFile, run, sourceText) {
  const ws = new WebSocket(inspectorUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = () => reject(new Error(`cannot open the inspector at ${inspectorUrl}`));
  });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (event) => {
    const msg = JSON.parse(event.data);
    if (msg.id && pending.has(msg.id)) {
      pending.get(msg.id)(msg);
      pending.delete(msg.id);
    }
  };
  const send = (method, params = {}) =>
    new Promise((resolve) => {
      const n = ++id;
      pending.set(n, resolve);
      ws.send(JSON.stringify({ id: n, method, params }));
    });
  await send('Profiler.enable');
  await send('Profiler.setSamplingInterval', { interval: 200 });
  await send('Profiler.start');
  const result = await run();
  const { result: stopped } = await send('Profiler.stop');
  ws.close();
  writeFileSync(outFile, JSON.stringify(stopped.profile));
  return { result, top: summarize(stopped.profile, sourceText) };
}

/**
 * Self time by function and line (a function's self time is shared out over its lines by
 * the profile's position ticks), with the line's text when the bundle's source is given.
 */
export function summarize(profile, sourceText, limit = 25) {
  const lines = sourceText ? sourceText.split('\n') : [];
  const selfByNode = new Map();
  const dt = profile.timeDeltas;
  for (let i = 0; i < profile.samples.length; i++)
    selfByNode.set(profile.samples[i], (selfByNode.get(profile.samples[i]) ?? 0) + (dt[i] ?? 0));
  const self = new Map();
  const add = (key, us) => self.set(key, (self.get(key) ?? 0) + us);
  for (const node of profile.nodes) {
    const us = selfByNode.get(node.id) ?? 0;
    if (!us) continue;
    const f = node.callFrame;
    const name = f.functionName || '(anonymous)';
    const ticks = node.positionTicks ?? [];
    const totalTicks = ticks.reduce((a, t) => a + t.ticks, 0);
    if (!f.url || !totalTicks) {
      add(f.url ? `${name} (${f.url.split('/').pop()}:${f.lineNumber + 1})` : name, us);
      continue;
    }
    for (const t of ticks) {
      const text = (lines[t.line - 1] ?? '').trim().slice(0, 90);
      add(`${name}: ${text || `line ${t.line}`}`, (us * t.ticks) / totalTicks);
    }
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([fn, us]) => ({ fn, ms: Math.round(us / 1000), share: Math.round((1000 * us) / total) / 10 }));
}
