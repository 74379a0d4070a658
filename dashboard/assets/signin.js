// Sign-in page (/signin): the API key is validated with POST /api/auth/validate and kept in
// sessionStorage for this browser tab only.

import { fillNodes, t } from './i18n.js';
import { el, showErrors, withBusy } from './ui.js';

export function mount(root, ctx) {
  const flash = ctx.takeFlash();

  const input = el('input', {
    id: 'api-key',
    name: 'apiKey',
    type: 'password',
    autocomplete: 'off',
    spellcheck: 'false',
    autocapitalize: 'off',
    placeholder: 'owa_k1_…',
    required: true,
    'aria-describedby': 'api-key-hint',
  });
  const reveal = el('button', { type: 'button', class: 'btn btn-ghost btn-sm reveal', 'aria-pressed': 'false', 'aria-controls': 'api-key' }, t('Show'));
  reveal.addEventListener('click', () => {
    const show = input.type === 'password';
    input.type = show ? 'text' : 'password';
    reveal.textContent = show ? t('Hide') : t('Show');
    reveal.setAttribute('aria-pressed', show ? 'true' : 'false');
    input.focus();
  });

  const errorBox = el('div', { id: 'signin-error', class: 'form-errors', role: 'alert' });
  const notice = el('p', { id: 'signin-notice', class: 'signin-notice', role: 'status' });
  if (flash && flash.kind === 'error') errorBox.append(el('p', null, flash.text));
  else if (flash) notice.textContent = flash.text;

  const submit = el('button', { type: 'submit', class: 'btn btn-primary btn-block' }, t('Sign in'));

  const form = el(
    'form',
    { id: 'signin-form', class: 'form', novalidate: true, 'aria-labelledby': 'signin-title' },
    notice,
    el(
      'div',
      { class: 'field' },
      el('label', { for: 'api-key' }, t('API key')),
      el('div', { class: 'password-wrap' }, input, reveal),
      el('p', { id: 'api-key-hint', class: 'hint' }, t('Kept in this browser tab only, and sent to this server alone.')),
    ),
    errorBox,
    submit,
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    if (!key) {
      showErrors(errorBox, [t('Enter your API key.')]);
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    showErrors(errorBox, null);
    notice.textContent = '';
    await withBusy(submit, async () => {
      submit.textContent = t('Signing in…');
      try {
        const result = await ctx.signIn(key);
        if (!result.ok) {
          showErrors(errorBox, [result.message]);
          input.setAttribute('aria-invalid', 'true');
          input.select();
        }
      } catch (err) {
        showErrors(errorBox, err);
      } finally {
        submit.textContent = t('Sign in');
      }
    });
  });
  input.addEventListener('input', () => input.removeAttribute('aria-invalid'));

  root.append(
    el(
      'div',
      { class: 'signin-wrap' },
      el(
        'section',
        { class: 'card signin-card' },
        el('h1', { id: 'signin-title', tabIndex: -1 }, t('Sign in to OpenWA')),
        el('p', { class: 'page-lead' }, t('Use an API key to manage sessions, messages, webhooks and keys.')),
        form,
        el(
          'div',
          { class: 'signin-help' },
          el(
            'p',
            null,
            el('strong', null, `${t('Where is my key?')} `),
            fillNodes(t('On first start OpenWA creates an admin key, prints it in its log and saves it in {file} (in the data directory).'), {
              file: el('code', null, 'data/.api-key'),
            }),
          ),
          el('p', null, t('Admins can make more keys, with a narrower role or scope, on the API keys page.')),
        ),
      ),
    ),
  );
  input.focus();
}
