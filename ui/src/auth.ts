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

export type Area = 'admin' | 'lecture' | 'secretariat' | 'cim' | 'portail';

// The areas of each role. The administrator sees no clinical data (docs/permissions.md): of the
// secretariat she keeps what the hub lets her call (letters, overdue, reminders, quarantine,
// indicators).
const AREAS: Record<Role, Area[]> = {
  administrator: ['admin', 'secretariat'],
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

export interface NavLink {
  href: string;
  text: string;
  // Only these roles (the hub's permission matrix for the APIs the screen calls); absent: every
  // role of the area. Open mode sees everything.
  roles?: Role[];
}

const CENTRE: Role[] = ['coordinator', 'secretary'];
const RESULTS: Role[] = ['administrator', 'coordinator', 'secretary'];

export const NAV: Record<Area, NavLink[]> = {
  admin: [{ href: '/admin/comptes', text: 'Comptes', roles: ['administrator'] }],
  lecture: [{ href: '/lecture', text: 'Lecture L2' }],
  secretariat: [
    { href: '/secretariat/arrivees', text: 'Arrivées', roles: CENTRE },
    { href: '/secretariat/seances', text: 'Séances', roles: CENTRE },
    { href: '/secretariat/cti', text: 'Suivi des CTI', roles: CENTRE },
    { href: '/secretariat/courriers', text: 'Courriers', roles: RESULTS },
    { href: '/secretariat/retards', text: 'Retards', roles: RESULTS },
    { href: '/secretariat/relances', text: 'Relances', roles: RESULTS },
    { href: '/secretariat/identite', text: 'Identités', roles: CENTRE },
    { href: '/secretariat/quarantaine', text: 'Quarantaine', roles: RESULTS },
    { href: '/secretariat/indicateurs', text: 'Indicateurs', roles: ['administrator', 'coordinator'] },
  ],
  cim: [
    { href: '/cim/examens', text: 'Examens CIM' },
    { href: '/cim/cti', text: 'CTI à refaire' },
  ],
  portail: [{ href: '/portail', text: 'Mes documents' }],
};

function linkAllows(link: NavLink, user: User): boolean {
  return user.role === 'open' || !link.roles || link.roles.includes(user.role);
}

// The links of the user's navigation, area by area.
export function linksOf(user: User): NavLink[] {
  return areasOf(user).flatMap((a) => NAV[a].filter((l) => linkAllows(l, user)));
}

// Whether the user's role may open the page at `path` (its area, and the link's roles).
export function mayOpen(user: User, area: Area, path: string): boolean {
  if (!areasOf(user).includes(area)) return false;
  const link = NAV[area].find((l) => path === l.href || path.startsWith(`${l.href}/`));
  return !link || linkAllows(link, user);
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
