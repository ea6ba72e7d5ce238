import { execSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { CHROMIUM } from './demo';

/** Browser tests need Debian's Chromium; install it where we can (CI runs as root), else say how. */
export default function ensureChromium() {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() === 0) {
    execSync('apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium', { stdio: 'inherit' });
  }
  if (!existsSync(CHROMIUM)) throw new Error('Browser tests need Chromium: run `sudo apt-get install -y chromium`.');
}
