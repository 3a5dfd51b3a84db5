/**
 * The signed-in session: tokens and the last known user in localStorage, so a reload (or
 * an offline start) keeps the person signed in. The SDK refreshes the access token on a
 * 401 and reports every change of tokens here.
 */
import { createLifeosClient, type LifeosClient, type Tokens, type User } from "@lifeos/sdk";

const TOKENS_KEY = "lifeos:tokens";
const USER_KEY = "lifeos:user";

function readJson<T>(key: string): T | null {
  try {
    const text = localStorage.getItem(key);
    return text ? (JSON.parse(text) as T) : null;
  } catch {
    return null;
  }
}

let lostHandler: (() => void) | null = null;

/** Called when the session ends by itself (the refresh token was refused). */
export function onSessionLost(fn: () => void): void {
  lostHandler = fn;
}

let client: LifeosClient | null = null;

/** The one client of the page, holding the persisted tokens. */
export function sessionClient(): LifeosClient {
  if (client) return client;
  client = createLifeosClient({
    baseUrl: location.origin,
    tokens: readJson<Tokens>(TOKENS_KEY),
    onTokens(tokens) {
      if (tokens) {
        localStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
      } else {
        const had = localStorage.getItem(TOKENS_KEY) !== null;
        localStorage.removeItem(TOKENS_KEY);
        localStorage.removeItem(USER_KEY);
        if (had) lostHandler?.();
      }
    },
  });
  return client;
}

export function cachedUser(): User | null {
  return readJson<User>(USER_KEY);
}

export function rememberUser(user: User): void {
  localStorage.setItem(USER_KEY, JSON.stringify(user));
}

/** Forgets the session on this device (after logout or account deletion). */
export function forgetSession(): void {
  localStorage.removeItem(TOKENS_KEY);
  localStorage.removeItem(USER_KEY);
}
