import type { CDPSession, Page } from 'playwright-core';

export type VirtualAuthenticator = { cdp: CDPSession; authenticatorId: string };

/**
 * A platform authenticator (Touch ID, Windows Hello…) for this page's browser, through the
 * DevTools protocol. `synced` makes its passkeys backup-eligible and backed up, as a phone's
 * or a password manager's are, so that they can be copied into a second browser.
 */
export async function virtualAuthenticator(page: Page, { synced = false } = {}): Promise<VirtualAuthenticator> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      ...(synced ? { defaultBackupEligibility: true, defaultBackupState: true } : {}),
    },
  });
  return { cdp, authenticatorId };
}
