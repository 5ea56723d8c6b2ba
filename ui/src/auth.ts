// Who is signed in, and which screens each role sees. Access control is enforced by the hub;
// this only chooses what to show. Until the hub has access control it runs --open and
// /api/auth/me answers 404: the app then shows every staff screen ("open mode").

import { ApiError, get, post, setCsrfToken } from './api';

export type Role =
  | 'administrator'
  | 'coordinator'
  | 'secretary'
  | 'l2_radiologist'
  | 'l1_radiologist'
  | 'technologist'
  | 'doctor'
  | 'woman'
  | 'open';

export interface User {
  login: string;
  role: Role;
  cims: string[];
  rpps?: string;
  name?: string;
  csrf_token?: string;
}

export type Area = 'lecture' | 'secretariat' | 'cim' | 'portail';

const AREAS: Record<Role, Area[]> = {
  administrator: ['secretariat', 'lecture', 'cim'],
  coordinator: ['secretariat', 'lecture', 'cim'],
  secretary: ['secretariat'],
  l2_radiologist: ['lecture'],
  l1_radiologist: ['cim'],
  technologist: ['cim'],
  doctor: ['portail'],
  woman: ['portail'],
  open: ['lecture', 'secretariat', 'cim'], // open mode: all staff screens
};

export function areasOf(user: User): Area[] {
  return AREAS[user.role] ?? [];
}

// null: nobody signed in (401/403). Open mode when the hub has no auth API (404).
export async function currentUser(): Promise<User | null> {
  try {
    const me = await get<User>('/api/auth/me');
    if (me.csrf_token) setCsrfToken(me.csrf_token);
    return { ...me, cims: me.cims ?? [] };
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return { login: 'ouvert', role: 'open', cims: [] };
    if (e instanceof ApiError && (e.status === 401 || e.status === 403)) return null;
    throw e;
  }
}

export async function login(loginName: string, password: string, totp?: string): Promise<User> {
  const body: Record<string, string> = { login: loginName, password };
  if (totp) body.totp = totp;
  const me = await post<User>('/api/auth/login', body);
  if (me.csrf_token) setCsrfToken(me.csrf_token);
  return { ...me, cims: me.cims ?? [] };
}

export async function logout(): Promise<void> {
  await post('/api/auth/logout', {});
  setCsrfToken('');
}

export async function portalLogin(code: string, birthDate: string): Promise<User> {
  const me = await post<User>('/api/portal/login', { code, birth_date: birthDate });
  if (me.csrf_token) setCsrfToken(me.csrf_token);
  return { ...me, cims: me.cims ?? [] };
}
