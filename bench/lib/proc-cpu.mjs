// CPU time of processes, from /proc: how much of the machine a scenario really used.
import { readdirSync, readFileSync } from 'node:fs';

const TICKS_PER_SECOND = 100;

function stat(pid) {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return {
      ppid: Number(fields[1]),
      cpuTicks: Number(fields[11]) + Number(fields[12]),
      comm: text.slice(text.indexOf('(') + 1, text.lastIndexOf(')')),
    };
  } catch {
    return null;
  }
}

/** Every process below `root` whose command name is `comm`. */
export function descendantsNamed(root, comm) {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  const children = new Map();
  const info = new Map();
  for (const pid of all) {
    const s = stat(pid);
    if (!s) continue;
    info.set(pid, s);
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid).push(pid);
  }
  const found = [];
  const stack = [root];
  while (stack.length) {
    const pid = stack.pop();
    for (const child of children.get(pid) ?? []) {
      if (info.get(child)?.comm === comm) found.push(child);
      stack.push(child);
    }
  }
  return found;
}

/** CPU seconds (user + system) used so far by `pids`. */
export function cpuSeconds(pids) {
  return pids.reduce((sum, pid) => sum + (stat(pid)?.cpuTicks ?? 0), 0) / TICKS_PER_SECOND;
}

/** Every process below `root`, and `root` itself. */
export function processTree(root) {
  const all = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
  const children = new Map();
  for (const pid of all) {
    const s = stat(pid);
    if (!s) continue;
    if (!children.has(s.ppid)) children.set(s.ppid, []);
    children.get(s.ppid).push(pid);
  }
  const found = [root];
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i]) ?? []));
  return found;
}

/** CPU seconds the whole machine spent busy (all cores), from /proc/stat. */
export function machineBusySeconds() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = fields[3] + (fields[4] ?? 0);
  return (fields.reduce((a, b) => a + b, 0) - idle) / TICKS_PER_SECOND;
}
