// Sign in, register, password reset (request and confirm) and email
// verification. The emailed tokens may arrive in the page's fragment
// (#token=…, which the browser never sends to a server) or be pasted.
import * as api from '../api.js';
import { h, field, showErrors } from '../dom.js';

function tokenFromFragment() {
  return new URLSearchParams(location.hash.slice(1)).get('token') || '';
}

function form(title, fields, submitText, onSubmit, extra = []) {
  const error = h('p.form-error', { role: 'alert' });
  const button = h('button.primary', { type: 'submit' }, submitText);
  const f = h('form.stack', { novalidate: true }, ...fields, error, h('div.row', {}, button, ...extra));
  f.addEventListener('submit', async (e) => {
    e.preventDefault();
    button.disabled = true;
    try {
      showErrors(f, null);
      await onSubmit(f);
    } catch (err) {
      if (!(err instanceof api.ApiError)) throw err;
      showErrors(f, err.problem);
    } finally {
      button.disabled = false;
    }
  });
  return [h('h1', {}, title), f];
}

const email = () => field('Email', h('input', { type: 'email', autocomplete: 'email', required: true }), 'email');
const password = (autocomplete) =>
  field('Password', h('input', { type: 'password', autocomplete, required: true, minlength: 8 }), 'password');

export function render(main, { name, query, navigate }) {
  const next = query.get('next');
  const after = next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
  const link = (href, text) => h('a', { href, 'data-link': '' }, text);
  const message = h('p', { role: 'status' });
  if (api.signedIn() && (name === 'login' || name === 'register')) return navigate(after, { replace: true });

  if (name === 'login') {
    main.append(
      ...form('Sign in', [email(), password('current-password')], 'Sign in', async (f) => {
        await api.login(f.email.value.trim(), f.password.value);
        navigate(after, { replace: true });
      }),
      h('p', {}, link('/register', 'Create an account'), ' · ', link('/forgot-password', 'Forgot your password?')),
    );
  } else if (name === 'register') {
    main.append(
      ...form('Register', [email(), password('new-password')], 'Create account', async (f) => {
        const address = f.email.value.trim();
        await api.publicApi('POST', '/api/auth/register', { email: address, password: f.password.value });
        await api.login(address, f.password.value);
        navigate('/', { replace: true });
      }),
      h('p.muted', {}, 'A confirmation email is sent to the address; alerts reach it either way.'),
      h('p', {}, link('/login', 'I have an account')),
    );
  } else if (name === 'forgot') {
    main.append(
      ...form('Reset your password', [email()], 'Send reset email', async (f) => {
        await api.publicApi('POST', '/api/auth/password-reset', { email: f.email.value.trim() });
        message.textContent = 'If an account has this address, an email with a reset token is on its way.';
      }),
      message,
      h('p', {}, link('/reset-password', 'I have a reset token')),
    );
  } else if (name === 'reset') {
    const token = field('Reset token (from the email)', h('input', { autocomplete: 'off', value: tokenFromFragment() }), 'token');
    main.append(
      ...form('Choose a new password', [token, password('new-password')], 'Set password', async (f) => {
        await api.publicApi('POST', '/api/auth/password-reset/confirm', { token: f.token.value.trim(), password: f.password.value });
        history.replaceState(null, '', location.pathname);
        message.textContent = 'Your password is changed; every session was signed out.';
        main.append(h('p', {}, link('/login', 'Sign in')));
      }),
      message,
    );
  } else if (name === 'verify') {
    const token = field('Verification token (from the email)', h('input', { autocomplete: 'off', value: tokenFromFragment() }), 'token');
    const parts = form('Confirm your email', [token], 'Confirm', async (f) => {
      await api.publicApi('POST', '/api/auth/verify-email', { token: f.token.value.trim() });
      history.replaceState(null, '', location.pathname);
      message.textContent = 'Your email address is confirmed.';
    });
    main.append(...parts, message);
    if (tokenFromFragment()) parts[1].requestSubmit();
  }
  main.querySelector('input')?.focus();
}
