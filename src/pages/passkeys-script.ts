/**
 * The wallet host's one script: passkey sign-in and registration. It uses the browsers'
 * own JSON forms of WebAuthn (`PublicKeyCredential.parseCreationOptionsFromJSON`,
 * `parseRequestOptionsFromJSON`, `credential.toJSON()`), so no client library is needed;
 * the server side is @simplewebauthn/server. Served as a file so that the CSP can stay
 * `script-src 'self'` with no inline script.
 *
 * The console on the admin host uses it too: a button's `data-passkey-endpoint` names
 * where its JSON calls go (the wallet's `/__paywall/account/passkeys` when absent), and
 * `data-invite` is sent with a registration (the invite being accepted).
 *
 * What the script says when the person cancels (or has no passkey here) and when the
 * browser has no passkeys is the button's `data-passkey-cancelled` and
 * `data-passkey-unsupported`, so that each host's pages speak of their own thing (a
 * wallet, the console); without them it says something true on either host.
 */
export const PASSKEYS_SCRIPT_PATH = '/__paywall/assets/passkeys-v1.js';

export const PASSKEYS_SCRIPT = `(() => {
  const post = async (url, body) => {
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body || {}) });
    let data = {};
    try { data = await res.json(); } catch {}
    return { ok: res.ok, data };
  };
  const show = (button, message) => {
    const box = button.closest('section, form, div').querySelector('[data-passkey-error]') || document.querySelector('[data-passkey-error]');
    if (!box) return;
    box.textContent = message;
    box.hidden = false;
  };
  const supported = () => typeof PublicKeyCredential === 'function' && typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function';
  const base = (button) => button.dataset.passkeyEndpoint || '/__paywall/account/passkeys';
  const extra = (button) => (button.dataset.invite ? { invite: button.dataset.invite } : {});
  const flows = {
    async 'sign-in'(button) {
      const start = await post(base(button) + '/sign-in-options');
      if (!start.ok) return show(button, start.data.message || 'Sign-in is not available right now.');
      const credential = await navigator.credentials.get({ publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(start.data.options) });
      const done = await post(base(button) + '/sign-in', { response: credential.toJSON(), next: button.dataset.next || '' });
      if (!done.ok) return show(button, done.data.message || 'That passkey did not sign you in.');
      location.assign(done.data.next);
    },
    async register(button) {
      const start = await post(base(button) + '/register-options', extra(button));
      if (!start.ok) return show(button, start.data.message || 'A passkey cannot be added right now.');
      const credential = await navigator.credentials.create({ publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(start.data.options) });
      const done = await post(base(button) + '/register', { ...extra(button), response: credential.toJSON(), next: button.dataset.next || '' });
      if (!done.ok) return show(button, done.data.message || 'The passkey was not saved.');
      location.assign(done.data.next);
    },
  };
  for (const button of document.querySelectorAll('[data-passkey-action]')) {
    if (!supported()) {
      button.disabled = true;
      show(button, button.dataset.passkeyUnsupported || 'This browser cannot use passkeys. Try another browser.');
      continue;
    }
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        await flows[button.dataset.passkeyAction](button);
      } catch (e) {
        show(button, e && e.name === 'NotAllowedError' ? button.dataset.passkeyCancelled || 'Cancelled, or no passkey for this site on this device.' : 'Something went wrong with the passkey: ' + (e && e.message ? e.message : e));
      } finally {
        button.disabled = false;
      }
    });
  }
})();
`;
