// The one owner of fetch, the tokens and their refresh.
//
// The access token lives in memory only. The refresh token lives in
// sessionStorage: it survives a reload of the tab (so a reload does not sign
// the user out) but not the tab's closing, is never shared with other tabs,
// and is never sent anywhere but POST /api/auth/refresh and logout bodies.
// localStorage would outlive the session; a cookie would be sent with every
// request. Tokens never appear in a URL. The access token is refreshed a
// minute before it expires, so a long-open page never meets a 401.

const REFRESH_KEY = 'kryptod.refresh';
let access = null;
let accessExpires = 0;
let refreshTimer = null;
let refreshing = null;
const listeners = new Set();

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem || {};
  }
}

// fn(signedIn) runs whenever the user signs in or out.
export function onAuthChange(fn) {
  listeners.add(fn);
}

export function signedIn() {
  return access !== null;
}

export function accessToken() {
  return access;
}

function claims() {
  try {
    const part = access.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(atob(part));
  } catch {
    return {};
  }
}

export function isAdmin() {
  return access !== null && claims().role === 'admin';
}

function store(pair) {
  access = pair.access;
  accessExpires = Date.now() + pair.expires_in * 1000;
  sessionStorage.setItem(REFRESH_KEY, pair.refresh);
  clearTimeout(refreshTimer);
  const lead = Math.min(60_000, (pair.expires_in * 1000) / 4);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), Math.max(1000, pair.expires_in * 1000 - lead));
}

function clear() {
  const was = access !== null;
  access = null;
  accessExpires = 0;
  clearTimeout(refreshTimer);
  sessionStorage.removeItem(REFRESH_KEY);
  if (was) for (const fn of listeners) fn(false);
}

// Exchanges the stored refresh token for a new pair (one request at a time).
export function refresh() {
  const token = sessionStorage.getItem(REFRESH_KEY);
  if (!token) return Promise.reject(new ApiError(401, { detail: 'not signed in' }));
  refreshing ||= raw('POST', '/api/auth/refresh', { refresh: token })
    .then((pair) => {
      const first = access === null;
      store(pair);
      if (first) for (const fn of listeners) fn(true);
    })
    .catch((e) => {
      if (e.status === 401) clear();
      throw e;
    })
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

// Signs in again from sessionStorage after a reload; false when there is nothing to resume.
export async function resume() {
  if (!sessionStorage.getItem(REFRESH_KEY)) return false;
  try {
    await refresh();
    return true;
  } catch {
    return false;
  }
}

export async function login(email, password) {
  store(await raw('POST', '/api/auth/login', { email, password }));
  for (const fn of listeners) fn(true);
}

export async function logout() {
  const token = sessionStorage.getItem(REFRESH_KEY);
  try {
    if (token) await raw('POST', '/api/auth/logout', { refresh: token });
  } finally {
    clear();
  }
}

async function raw(method, path, body, headers = {}, auth = false) {
  const init = { method, headers: { Accept: 'application/json', ...headers } };
  if (auth && access) init.headers.Authorization = `Bearer ${access}`;
  if (body !== undefined) {
    if (typeof body === 'string' || body instanceof Blob) init.body = body;
    else {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
  }
  const res = await fetch(path, init);
  if (res.status === 204 || res.status === 202) return null;
  const type = res.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await res.json() : await res.text();
  if (!res.ok) throw new ApiError(res.status, typeof data === 'object' ? data : { detail: data });
  return data;
}

// An authenticated call; a 401 refreshes once and retries.
export async function api(method, path, body, headers) {
  if (access && Date.now() > accessExpires - 5000) await refresh().catch(() => {});
  try {
    return await raw(method, path, body, headers, true);
  } catch (e) {
    if (e.status !== 401 || !sessionStorage.getItem(REFRESH_KEY)) throw e;
    await refresh();
    return raw(method, path, body, headers, true);
  }
}

// A public call (register, password reset, market data).
export function publicApi(method, path, body) {
  return raw(method, path, body);
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== '' && v !== undefined && v !== null) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
}
