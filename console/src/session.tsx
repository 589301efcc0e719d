/**
 * The console session (issue 17): who is signed in, with which role, and the login page.
 * The server keeps the credential in an `HttpOnly; SameSite=Strict` cookie; the console only
 * learns the workspace, the role and the CSRF value its writes must carry (api/client.ts).
 * Controls a role cannot use are hidden with {@link useCan}; the server enforces the same rules.
 * - `/login#code=…`: the one-time URL `runyard up` prints; exchanged at once, then `/runs`.
 * - any page without a session: a form taking an API token.
 */
import { createContext, useCallback, useContext, useEffect, useState, type FormEvent, type ReactNode } from 'react';
import { api, errorMessage, must, setCsrf, type Schemas } from './api/client';

export type Session = Schemas['Session'];
type Role = 'viewer' | 'operator' | 'editor' | 'admin';
const RANK: Record<Role, number> = { viewer: 0, operator: 1, editor: 2, admin: 3 };

interface SessionState {
  session: Session;
  logout(): Promise<void>;
}

const SessionContext = createContext<SessionState | null>(null);

/** Whether the signed-in role includes `role`. */
export function useCan(): (role: Role) => boolean {
  const s = useContext(SessionContext);
  return (role) => s !== null && (RANK[s.session.role as Role] ?? -1) >= RANK[role];
}

/** The signed-in session and log out. */
export function useSession(): SessionState | null {
  return useContext(SessionContext);
}

async function exchange(init: { code?: string; token?: string }): Promise<Session> {
  return must(
    api.POST('/v1/session', {
      ...(init.code ? { body: { code: init.code } } : {}),
      ...(init.token ? { headers: { authorization: `Bearer ${init.token}` } } : {}),
    }),
  );
}

/** Loads the session (or logs in from `/login#code=…`); renders the login form without one. */
export function SessionGate({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [token, setToken] = useState('');

  const accept = useCallback((s: Session) => {
    setCsrf(s.csrf_token);
    setSession(s);
  }, []);

  useEffect(() => {
    const code = window.location.pathname === '/login' ? new URLSearchParams(window.location.hash.slice(1)).get('code') : null;
    if (code) {
      // The code is single-use: drop it from the address bar and history at once.
      window.history.replaceState(null, '', '/runs');
      exchange({ code }).then(
        (s) => {
          accept(s);
          window.location.replace('/runs');
        },
        (err: unknown) => {
          setError(errorMessage(err));
          setSession(null);
        },
      );
      return;
    }
    must(api.GET('/v1/session')).then(accept, () => setSession(null));
  }, [accept]);

  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    try {
      accept(await exchange({ token: token.trim() }));
      setToken('');
      if (window.location.pathname === '/login') window.location.replace('/runs');
    } catch (err) {
      setError(errorMessage(err));
    }
  }

  const logout = useCallback(async () => {
    await must(api.DELETE('/v1/session')).catch(() => undefined);
    setCsrf(null);
    setSession(null);
  }, []);

  if (session === undefined) return <p className="muted">Loading…</p>;
  if (session === null) {
    return (
      <main id="main" className="login">
        <h1>Sign in to Runyard</h1>
        <p className="muted">
          Open the login link <code>runyard up</code> printed, or paste an API token (<code>runyard tokens create</code>).
        </p>
        <form onSubmit={(e) => void submit(e)} aria-label="Sign in">
          <label>
            API token
            <input type="password" autoComplete="off" value={token} onChange={(e) => setToken(e.target.value)} placeholder="ryd_…" />
          </label>
          <button type="submit" className="primary" disabled={!token.trim()}>
            Sign in
          </button>
        </form>
        {error ? (
          <p role="alert" className="error">
            {error}
          </p>
        ) : null}
      </main>
    );
  }
  return <SessionContext.Provider value={{ session, logout }}>{children}</SessionContext.Provider>;
}
